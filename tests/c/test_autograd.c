/* test_autograd.c: the tape engine: accumulation, no_grad, saved-tensor versions, second
 * backward, long chains, detach, in-place checks, anomaly mode, and closed-form gradients
 * through broadcasting, dtype promotion, ties and joins. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"

static dlt_tensor *vec(int n, const double *v, dlt_dtype dt, bool rg) {
  int64_t shape[1] = {n};
  dlt_tensor *t = dlt_from_doubles(v, 1, shape, dt);
  cr_assert(t, "%s", dlt_error());
  t->requires_grad = rg;
  return t;
}

static dlt_tensor *mat(int r, int c, const double *v, dlt_dtype dt, bool rg) {
  int64_t shape[2] = {r, c};
  dlt_tensor *t = dlt_from_doubles(v, 2, shape, dt);
  cr_assert(t, "%s", dlt_error());
  t->requires_grad = rg;
  return t;
}

static void expect_grad(const dlt_tensor *t, const double *want, int n, double tol) {
  cr_assert(t->grad, "no .grad");
  cr_assert_eq(dlt_numel(t->grad), n);
  for (int i = 0; i < n; i++)
    cr_assert(fabs(dlt_get_flat(t->grad, i) - want[i]) <= tol, "grad[%d] = %.17g, want %.17g", i,
              dlt_get_flat(t->grad, i), want[i]);
}

static dlt_tensor *sum_all(dlt_tensor *t) {
  dlt_tensor *s = dlt_ag_reduce(DLT_RSUM, t, DLT_ALLDIMS, false);
  cr_assert(s, "%s", dlt_error());
  return s;
}

Test(autograd, gradients_accumulate_across_two_backwards) {
  double v[3] = {1, 2, 3};
  dlt_tensor *x = vec(3, v, DLT_FLOAT64, true);
  for (int k = 0; k < 2; k++) {
    dlt_tensor *y = dlt_ag_binary(DLT_MUL, x, x), *s = sum_all(y);
    cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
    dlt_release(y);
    dlt_release(s);
  }
  double want[3] = {4, 8, 12}; /* 2 * d(x^2)/dx */
  expect_grad(x, want, 3, 0);
  cr_assert_eq(x->grad->dtype, DLT_FLOAT64);
  cr_assert_null(x->grad->grad_fn);
  dlt_release(x);
}

Test(autograd, no_grad_records_nothing) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true);
  dlt_set_grad_enabled(false);
  dlt_tensor *y = dlt_ag_binary_scalar(DLT_MUL, x, 2, false);
  dlt_tensor *z = dlt_ag_unary(DLT_EXP, y), *s = dlt_ag_reduce(DLT_RSUM, z, DLT_ALLDIMS, false);
  dlt_tensor *v1 = dlt_ag_transpose(x, 0, 0);
  cr_assert(!dlt_needs_grad(x));
  dlt_set_grad_enabled(true);
  cr_assert(!y->requires_grad && !y->grad_fn);
  cr_assert(!z->requires_grad && !z->grad_fn);
  cr_assert(!s->requires_grad && !s->grad_fn);
  cr_assert(!v1->requires_grad && !v1->grad_fn);
  cr_assert_eq(dlt_backward(s, NULL, false), -1);
  cr_assert_str_eq(dlt_error(), "backward: the tensor does not require grad and has no grad_fn");
  cr_assert(dlt_needs_grad(x));
  dlt_release(y);
  dlt_release(z);
  dlt_release(s);
  dlt_release(v1);
  dlt_release(x);
}

Test(autograd, ops_without_grad_inputs_do_not_record) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, false);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, x, x);
  cr_assert(!y->requires_grad && !y->grad_fn);
  dlt_release(y);
  dlt_release(x);
}

