/* test_autograd_ops.c: every op of autograd/functions.h against central finite
 * differences (dlt_gradcheck, float64, eps 1e-6, atol 1e-5, rtol 1e-3), over broadcast
 * shapes, dims with and without keepdim, and non-contiguous (transposed) operands. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "core/random.h"

typedef struct {
  int op;
  double s, lo, hi;
  int dim;
  bool keep, flag, nc; /* nc: feed the op a transposed (non-contiguous) view of input 1 */
  dlt_tensor *aux;     /* cond / mask */
} prm;

static dlt_tensor *rnd(int ndim, const int64_t *shape, double lo, double hi) {
  dlt_tensor *t = dlt_empty(ndim, shape, DLT_FLOAT64);
  cr_assert(t, "%s", dlt_error());
  cr_assert_eq(dlt_uniform_(t, lo, hi), 0);
  t->requires_grad = true;
  return t;
}

/* x[0], or with p->nc its transpose over the last two dims seen through a transpose back:
 * the same values, non-contiguous, still connected to the leaf */
static dlt_tensor *first(const prm *p, dlt_tensor *const *x) {
  if (!p->nc || x[0]->ndim < 2) return dlt_retain(x[0]);
  dlt_tensor *c = dlt_ag_transpose(x[0], -1, -2);
  dlt_tensor *t = c ? dlt_ag_contiguous(c) : NULL; /* contiguous in the transposed layout */
  dlt_tensor *v = t ? dlt_ag_transpose(t, -1, -2) : NULL;
  dlt_release(c);
  dlt_release(t);
  if (v && v->shape[v->ndim - 1] > 1 && v->shape[v->ndim - 2] > 1) cr_assert(!dlt_is_contiguous(v));
  return v;
}

static void check(const char *what, dlt_gradcheck_fn f, prm *p, dlt_tensor **in, int n) {
  int rc = dlt_gradcheck(f, p, in, n, NULL);
  cr_expect_eq(rc, 0, "%s: %s", what, rc ? dlt_error() : "");
  dlt_gradcheck_opts o;
  dlt_gradcheck_defaults(&o);
  o.per_element = true;
  rc = dlt_gradcheck(f, p, in, n, &o);
  cr_expect_eq(rc, 0, "%s (per element): %s", what, rc ? dlt_error() : "");
}

static void release_all(dlt_tensor **in, int n) {
  for (int k = 0; k < n; k++) dlt_release(in[k]);
}

/* ---- elementwise ---- */

static dlt_tensor *f_binary(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_binary(p->op, a, x[1]) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, binary_with_broadcasting) {
  static const struct {
    int na, nb;
    int64_t sa[3], sb[3];
  } shapes[] = {
    {2, 1, {3, 4}, {4}}, {3, 2, {2, 1, 3}, {4, 1}}, {0, 2, {0}, {2, 3}}, {2, 2, {3, 1}, {1, 3}}, {2, 2, {3, 4}, {3, 4}}};
  dlt_binop ops[] = {DLT_ADD, DLT_SUB, DLT_MUL, DLT_DIV, DLT_POW, DLT_MAXIMUM, DLT_MINIMUM};
  dlt_manual_seed(1);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int nc = 0; nc < 2; nc++) {
        bool pos = ops[k] == DLT_POW || ops[k] == DLT_DIV;
        dlt_tensor *in[2] = {rnd(shapes[s].na, shapes[s].sa, pos ? 0.5 : -2, 2), rnd(shapes[s].nb, shapes[s].sb, pos ? 0.5 : -2, 2)};
        prm p = {.op = ops[k], .nc = nc};
        char what[96];
        snprintf(what, sizeof what, "%s shapes #%zu nc=%d", dlt_binop_name(ops[k]), s + 1, nc);
        check(what, f_binary, &p, in, 2);
        in[1]->requires_grad = false; /* one side only */
        check(what, f_binary, &p, in, 2);
        release_all(in, 2);
      }
}

Test(gradcheck_ops, pow_with_negative_base_and_integer_exponent) {
  int64_t sh[1] = {4};
  dlt_manual_seed(2);
  dlt_tensor *in[2] = {rnd(1, sh, -2, -0.5), rnd(1, sh, 2, 2)}; /* exponent exactly 2 */
  in[1]->requires_grad = false;
  prm p = {.op = DLT_POW};
  check("pow negative base", f_binary, &p, in, 2);
  release_all(in, 2);
}

