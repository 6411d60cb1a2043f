/* functions_reduce.c: differentiable reductions (sum, mean, prod, max/min with and
 * without a dim, var, std, norm) and softmax / log_softmax. */
#include <math.h>
#include <string.h>

#include "autograd/functions_common.h"

static inline double rd(const void *p, dlt_dtype d, int64_t k) {
  return d == DLT_FLOAT32 ? (double)((const float *)p)[k] : ((const double *)p)[k];
}
static inline void wr(void *p, dlt_dtype d, int64_t k, double v) {
  if (d == DLT_FLOAT32) ((float *)p)[k] = (float)v;
  else ((double *)p)[k] = v;
}

static double sgn_d(double x) { return (x > 0) - (x < 0); }

static int wrap_reduce_dim(const char *fn, int dim, int ndim) {
  return dim == DLT_ALLDIMS ? DLT_ALLDIMS : dlt_wrap_dim(fn, dim, ndim);
}

/* ---- prod: d/dx_k prod_j x_j = prod_{j != k} x_j, as prefix * suffix (exact with zeros) ---- */

/* others[k] = product of the other elements of k's slice; a's dim moved last, contiguous,
 * slices of length L */
static void prod_others(const dlt_tensor *ac, int64_t L, dlt_tensor *others) {
  int64_t S = L ? dlt_numel(ac) / L : 0;
  const void *x = dlt_data(ac);
  void *o = dlt_data(others);
  for (int64_t s = 0; s < S; s++) {
    int64_t base = s * L;
    double pre = 1.0;
    for (int64_t k = 0; k < L; k++) { /* o = prefix product before k */
      wr(o, others->dtype, base + k, pre);
      pre *= rd(x, ac->dtype, base + k);
    }
    double suf = 1.0;
    for (int64_t k = L - 1; k >= 0; k--) {
      wr(o, others->dtype, base + k, rd(o, others->dtype, base + k) * suf);
      suf *= rd(x, ac->dtype, base + k);
    }
  }
}

static dlt_tensor *prod_grad(const dlt_tensor *a, const dlt_tensor *ge, int dim) {
  int last = a->ndim - 1;
  bool all = dim == DLT_ALLDIMS || a->ndim == 0;
  dlt_tensor *moved = all ? dlt_alias((dlt_tensor *)a) : dlt_transpose((dlt_tensor *)a, dim, last);
  dlt_tensor *ac = moved ? dlt_contiguous(moved) : NULL;
  dlt_tensor *others = ac ? dlt_empty(ac->ndim, ac->shape, ac->dtype) : NULL;
  dlt_tensor *back = NULL, *gin = NULL;
  if (others) {
    prod_others(ac, all ? dlt_numel(ac) : ac->shape[last], others);
    back = all ? dlt_alias(others) : dlt_transpose(others, dim, last);
  }
  if (back) gin = dlt_binary(DLT_MUL, back, ge);
  dlt_release(moved);
  dlt_release(ac);
  dlt_release(others);
  dlt_release(back);
  return gin;
}

/* ---- max/min over everything: ties share the gradient evenly (PyTorch's rule) ---- */

static double d_even(double g, double x, double y, const double *p) {
  bool hit = isnan(p[0]) ? isnan(x) : x == p[0];
  return hit ? g / p[1] : 0.0;
}

static dlt_tensor *extreme_all_grad(const dlt_tensor *a, const dlt_tensor *out, const dlt_tensor *ge) {
  double p[2] = {dlt_item(out), 0};
  dlt_tensor *ac = dlt_contiguous((dlt_tensor *)a);
  if (!ac) return NULL;
  int64_t n = dlt_numel(ac);
  const void *x = dlt_data(ac);
  for (int64_t k = 0; k < n; k++) {
    double v = rd(x, ac->dtype, k);
    p[1] += isnan(p[0]) ? isnan(v) : v == p[0];
  }
  dlt_release(ac);
  return dlt_agi_map(d_even, p, ge, a, NULL, ge->dtype);
}

/* ---- sum, mean, prod, max/min (all) ---- */

typedef struct {
  dlt_redop op;
  int dim; /* or DLT_ALLDIMS */
  bool keepdim;
  int a, out; /* saved slots of the input and the output, -1 when not needed */
} reduce_ctx;