Test(autograd, non_differentiable_ops_give_outputs_without_grad) {
  double v[3] = {-1.5, 0.2, 2.7};
  dlt_tensor *x = vec(3, v, DLT_FLOAT64, true);
  dlt_unop un[] = {DLT_SIGN, DLT_FLOOR, DLT_CEIL, DLT_ROUND, DLT_ISNAN, DLT_ISINF};
  for (size_t k = 0; k < sizeof un / sizeof un[0]; k++) {
    dlt_tensor *y = dlt_ag_unary(un[k], x);
    cr_assert(y && !y->requires_grad && !y->grad_fn, "%s records", dlt_unop_name(un[k]));
    dlt_release(y);
  }
  dlt_binop bn[] = {DLT_EQ, DLT_NE, DLT_LT, DLT_LE, DLT_GT, DLT_GE};
  for (size_t k = 0; k < sizeof bn / sizeof bn[0]; k++) {
    dlt_tensor *y = dlt_ag_binary(bn[k], x, x), *z = dlt_ag_binary_scalar(bn[k], x, 0.5, false);
    cr_assert(y && !y->requires_grad && z && !z->requires_grad, "%s records", dlt_binop_name(bn[k]));
    dlt_release(y);
    dlt_release(z);
  }
  dlt_redop rn[] = {DLT_RARGMAX, DLT_RARGMIN, DLT_RALL, DLT_RANY};
  for (size_t k = 0; k < sizeof rn / sizeof rn[0]; k++) {
    dlt_tensor *y = dlt_ag_reduce(rn[k], x, 0, false);
    cr_assert(y && !y->requires_grad, "reduction %d records", (int)rn[k]);
    dlt_release(y);
  }
  dlt_release(x);
}

Test(autograd, modifying_a_saved_tensor_in_place_fails_backward) {
  double v[2] = {1, 2}, w[2] = {3, 4};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true), *b = vec(2, w, DLT_FLOAT32, false);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, x, b), *s = sum_all(y);
  cr_assert_eq(dlt_check_inplace("add_", b), 0);
  cr_assert_eq(dlt_binary_scalar_(DLT_ADD, b, 1), 0);
  cr_assert_eq(dlt_backward(s, NULL, false), -1);
  cr_assert_str_eq(dlt_error(), "backward: a tensor needed by MulBackward was modified by an in-place operation (version 1, expected 0)");
  cr_assert_null(x->grad, "a failed backward leaves .grad untouched");
  dlt_release(y);
  dlt_release(s);
  dlt_release(x);
  dlt_release(b);
}

Test(autograd, saved_output_modified_in_place_is_caught) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT64, true);
  dlt_tensor *y = dlt_ag_unary(DLT_EXP, x), *s = sum_all(y);
  dlt_set_grad_enabled(false); /* under no_grad the in-place write is allowed ... */
  cr_assert_eq(dlt_check_inplace("mul_", y), 0);
  cr_assert_eq(dlt_binary_scalar_(DLT_MUL, y, 2), 0);
  dlt_set_grad_enabled(true); /* ... but backward notices */
  cr_assert_eq(dlt_backward(s, NULL, false), -1);
  cr_assert(strstr(dlt_error(), "needed by ExpBackward was modified by an in-place operation"), "%s", dlt_error());
  dlt_release(y);
  dlt_release(s);
  dlt_release(x);
}

Test(autograd, second_backward_through_freed_graph_fails) {
  double v[2] = {1, 2}, w[2] = {3, 4};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true), *b = vec(2, w, DLT_FLOAT32, false);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, x, b), *s = sum_all(y);
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  cr_assert_eq(dlt_backward(s, NULL, false), -1);
  cr_assert(strstr(dlt_error(), "backward: trying to backward through the graph a second time"), "%s", dlt_error());
  cr_assert(strstr(dlt_error(), "MulBackward"), "%s", dlt_error());
  expect_grad(x, w, 2, 0); /* only the first backward counted */
  dlt_release(y);
  dlt_release(s);
  dlt_release(x);
  dlt_release(b);
}

Test(autograd, retain_graph_allows_a_second_backward) {
  double v[2] = {1, 2}, w[2] = {3, 4};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true), *b = vec(2, w, DLT_FLOAT32, false);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, x, b), *s = sum_all(y);
  cr_assert_eq(dlt_backward(s, NULL, true), 0, "%s", dlt_error());
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  double want[2] = {6, 8};
  expect_grad(x, want, 2, 0);
  dlt_release(y);
  dlt_release(s);
  dlt_release(x);
  dlt_release(b);
}