static dlt_tensor *f_scalar(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_binary_scalar(p->op, a, p->s, p->flag) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, tensor_and_number_on_either_side) {
  int64_t sh[2] = {3, 4};
  dlt_binop ops[] = {DLT_ADD, DLT_SUB, DLT_MUL, DLT_DIV, DLT_POW, DLT_MAXIMUM, DLT_MINIMUM};
  dlt_manual_seed(3);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    for (int left = 0; left < 2; left++) {
      bool pos = ops[k] == DLT_POW || ops[k] == DLT_DIV;
      dlt_tensor *in[1] = {rnd(2, sh, pos ? 0.5 : -2, 2)};
      prm p = {.op = ops[k], .s = ops[k] == DLT_POW ? 1.7 : 0.3, .flag = left, .nc = true};
      char what[64];
      snprintf(what, sizeof what, "%s scalar_left=%d", dlt_binop_name(ops[k]), left);
      check(what, f_scalar, &p, in, 1);
      release_all(in, 1);
    }
}

static dlt_tensor *f_unary(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_unary(p->op, a) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, unary) {
  int64_t sh[2] = {3, 5};
  dlt_unop ops[] = {DLT_NEG, DLT_ABS, DLT_EXP, DLT_LOG, DLT_SQRT, DLT_SIN, DLT_COS, DLT_TANH, DLT_SIGMOID,
                    DLT_RELU, DLT_SQUARE, DLT_RECIPROCAL, DLT_LOG1P, DLT_EXPM1, DLT_ERF, DLT_GELU,
                    DLT_SILU, DLT_SOFTPLUS};
  dlt_manual_seed(4);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    for (int nc = 0; nc < 2; nc++) {
      bool pos = ops[k] == DLT_LOG || ops[k] == DLT_SQRT || ops[k] == DLT_RECIPROCAL || ops[k] == DLT_LOG1P;
      dlt_tensor *in[1] = {rnd(2, sh, pos ? 0.3 : -3, 3)};
      prm p = {.op = ops[k], .nc = nc};
      char what[64];
      snprintf(what, sizeof what, "%s nc=%d", dlt_unop_name(ops[k]), nc);
      check(what, f_unary, &p, in, 1);
      release_all(in, 1);
    }
}

static dlt_tensor *f_leaky(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_leaky_relu(a, p->s) : NULL;
  dlt_release(a);
  return o;
}

static dlt_tensor *f_clamp(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_clamp(a, p->lo, p->hi) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, leaky_relu_and_clamp) {
  int64_t sh[2] = {4, 3};
  dlt_manual_seed(5);
  dlt_tensor *in[1] = {rnd(2, sh, -2, 2)};
  prm p = {.s = 0.1, .nc = true};
  check("leaky_relu", f_leaky, &p, in, 1);
  double bounds[3][2] = {{-1, 1}, {NAN, 0.5}, {-0.5, NAN}};
  for (int b = 0; b < 3; b++) {
    prm q = {.lo = bounds[b][0], .hi = bounds[b][1], .nc = true};
    char what[64];
    snprintf(what, sizeof what, "clamp(%g, %g)", q.lo, q.hi);
    check(what, f_clamp, &q, in, 1);
  }
  release_all(in, 1);
}

static dlt_tensor *f_where(void *ud, dlt_tensor *const *x, int n) { return dlt_ag_where(((prm *)ud)->aux, x[0], x[1]); }
static dlt_tensor *f_masked_fill(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_masked_fill(a, p->aux, p->s) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, where_and_masked_fill) {
  int64_t sc[2] = {3, 4}, sa[2] = {3, 1}, sb[1] = {4};
  double cv[12] = {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0};
  dlt_tensor *cond = dlt_from_doubles(cv, 2, sc, DLT_FLOAT64);
  dlt_manual_seed(6);
  dlt_tensor *in[2] = {rnd(2, sa, -1, 1), rnd(1, sb, -1, 1)};
  prm p = {.aux = cond};
  check("where broadcast", f_where, &p, in, 2);
  release_all(in, 2);
  dlt_tensor *m[1] = {rnd(2, sc, -1, 1)};
  dlt_tensor *mask = dlt_from_doubles(cv, 1, sb, DLT_FLOAT64); /* {4}: broadcast over rows */
  prm q = {.aux = mask, .s = 7, .nc = false};
  check("masked_fill", f_masked_fill, &q, m, 1);
  q.aux = cond;
  q.nc = true;
  check("masked_fill nc", f_masked_fill, &q, m, 1);
  release_all(m, 1);
  dlt_release(cond);
  dlt_release(mask);
}