static int reduce_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const reduce_ctx *c = DLT_NODE_CTX(n, reduce_ctx);
  dlt_redop op = c->op;
  int dim = c->dim;
  dlt_tensor *ge = dlt_agi_unreduce(n, 0, g, dim, c->keepdim), *d = NULL;
  if (!ge) return -1;
  const dlt_tensor *a, *out;
  if (dlt_agi_saved_opt(n, c->a, &a) || dlt_agi_saved_opt(n, c->out, &out)) {
    dlt_release(ge);
    return -1;
  }
  switch (op) {
  case DLT_RSUM: d = dlt_retain(ge); break;
  case DLT_RMEAN: d = dlt_binary_scalar(DLT_DIV, ge, (double)dlt_agi_reduced_count(n, 0, dim), false); break;
  case DLT_RPROD: d = prod_grad(a, ge, dim); break;
  case DLT_RMAX:
  case DLT_RMIN: d = extreme_all_grad(a, out, ge); break;
  default: d = dlt_fail("backward: %s has no gradient", n->name);
  }
  dlt_release(ge);
  gin[0] = dlt_agi_to_input(n, 0, d);
  return gin[0] ? 0 : -1;
}

static const char *reduce_name(dlt_redop op) {
  switch (op) {
  case DLT_RSUM: return "SumBackward";
  case DLT_RMEAN: return "MeanBackward";
  case DLT_RPROD: return "ProdBackward";
  case DLT_RMAX: return "MaxBackward";
  default: return "MinBackward";
  }
}

dlt_tensor *dlt_ag_reduce(dlt_redop op, dlt_tensor *t, int dim, bool keepdim) {
  if ((op == DLT_RMAX || op == DLT_RMIN) && dim != DLT_ALLDIMS)
    return dlt_ag_max_dim(t, dim, keepdim, op == DLT_RMIN, NULL);
  bool diff = op == DLT_RSUM || op == DLT_RMEAN || op == DLT_RPROD || op == DLT_RMAX || op == DLT_RMIN;
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = diff ? dlt_node_new(reduce_name(op), reduce_backward, 1, ins, &err) : NULL;
  if (err) return NULL;
  dlt_tensor *out = dlt_reduce(op, t, dim, keepdim);
  if (out && n) {
    reduce_ctx *c = DLT_NODE_CTX(n, reduce_ctx);
    *c = (reduce_ctx){op, wrap_reduce_dim("reduce", dim, t->ndim), keepdim, -1, -1};
    bool need_a = op == DLT_RPROD || op == DLT_RMAX || op == DLT_RMIN, need_out = op == DLT_RMAX || op == DLT_RMIN;
    if ((need_a && dlt_agi_save(n, &c->a, t)) || (need_out && dlt_agi_save(n, &c->out, out))) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, reduce_name(op));
}

/* ---- max/min along a dim: the gradient goes to the selected index ---- */

typedef struct {
  int dim;
  bool keepdim;
} dim_ctx; /* also var/std's and norm's */

/* saved 0 the indices (0-based, int64) */
static int max_dim_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const dim_ctx *c = DLT_NODE_CTX(n, dim_ctx);
  const dlt_tensor *idx = dlt_node_saved(n, 0);
  if (!idx) return -1;
  int dim = c->dim, nd = n->in_ndim[0];
  const int64_t *shape = n->in_shape[0];
  bool unsq = !c->keepdim && nd > 0;
  dlt_tensor *gk = unsq ? dlt_unsqueeze((dlt_tensor *)g, dim) : dlt_alias((dlt_tensor *)g);
  dlt_tensor *ik = unsq ? dlt_unsqueeze((dlt_tensor *)idx, dim) : dlt_alias((dlt_tensor *)idx);
  dlt_tensor *gc = gk ? dlt_contiguous(gk) : NULL, *ic = ik ? dlt_contiguous(ik) : NULL;
  dlt_tensor *out = gc && ic ? dlt_zeros(nd, shape, g->dtype) : NULL;
  if (out) {
    /* input viewed as (outer, L, inner), g and indices as (outer, 1, inner) */
    int64_t outer = 1, inner = 1, L = nd ? shape[dim] : 1;
    for (int d = 0; d < dim; d++) outer *= shape[d];
    for (int d = dim + 1; d < nd; d++) inner *= shape[d];
    const void *gp = dlt_data(gc), *ip = dlt_data(ic);
    void *op = dlt_data(out);
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < inner; j++) {
        int64_t k = o * inner + j, at = ((const int64_t *)ip)[k];
        wr(op, out->dtype, (o * L + at) * inner + j, rd(gp, gc->dtype, k));
      }
  }
  dlt_release(gk);
  dlt_release(ik);
  dlt_release(gc);
  dlt_release(ic);
  gin[0] = dlt_agi_to_input(n, 0, out);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_max_dim(dlt_tensor *t, int dim, bool keepdim, bool is_min, dlt_tensor **indices) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new(is_min ? "MinBackward" : "MaxBackward", max_dim_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *idx = NULL;
  dlt_tensor *out = dlt_max_dim(t, dim, keepdim, is_min, &idx);
  if (out && n) {
    *DLT_NODE_CTX(n, dim_ctx) = (dim_ctx){dlt_wrap_dim(is_min ? "min" : "max", dim, t->ndim), keepdim};
    if (dlt_node_save(n, idx) < 0) {
      dlt_release(out);
      out = NULL;
    }
  }
  out = dlt_agi_finish(out, n, is_min ? "Min" : "Max");
  if (out && indices) *indices = idx;
  else dlt_release(idx);
  return out;
}