Test(autograd, nonscalar_root_needs_an_explicit_grad) {
  double v[3] = {1, 2, 3};
  dlt_tensor *x = vec(3, v, DLT_FLOAT32, true);
  dlt_tensor *y = dlt_ag_binary_scalar(DLT_MUL, x, 2, false);
  cr_assert_eq(dlt_backward(y, NULL, false), -1);
  cr_assert_str_eq(dlt_error(), "backward: grad can be implicitly created only for scalar outputs (shape {3})");
  double gv[3] = {1, 10, 100};
  dlt_tensor *g = vec(3, gv, DLT_FLOAT64, false), *bad = vec(2, gv, DLT_FLOAT32, false);
  cr_assert_eq(dlt_backward(y, bad, false), -1);
  cr_assert_str_eq(dlt_error(), "backward: grad has shape {2} but the tensor has shape {3}");
  cr_assert_eq(dlt_backward(y, g, false), 0, "%s", dlt_error());
  double want[3] = {2, 20, 200};
  expect_grad(x, want, 3, 0);
  cr_assert_eq(x->grad->dtype, DLT_FLOAT32);
  cr_assert_eq(dlt_get_flat(g, 1), 10, "the caller's grad is not modified");
  dlt_release(y);
  dlt_release(x);
  dlt_release(g);
  dlt_release(bad);
}

Test(autograd, backward_of_a_leaf_sets_its_grad) {
  double v[1] = {5};
  dlt_tensor *x = vec(1, v, DLT_FLOAT32, true);
  cr_assert_eq(dlt_backward(x, NULL, false), 0, "%s", dlt_error());
  double want[1] = {1};
  expect_grad(x, want, 1, 0);
  dlt_release(x);
}

/* a chain of 100000 recorded ops, run on a thread with a 512 KB stack: recursion over
 * the chain (in backward or in freeing it) would overflow that stack */
#define CHAIN 100000
typedef struct {
  int rc;
  double g[2];
  char err[512];
} chain_result; /* errors are per thread */

/* pairs of ops y = y * x, then y = -y / x: y flips sign each pair and d y / d x stays +-1 */
static void *long_chain(void *arg) {
  chain_result *res = arg;
  double v[2] = {1.5, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT64, true), *y = dlt_retain(x);
  for (int k = 0; k < CHAIN && y; k++) {
    dlt_tensor *z = (k & 1) ? dlt_ag_unary(DLT_NEG, y) : dlt_ag_binary(DLT_MUL, y, x);
    if (z && (k & 1)) {
      dlt_tensor *q = dlt_ag_binary(DLT_DIV, z, x);
      dlt_release(z);
      z = q;
    }
    dlt_release(y);
    y = z;
  }
  dlt_tensor *s = y ? dlt_ag_reduce(DLT_RSUM, y, DLT_ALLDIMS, false) : NULL;
  res->rc = s ? dlt_backward(s, NULL, false) : -1;
  snprintf(res->err, sizeof res->err, "%s", dlt_error());
  res->g[0] = x->grad ? dlt_get_flat(x->grad, 0) : NAN;
  res->g[1] = x->grad ? dlt_get_flat(x->grad, 1) : NAN;
  dlt_release(s);
  dlt_release(y); /* frees the whole chain */
  dlt_release(x);
  return NULL;
}

Test(autograd, chain_of_100000_ops_backward_and_release_without_recursion) {
  chain_result res = {-2, {0, 0}, ""};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  pthread_t th;
  cr_assert_eq(pthread_create(&th, &attr, long_chain, &res), 0);
  pthread_join(th, NULL);
  cr_assert_eq(res.rc, 0, "%s", res.err);
  /* CHAIN / 2 = 50000 sign flips: y = x, so d sum(y) / dx = 1 */
  cr_assert(fabs(res.g[0] - 1) < 1e-9 && fabs(res.g[1] - 1) < 1e-9, "grad %.17g %.17g", res.g[0], res.g[1]);
}

Test(autograd, detach_shares_storage_without_grad) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true);
  dlt_tensor *y = dlt_ag_binary_scalar(DLT_MUL, x, 3, false), *d = dlt_detach(y);
  cr_assert(!d->requires_grad && !d->grad_fn);
  cr_assert_eq(d->storage, y->storage);
  dlt_tensor *e = dlt_ag_unary(DLT_EXP, d);
  cr_assert(!e->requires_grad && !e->grad_fn, "ops on a detached tensor do not record");
  dlt_release(e);
  dlt_release(d);
  dlt_release(y);
  dlt_release(x);
}