/* ---- reductions ---- */

static dlt_tensor *f_reduce(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_reduce(p->op, a, p->dim, p->keep) : NULL;
  dlt_release(a);
  return o;
}

static const int dims[] = {DLT_ALLDIMS, 0, 1, -1};

Test(gradcheck_ops, sum_mean_prod_max_min_over_dims) {
  int64_t sh[3] = {3, 4, 2};
  dlt_redop ops[] = {DLT_RSUM, DLT_RMEAN, DLT_RPROD, DLT_RMAX, DLT_RMIN};
  dlt_manual_seed(7);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
      for (int keep = 0; keep < 2; keep++) {
        dlt_tensor *in[1] = {rnd(3, sh, 0.5, 1.5)};
        if (ops[k] == DLT_RPROD && keep) { /* a zero: prod's gradient must not divide by it */
          int64_t at[3] = {1, 2, 1};
          dlt_set(in[0], at, 0.0);
        }
        prm p = {.op = ops[k], .dim = dims[d], .keep = keep, .nc = keep};
        char what[64];
        snprintf(what, sizeof what, "reduce %d dim %d keepdim %d", (int)ops[k], dims[d], keep);
        check(what, f_reduce, &p, in, 1);
        release_all(in, 1);
      }
}

static dlt_tensor *f_max_dim(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *idx = NULL, *a = first(p, x), *o = a ? dlt_ag_max_dim(a, p->dim, p->keep, p->flag, &idx) : NULL;
  if (o) cr_assert(idx && !idx->requires_grad);
  dlt_release(idx);
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, max_min_with_indices) {
  int64_t sh[3] = {3, 4, 2};
  dlt_manual_seed(8);
  for (size_t d = 1; d < sizeof dims / sizeof dims[0]; d++)
    for (int keep = 0; keep < 2; keep++)
      for (int is_min = 0; is_min < 2; is_min++) {
        dlt_tensor *in[1] = {rnd(3, sh, -1, 1)};
        prm p = {.dim = dims[d], .keep = keep, .flag = is_min, .nc = !keep};
        char what[64];
        snprintf(what, sizeof what, "max_dim dim %d keepdim %d min %d", dims[d], keep, is_min);
        check(what, f_max_dim, &p, in, 1);
        release_all(in, 1);
      }
}

static dlt_tensor *f_var(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x);
  dlt_tensor *o = a ? (p->op ? dlt_ag_std : dlt_ag_var)(a, p->dim, p->keep, p->flag) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, var_and_std) {
  int64_t sh[2] = {4, 5};
  dlt_manual_seed(9);
  for (int is_std = 0; is_std < 2; is_std++)
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
      for (int keep = 0; keep < 2; keep++)
        for (int unb = 0; unb < 2; unb++) {
          dlt_tensor *in[1] = {rnd(2, sh, -1, 1)};
          prm p = {.op = is_std, .dim = dims[d], .keep = keep, .flag = unb, .nc = unb};
          char what[64];
          snprintf(what, sizeof what, "%s dim %d keepdim %d unbiased %d", is_std ? "std" : "var", dims[d], keep, unb);
          check(what, f_var, &p, in, 1);
          release_all(in, 1);
        }
}

static dlt_tensor *f_norm(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_norm(a, p->s, p->dim, p->keep) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, norm) {
  int64_t sh[2] = {3, 4};
  double ps[] = {1, 2, 3, 0.5, 1.5, INFINITY, -INFINITY};
  dlt_manual_seed(10);
  for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
      for (int keep = 0; keep < 2; keep++) {
        dlt_tensor *in[1] = {rnd(2, sh, -2, 2)};
        prm p = {.s = ps[k], .dim = dims[d], .keep = keep, .nc = keep};
        char what[64];
        snprintf(what, sizeof what, "norm p=%g dim %d keepdim %d", ps[k], dims[d], keep);
        check(what, f_norm, &p, in, 1);
        release_all(in, 1);
      }
}