/* ---- var, std ---- */

/* var: d/dx_k = 2 (x_k - mean) / (N - c); std: that over 2 std, 0 where std == 0 */
static double d_var(double g, double x, double y, const double *p) { return g * 2 * x / p[0]; }
static double d_std(double g, double x, double y, const double *p) { return y == 0 ? 0.0 : g * x / (p[0] * y); }

typedef struct {
  dim_ctx d;
  bool unbiased, is_std;
} var_ctx;

/* saved 0 the input, 1 the output (std only) */
static int var_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const var_ctx *c = DLT_NODE_CTX(n, var_ctx);
  const dlt_tensor *a = dlt_node_saved(n, 0), *out = c->is_std ? dlt_node_saved(n, 1) : NULL;
  if (!a || (c->is_std && !out)) return -1;
  int dim = c->d.dim;
  bool keep = c->d.keepdim;
  double p = (double)dlt_agi_reduced_count(n, 0, dim) - (c->unbiased ? 1 : 0);
  dlt_tensor *mean = dlt_reduce(DLT_RMEAN, a, dim, true);
  dlt_tensor *dev = mean ? dlt_binary(DLT_SUB, a, mean) : NULL;
  dlt_tensor *ge = dlt_agi_unreduce(n, 0, g, dim, keep), *oe = out ? dlt_agi_unreduce(n, 0, out, dim, keep) : NULL;
  dlt_tensor *d = NULL;
  if (dev && ge && (oe || !out)) d = dlt_agi_map(c->is_std ? d_std : d_var, &p, ge, dev, oe, g->dtype);
  dlt_release(mean);
  dlt_release(dev);
  dlt_release(ge);
  dlt_release(oe);
  gin[0] = dlt_agi_to_input(n, 0, d);
  return gin[0] ? 0 : -1;
}

static dlt_tensor *var_common(dlt_tensor *t, int dim, bool keepdim, bool unbiased, bool is_std) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new(is_std ? "StdBackward" : "VarBackward", var_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_var(t, dim, keepdim, unbiased);
  if (out && is_std) {
    dlt_tensor *s = dlt_unary(DLT_SQRT, out);
    dlt_release(out);
    out = s;
  }
  if (out && n) {
    *DLT_NODE_CTX(n, var_ctx) = (var_ctx){{wrap_reduce_dim(is_std ? "std" : "var", dim, t->ndim), keepdim}, unbiased, is_std};
    if (dlt_node_save(n, t) < 0 || (is_std && dlt_node_save(n, out) < 0)) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, is_std ? "Std" : "Var");
}

dlt_tensor *dlt_ag_var(dlt_tensor *t, int dim, bool keepdim, bool unbiased) { return var_common(t, dim, keepdim, unbiased, false); }
dlt_tensor *dlt_ag_std(dlt_tensor *t, int dim, bool keepdim, bool unbiased) { return var_common(t, dim, keepdim, unbiased, true); }

/* ---- norm ---- */

/* p-norm gradients as PyTorch's norm_backward; y is the norm, p[0] the order */
static double d_norm(double g, double x, double y, const double *p) {
  double q = p[0], ax = fabs(x);
  if (q == 1) return g * sgn_d(x);
  if (q == 2) return y == 0 ? 0.0 : g * x / y;
  if (q < 1) return x == 0 ? 0.0 : g * sgn_d(x) * pow(ax, q - 1) * pow(y, 1 - q);
  if (y == 0) return 0.0;
  return q < 2 ? g * sgn_d(x) * pow(ax, q - 1) / pow(y, q - 1) : g * x * pow(ax, q - 2) / pow(y, q - 1);
}