Test(autograd, inplace_checks) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true), *c = vec(2, v, DLT_FLOAT32, false);
  cr_assert_eq(dlt_check_inplace("add_", x), -1);
  cr_assert_str_eq(dlt_error(), "add_: a leaf tensor that requires grad is used in an in-place operation");
  dlt_tensor *y = dlt_ag_binary_scalar(DLT_MUL, x, 3, false);
  cr_assert_eq(dlt_check_inplace("mul_", y), -1);
  cr_assert(strstr(dlt_error(), "mul_: in-place operations are not recorded by autograd") &&
              strstr(dlt_error(), "MulBackward"),
            "%s", dlt_error());
  cr_assert_eq(dlt_check_inplace("add_", c), 0);
  dlt_set_grad_enabled(false);
  cr_assert_eq(dlt_check_inplace("add_", x), 0, "optimizers update leaves under no_grad");
  dlt_set_grad_enabled(true);
  dlt_release(y);
  dlt_release(x);
  dlt_release(c);
}

Test(autograd, anomaly_mode_names_forward_and_backward) {
  double v[1] = {-1}, z[1] = {0};
  dlt_tensor *x = vec(1, v, DLT_FLOAT64, true), *x0 = vec(1, z, DLT_FLOAT64, true);
  dlt_tensor *quiet = dlt_ag_unary(DLT_LOG, x);
  cr_assert(quiet && isnan(dlt_item(quiet)), "without anomaly mode NaN passes");
  dlt_set_anomaly(true);
  cr_assert_null(dlt_ag_unary(DLT_LOG, x));
  cr_assert_str_eq(dlt_error(), "detect_anomaly: forward of Log produced NaN");
  /* sqrt(0) * 0: the forward is fine, SqrtBackward computes 0 / (2 * 0) */
  dlt_tensor *r = dlt_ag_unary(DLT_SQRT, x0), *m = dlt_ag_binary_scalar(DLT_MUL, r, 0, false);
  cr_assert(r && m, "%s", dlt_error());
  cr_assert_eq(dlt_backward(m, NULL, false), -1);
  cr_assert_str_eq(dlt_error(), "detect_anomaly: SqrtBackward produced NaN in its gradient");
  dlt_set_anomaly(false);
  dlt_release(quiet);
  dlt_release(r);
  dlt_release(m);
  dlt_release(x);
  dlt_release(x0);
}

Test(autograd, broadcasting_gradients_sum_back_to_input_shapes) {
  double av[3] = {1, 2, 3}, bv[4] = {10, 20, 30, 40};
  dlt_tensor *a = mat(3, 1, av, DLT_FLOAT32, true), *b = vec(4, bv, DLT_FLOAT32, true);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, a, b), *s = sum_all(y); /* y is {3,4} */
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  double ga[3] = {100, 100, 100}, gb[4] = {6, 6, 6, 6};
  expect_grad(a, ga, 3, 0);
  expect_grad(b, gb, 4, 0);
  cr_assert_eq(a->grad->ndim, 2);
  cr_assert_eq(a->grad->shape[1], 1);
  dlt_release(y);
  dlt_release(s);
  dlt_release(a);
  dlt_release(b);
}

Test(autograd, promoted_dtype_gradients_come_back_in_each_inputs_dtype) {
  double av[2] = {1, 2}, bv[2] = {3, 4};
  dlt_tensor *a = vec(2, av, DLT_FLOAT32, true), *b = vec(2, bv, DLT_FLOAT64, true);
  dlt_tensor *y = dlt_ag_binary(DLT_MUL, a, b), *s = sum_all(y);
  cr_assert_eq(y->dtype, DLT_FLOAT64);
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  cr_assert_eq(a->grad->dtype, DLT_FLOAT32);
  cr_assert_eq(b->grad->dtype, DLT_FLOAT64);
  expect_grad(a, bv, 2, 0);
  expect_grad(b, av, 2, 0);
  dlt_release(y);
  dlt_release(s);
  dlt_release(a);
  dlt_release(b);
}