static dlt_tensor *f_softmax(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = a ? dlt_ag_softmax(a, p->dim, p->flag) : NULL;
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, softmax_and_log_softmax) {
  int64_t sh[3] = {2, 3, 4};
  int sdims[] = {0, 1, 2, -1};
  dlt_manual_seed(11);
  for (int lg = 0; lg < 2; lg++)
    for (size_t d = 0; d < sizeof sdims / sizeof sdims[0]; d++)
      for (int nc = 0; nc < 2; nc++) {
        dlt_tensor *in[1] = {rnd(3, sh, -3, 3)};
        prm p = {.dim = sdims[d], .flag = lg, .nc = nc};
        char what[64];
        snprintf(what, sizeof what, "%s dim %d nc %d", lg ? "log_softmax" : "softmax", sdims[d], nc);
        check(what, f_softmax, &p, in, 1);
        release_all(in, 1);
      }
}

/* ---- linear algebra ---- */

static dlt_tensor *f_matmul(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = NULL;
  if (a) o = p->op == 0 ? dlt_ag_matmul(a, x[1]) : p->op == 1 ? dlt_ag_mm(a, x[1])
                                                              : dlt_ag_dot(a, x[1]);
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, matmul_mm_dot) {
  static const struct {
    int na, nb;
    int64_t sa[4], sb[4];
  } cases[] = {
    {2, 2, {3, 4}, {4, 5}}, {1, 2, {4}, {4, 5}}, {2, 1, {3, 4}, {4}}, {1, 1, {4}, {4}}, {3, 2, {2, 3, 4}, {4, 5}}, {2, 3, {3, 4}, {2, 4, 5}}, {4, 3, {2, 1, 3, 4}, {3, 4, 2}}, {1, 3, {4}, {2, 4, 5}}, {3, 1, {2, 3, 4}, {4}}};
  dlt_manual_seed(12);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int nc = 0; nc < 2; nc++)
      for (int one = 0; one < 2; one++) {
        dlt_tensor *in[2] = {rnd(cases[c].na, cases[c].sa, -1, 1), rnd(cases[c].nb, cases[c].sb, -1, 1)};
        if (one) in[0]->requires_grad = false;
        prm p = {.op = 0, .nc = nc};
        char what[64];
        snprintf(what, sizeof what, "matmul case %zu nc %d only b %d", c + 1, nc, one);
        check(what, f_matmul, &p, in, 2);
        if (cases[c].na == 2 && cases[c].nb == 2) {
          p.op = 1;
          check("mm", f_matmul, &p, in, 2);
        }
        if (cases[c].na == 1 && cases[c].nb == 1) {
          p.op = 2;
          check("dot", f_matmul, &p, in, 2);
        }
        release_all(in, 2);
      }
}

/* ---- views, copies, indexing, joins ---- */

static dlt_tensor *f_view(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x), *o = NULL;
  if (!a) return NULL;
  int64_t sh6[2] = {6, -1}, sh3[3] = {3, 2, -1}, ex[3] = {2, 3, 4};
  int perm[3] = {2, 0, 1};
  int64_t idx[5] = {2, 0, 2, 1, 2};
  switch (p->op) {
  case 0: o = dlt_ag_view(a, 2, sh6); break;
  case 1: o = dlt_ag_reshape(a, 3, sh3); break;
  case 2: o = dlt_ag_transpose(a, 0, -1); break;
  case 3: o = dlt_ag_permute(a, perm); break;
  case 4: o = dlt_ag_unsqueeze(a, 1); break;
  case 5: o = dlt_ag_squeeze(a, 1); break;
  case 6: o = dlt_ag_squeeze_all(a); break;
  case 7: o = dlt_ag_narrow(a, 1, 1, 2); break;
  case 8: o = dlt_ag_select(a, -1, 1); break;
  case 9: o = dlt_ag_expand(a, 3, ex); break;
  case 10: o = dlt_ag_flatten(a); break;
  case 11: o = dlt_ag_contiguous(a); break;
  case 12: o = dlt_ag_clone(a); break;
  case 13: o = dlt_ag_index_select(a, 0, idx, 5); break;
  case 14: o = dlt_ag_index_select(a, -1, idx + 3, 2); break;
  }
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, views_copies_and_index_select) {
  /* inputs chosen so each view applies: most {3,4}; squeeze wants a size-1 dim; view
   * needs contiguity; expand wants {3,1} */
  static const struct {
    int op, nd;
    int64_t sh[3];
    bool nc;
  } cases[] = {
    {0, 2, {3, 4}, false}, {1, 2, {3, 4}, true}, {2, 2, {3, 4}, true}, {3, 3, {2, 3, 4}, true}, {4, 2, {3, 4}, true}, {5, 3, {3, 1, 4}, false}, {6, 3, {3, 1, 4}, false}, {7, 2, {3, 4}, true}, {8, 2, {3, 4}, true}, {9, 2, {3, 1}, false}, {10, 2, {3, 4}, true}, {11, 2, {3, 4}, true}, {12, 2, {3, 4}, true}, {13, 2, {3, 4}, true}, {14, 2, {3, 4}, true}};
  dlt_manual_seed(13);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    dlt_tensor *in[1] = {rnd(cases[c].nd, cases[c].sh, -1, 1)};
    prm p = {.op = cases[c].op, .nc = cases[c].nc};
    char what[64];
    snprintf(what, sizeof what, "view op %d", cases[c].op);
    check(what, f_view, &p, in, 1);
    release_all(in, 1);
  }
}