/* inf / -inf norms: g sign(x) shared evenly among the elements with |x| == norm */
static double d_norm_hit(double g, double x, double y, const double *p) { return fabs(x) == y ? g * sgn_d(x) : 0.0; }
static double d_hit(double g, double x, double y, const double *p) { return fabs(x) == y; }

static dlt_tensor *norm_inf_grad(const dlt_tensor *a, const dlt_tensor *ge, const dlt_tensor *ne, int dim) {
  dlt_tensor *num = dlt_agi_map(d_norm_hit, NULL, ge, a, ne, ge->dtype);
  dlt_tensor *mask = dlt_agi_map(d_hit, NULL, ge, a, ne, ge->dtype);
  dlt_tensor *cnt = mask ? dlt_reduce(DLT_RSUM, mask, dim, true) : NULL;
  dlt_tensor *d = num && cnt ? dlt_binary(DLT_DIV, num, cnt) : NULL;
  dlt_release(num);
  dlt_release(mask);
  dlt_release(cnt);
  return d;
}

typedef struct {
  dim_ctx d;
  double p; /* the order */
} norm_ctx;

/* saved 0 a, 1 the norm */
static int norm_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const norm_ctx *c = DLT_NODE_CTX(n, norm_ctx);
  const dlt_tensor *a = dlt_node_saved(n, 0), *out = a ? dlt_node_saved(n, 1) : NULL;
  if (!out) return -1;
  int dim = c->d.dim;
  double p = c->p;
  dlt_tensor *ge = dlt_agi_unreduce(n, 0, g, dim, c->d.keepdim), *ne = dlt_agi_unreduce(n, 0, out, dim, c->d.keepdim), *d = NULL;
  if (ge && ne) {
    if (p == 0) d = dlt_zeros(ge->ndim, ge->shape, ge->dtype);
    else if (isinf(p)) d = norm_inf_grad(a, ge, ne, dim);
    else d = dlt_agi_map(d_norm, &p, ge, a, ne, ge->dtype);
  }
  dlt_release(ge);
  dlt_release(ne);
  gin[0] = dlt_agi_to_input(n, 0, d);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_norm(dlt_tensor *t, double p, int dim, bool keepdim) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new("NormBackward", norm_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_norm(t, p, dim, keepdim);
  if (out && n) {
    *DLT_NODE_CTX(n, norm_ctx) = (norm_ctx){{wrap_reduce_dim("norm", dim, t->ndim), keepdim}, p};
    if (dlt_node_save(n, t) < 0 || dlt_node_save(n, out) < 0) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, "Norm");
}

/* ---- softmax, log_softmax (y the output, sums over dim) ----
 * softmax:     dx = y * (g - sum(g * y))
 * log_softmax: dx = g - exp(y) * sum(g) */

typedef struct {
  int dim;
  bool log;
} softmax_ctx;

/* saved 0 the output */
static int softmax_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const softmax_ctx *c = DLT_NODE_CTX(n, softmax_ctx);
  const dlt_tensor *y = dlt_node_saved(n, 0);
  if (!y) return -1;
  int dim = c->dim;
  dlt_tensor *d = NULL;
  if (c->log) {
    dlt_tensor *s = dlt_reduce(DLT_RSUM, g, dim, true), *e = dlt_unary(DLT_EXP, y);
    dlt_tensor *es = s && e ? dlt_binary(DLT_MUL, e, s) : NULL;
    d = es ? dlt_binary(DLT_SUB, g, es) : NULL;
    dlt_release(s);
    dlt_release(e);
    dlt_release(es);
  } else {
    dlt_tensor *gy = dlt_binary(DLT_MUL, g, y), *s = gy ? dlt_reduce(DLT_RSUM, gy, dim, true) : NULL;
    dlt_tensor *ys = s ? dlt_binary(DLT_MUL, y, s) : NULL;
    d = ys ? dlt_binary(DLT_SUB, gy, ys) : NULL;
    dlt_release(gy);
    dlt_release(s);
    dlt_release(ys);
  }
  gin[0] = dlt_agi_to_input(n, 0, d);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_softmax(dlt_tensor *t, int dim, bool log) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new(log ? "LogSoftmaxBackward" : "SoftmaxBackward", softmax_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_softmax(t, dim, log);
  if (out && n) {
    *DLT_NODE_CTX(n, softmax_ctx) = (softmax_ctx){dlt_wrap_dim(log ? "log_softmax" : "softmax", dim, t->ndim), log};
    if (dlt_node_save(n, out) < 0) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, log ? "LogSoftmax" : "Softmax");
}