Test(autograd, max_min_gradients_follow_pytorch_tie_rules) {
  double v[3] = {1, 3, 3};
  dlt_tensor *x = mat(1, 3, v, DLT_FLOAT64, true);
  dlt_tensor *idx = NULL, *m = dlt_ag_max_dim(x, 1, false, false, &idx), *s = sum_all(m);
  cr_assert(idx && !idx->requires_grad);
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  double w1[3] = {0, 1, 0}; /* max(dim): the selected (first) index, as torch */
  expect_grad(x, w1, 3, 0);
  dlt_release(x->grad);
  x->grad = NULL;
  dlt_tensor *all = dlt_ag_reduce(DLT_RMAX, x, DLT_ALLDIMS, false);
  cr_assert_eq(dlt_backward(all, NULL, false), 0, "%s", dlt_error());
  double w2[3] = {0, 0.5, 0.5}; /* max(): ties share evenly, as torch */
  expect_grad(x, w2, 3, 0);
  dlt_release(idx);
  dlt_release(m);
  dlt_release(s);
  dlt_release(all);
  dlt_release(x);
}

Test(autograd, maximum_tie_splits_and_clamp_is_zero_outside) {
  double v[3] = {1, 3, -2}, t[1] = {3};
  dlt_tensor *x = vec(3, v, DLT_FLOAT64, true), *three = vec(1, t, DLT_FLOAT64, false);
  dlt_tensor *m = dlt_ag_binary(DLT_MAXIMUM, x, three), *s = sum_all(m);
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  double w1[3] = {0, 0.5, 0};
  expect_grad(x, w1, 3, 0);
  dlt_release(x->grad);
  x->grad = NULL;
  dlt_tensor *c = dlt_ag_clamp(x, 1, 3), *s2 = sum_all(c);
  cr_assert_eq(dlt_backward(s2, NULL, false), 0, "%s", dlt_error());
  double w2[3] = {1, 1, 0}; /* the bounds themselves pass the gradient, as torch */
  expect_grad(x, w2, 3, 0);
  dlt_release(m);
  dlt_release(s);
  dlt_release(c);
  dlt_release(s2);
  dlt_release(x);
  dlt_release(three);
}

Test(autograd, cat_of_more_inputs_than_a_node_holds) {
  enum { N = 19 };
  dlt_tensor *ts[N];
  for (int k = 0; k < N; k++) {
    double v[2] = {k, -k};
    ts[k] = vec(2, v, DLT_FLOAT64, k != 4); /* one input without grad */
  }
  dlt_tensor *c = dlt_ag_cat(ts, N, 0), *st = dlt_ag_stack(ts, N, -1);
  cr_assert(c && st, "%s", dlt_error());
  cr_assert_eq(c->shape[0], 2 * N);
  cr_assert(st->ndim == 2 && st->shape[0] == 2 && st->shape[1] == N);
  for (int k = 0; k < N; k++) cr_assert_eq(dlt_get_flat(c, 2 * k + 1), -k);
  double wv[2 * N];
  for (int k = 0; k < 2 * N; k++) wv[k] = k + 1;
  dlt_tensor *w = vec(2 * N, wv, DLT_FLOAT64, false);
  dlt_tensor *p = dlt_ag_binary(DLT_MUL, c, w), *s = sum_all(p), *s2 = sum_all(st), *tot = dlt_ag_binary(DLT_ADD, s, s2);
  cr_assert_eq(dlt_backward(tot, NULL, false), 0, "%s", dlt_error());
  for (int k = 0; k < N; k++) {
    if (k == 4) {
      cr_assert_null(ts[k]->grad);
      continue;
    }
    double want[2] = {wv[2 * k] + 1, wv[2 * k + 1] + 1};
    expect_grad(ts[k], want, 2, 0);
  }
  for (int k = 0; k < N; k++) dlt_release(ts[k]);
  dlt_release(c);
  dlt_release(st);
  dlt_release(w);
  dlt_release(p);
  dlt_release(s);
  dlt_release(s2);
  dlt_release(tot);
}