static dlt_tensor *f_join(void *ud, dlt_tensor *const *x, int n) {
  prm *p = ud;
  dlt_tensor *a = first(p, x);
  if (!a) return NULL;
  dlt_tensor *ts[3] = {a, x[1], x[2]};
  dlt_tensor *o = p->flag ? dlt_ag_stack(ts, 3, p->dim) : dlt_ag_cat(ts, 3, p->dim);
  dlt_release(a);
  return o;
}

Test(gradcheck_ops, cat_and_stack) {
  dlt_manual_seed(14);
  for (int d = -2; d < 2; d++) {
    int64_t s0[2] = {2, 3}, s1[2] = {d == 0 || d == -2 ? 4 : 2, d == 1 || d == -1 ? 1 : 3}, s2[2] = {2, 3};
    dlt_tensor *in[3] = {rnd(2, s0, -1, 1), rnd(2, s1, -1, 1), rnd(2, s2, -1, 1)};
    in[2]->requires_grad = false;
    prm p = {.dim = d, .nc = true};
    char what[64];
    snprintf(what, sizeof what, "cat dim %d", d);
    check(what, f_join, &p, in, 3);
    release_all(in, 3);
  }
  for (int d = -3; d < 3; d++) {
    int64_t sh[2] = {2, 3};
    dlt_tensor *in[3] = {rnd(2, sh, -1, 1), rnd(2, sh, -1, 1), rnd(2, sh, -1, 1)};
    in[1]->requires_grad = false;
    prm p = {.dim = d, .flag = true, .nc = true};
    char what[64];
    snprintf(what, sizeof what, "stack dim %d", d);
    check(what, f_join, &p, in, 3);
    release_all(in, 3);
  }
}

/* a small network's worth of composition: softmax cross-entropy of a 2-layer MLP */
static dlt_tensor *f_mlp(void *ud, dlt_tensor *const *x, int n) {
  dlt_tensor *h = dlt_ag_matmul(x[0], x[1]);
  dlt_tensor *hb = h ? dlt_ag_binary(DLT_ADD, h, x[2]) : NULL;
  dlt_tensor *a = hb ? dlt_ag_unary(DLT_TANH, hb) : NULL;
  dlt_tensor *lp = a ? dlt_ag_softmax(a, 1, true) : NULL;
  dlt_tensor *pick = lp ? dlt_ag_select(lp, 1, 0) : NULL;
  dlt_tensor *m = pick ? dlt_ag_reduce(DLT_RMEAN, pick, DLT_ALLDIMS, false) : NULL;
  dlt_tensor *loss = m ? dlt_ag_unary(DLT_NEG, m) : NULL;
  dlt_release(h);
  dlt_release(hb);
  dlt_release(a);
  dlt_release(lp);
  dlt_release(pick);
  dlt_release(m);
  return loss;
}

Test(gradcheck_ops, composed_network) {
  int64_t sx[2] = {5, 3}, sw[2] = {3, 4}, sb[1] = {4};
  dlt_manual_seed(15);
  dlt_tensor *in[3] = {rnd(2, sx, -1, 1), rnd(2, sw, -1, 1), rnd(1, sb, -1, 1)};
  in[0]->requires_grad = false;
  check("mlp", f_mlp, NULL, in, 3);
  release_all(in, 3);
}