Test(autograd, contiguous_and_to_dtype_of_matching_tensors_return_the_tensor) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true);
  dlt_tensor *c = dlt_ag_contiguous(x), *d = dlt_ag_to_dtype(x, DLT_FLOAT32), *e = dlt_ag_to_dtype(x, DLT_FLOAT64);
  cr_assert_eq(c, x);
  cr_assert_eq(d, x);
  cr_assert(e->dtype == DLT_FLOAT64 && e->grad_fn);
  dlt_tensor *s = sum_all(e);
  cr_assert_eq(dlt_backward(s, NULL, false), 0, "%s", dlt_error());
  double want[2] = {1, 1};
  expect_grad(x, want, 2, 0);
  cr_assert_eq(x->grad->dtype, DLT_FLOAT32);
  dlt_release(c);
  dlt_release(d);
  dlt_release(e);
  dlt_release(s);
  dlt_release(x);
}

/* ---- gradcheck itself ---- */

static int wrong_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_binary_scalar(DLT_MUL, g, 3, false); /* the true derivative of 2x is 2 */
  return gin[0] ? 0 : -1;
}

static dlt_tensor *f_wrong(void *ud, dlt_tensor *const *x, int n) {
  int err = 0;
  const dlt_tensor *ins[1] = {x[0]};
  dlt_node *node = dlt_node_new("WrongBackward", wrong_backward, 1, ins, &err);
  dlt_tensor *out = dlt_binary_scalar(DLT_MUL, x[0], 2, false);
  dlt_node_attach(node, out);
  return out;
}

static dlt_tensor *f_fails(void *ud, dlt_tensor *const *x, int n) {
  return dlt_fail("my_function: went wrong on call %d", ++*(int *)ud);
}

static dlt_tensor *f_square(void *ud, dlt_tensor *const *x, int n) { return dlt_ag_binary(DLT_MUL, x[0], x[1]); }

Test(gradcheck, detects_a_wrong_gradient_and_names_the_element) {
  double v[4] = {1, 2, 3, 4};
  dlt_tensor *x = mat(2, 2, v, DLT_FLOAT64, true);
  dlt_tensor *in[1] = {x};
  cr_assert_eq(dlt_gradcheck(f_wrong, NULL, in, 1, NULL), -1);
  cr_assert(strstr(dlt_error(), "gradcheck: gradient mismatch for input 1 at element {"), "%s", dlt_error());
  cr_assert(strstr(dlt_error(), "analytical") && strstr(dlt_error(), "numerical"), "%s", dlt_error());
  dlt_gradcheck_opts o;
  dlt_gradcheck_defaults(&o);
  o.per_element = true;
  cr_assert_eq(dlt_gradcheck(f_wrong, NULL, in, 1, &o), -1);
  /* the Jacobian is diagonal 3 vs 2: every diagonal element is off by the same amount,
   * the first one is reported */
  cr_assert(strstr(dlt_error(), "input 1 at element {1,1} of output element {1,1}: analytical 3, numerical 2"), "%s", dlt_error());
  cr_assert(dlt_grad_enabled());
  dlt_release(x);
}

Test(gradcheck, a_failing_callback_fails_cleanly) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT64, true);
  dlt_tensor *in[1] = {x};
  int calls = 0;
  cr_assert_eq(dlt_gradcheck(f_fails, &calls, in, 1, NULL), -1);
  cr_assert_str_eq(dlt_error(), "my_function: went wrong on call 1");
  cr_assert(dlt_grad_enabled());
  cr_assert_null(x->grad, "the caller's tensors are not touched");
  dlt_release(x);
}

Test(gradcheck, passes_a_correct_function_and_needs_an_input_with_grad) {
  double v[2] = {1, 2};
  dlt_tensor *x = vec(2, v, DLT_FLOAT32, true), *y = vec(2, v, DLT_FLOAT32, false);
  dlt_tensor *in[2] = {x, y};
  cr_assert_eq(dlt_gradcheck(f_square, NULL, in, 2, NULL), 0, "%s", dlt_error());
  x->requires_grad = false;
  cr_assert_eq(dlt_gradcheck(f_square, NULL, in, 2, NULL), -1);
  cr_assert_str_eq(dlt_error(), "gradcheck: no input requires grad");
  dlt_set_grad_enabled(false);
  x->requires_grad = true;
  cr_assert_eq(dlt_gradcheck(f_square, NULL, in, 2, NULL), 0, "%s", dlt_error());
  cr_assert(!dlt_grad_enabled(), "grad mode restored");
  dlt_set_grad_enabled(true);
  dlt_release(x);
  dlt_release(y);
}
