/* gradcheck.c: analytic gradients (one backward per checked row) against central finite
 * differences (f(x+eps) - f(x-eps)) / 2eps, all in float64. A row is either the scalar
 * sum(output * w) for fixed pseudo-random weights w, or one output element. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "core/ops.h"

void dlt_gradcheck_defaults(dlt_gradcheck_opts *o) {
  o->eps = 1e-6;
  o->atol = 1e-5;
  o->rtol = 1e-3;
  o->per_element = false;
}

typedef struct {
  dlt_gradcheck_fn fn;
  void *ud;
  dlt_tensor **x; /* float64 contiguous copies, the leaves the function sees */
  int n;
  int ndim; /* the output's shape, from the first call */
  int64_t shape[DLT_MAXDIM];
  int64_t m;    /* its number of elements */
  double *w;    /* weights of the weighted row (m) */
  int64_t rows; /* 1, or m with per_element */
} gc_ctx;

/* the rows of one call of fn: vals[rows] */
static int eval_rows(gc_ctx *c, double *vals) {
  dlt_tensor *out = c->fn(c->ud, c->x, c->n);
  if (!out) return -1;
  char a[128], b[128];
  if (out->ndim != c->ndim || memcmp(out->shape, c->shape, sizeof(int64_t) * (size_t)c->ndim)) {
    dlt_fail("gradcheck: the function returned shape %s for perturbed inputs but %s at first",
             dlt_shape_str(out, a, sizeof a), dlt_dims_str(c->ndim, c->shape, b, sizeof b));
    dlt_release(out);
    return -1;
  }
  dlt_tensor *d = dlt_contiguous(out);
  dlt_tensor *f = d ? dlt_to_dtype(d, DLT_FLOAT64) : NULL;
  dlt_release(out);
  dlt_release(d);
  if (!f) return -1;
  const double *p = dlt_data(f);
  if (c->rows == 1 && c->m != 1) {
    double s = 0;
    for (int64_t i = 0; i < c->m; i++) s += p[i] * c->w[i];
    vals[0] = s;
  } else {
    for (int64_t i = 0; i < c->m; i++) vals[i] = c->rows == 1 ? p[i] * c->w[i] : p[i];
  }
  dlt_release(f);
  return 0;
}

/* ana[k][r * numel(x_k) + j]: d row r / d x_k[j] by backward */
static int analytic(gc_ctx *c, dlt_tensor *out, double **ana) {
  if (!out->requires_grad) return 0; /* no input reaches the output: all zeros */
  dlt_tensor *gr = dlt_zeros(c->ndim, c->shape, DLT_FLOAT64);
  if (!gr) return -1;
  double *gp = dlt_data(gr);
  int rc = 0;
  for (int64_t r = 0; r < c->rows && !rc; r++) {
    if (c->rows == 1) memcpy(gp, c->w, sizeof(double) * (size_t)c->m);
    else {
      memset(gp, 0, sizeof(double) * (size_t)c->m);
      gp[r] = 1;
    }
    for (int k = 0; k < c->n; k++) {
      dlt_release(c->x[k]->grad);
      c->x[k]->grad = NULL;
    }
    rc = dlt_backward(out, gr, r + 1 < c->rows);
    for (int k = 0; k < c->n && !rc; k++) {
      if (!ana[k] || !c->x[k]->grad) continue;
      int64_t nk = dlt_numel(c->x[k]);
      for (int64_t j = 0; j < nk; j++) ana[k][r * nk + j] = dlt_get_flat(c->x[k]->grad, j);
    }
  }
  dlt_release(gr);
  return rc;
}

/* num[k][r * nk + j] by central differences, with grad mode off */
static int numeric(gc_ctx *c, int k, double eps, double *num, double *vp, double *vm) {
  int64_t nk = dlt_numel(c->x[k]);
  double *xp = dlt_data(c->x[k]);
  for (int64_t j = 0; j < nk; j++) {
    double x0 = xp[j];
    xp[j] = x0 + eps;
    dlt_bump_version(c->x[k]);
    int rc = eval_rows(c, vp);
    xp[j] = x0 - eps;
    dlt_bump_version(c->x[k]);
    if (!rc) rc = eval_rows(c, vm);
    xp[j] = x0;
    dlt_bump_version(c->x[k]);
    if (rc) return -1;
    for (int64_t r = 0; r < c->rows; r++) num[r * nk + j] = (vp[r] - vm[r]) / (2 * eps);
  }
  return 0;
}

/* "{2,3}": the 1-based multi-index of flat element j of shape */
static char *index_str(int ndim, const int64_t *shape, int64_t j, char *buf, size_t n) {
  int64_t idx[DLT_MAXDIM];
  for (int d = ndim - 1; d >= 0; d--) {
    idx[d] = shape[d] ? j % shape[d] + 1 : 1;
    j = shape[d] ? j / shape[d] : 0;
  }
  return dlt_dims_str(ndim, idx, buf, n);
}

/* compares input k's Jacobians; fails naming the worst element */
static int compare(gc_ctx *c, int k, const double *ana, const double *num, const dlt_gradcheck_opts *o) {
  int64_t nk = dlt_numel(c->x[k]), worst = -1;
  double excess = 0;
  for (int64_t e = 0; e < c->rows * nk; e++) {
    double d = fabs(ana[e] - num[e]) - (o->atol + o->rtol * fabs(num[e]));
    if (d > excess || (isnan(d) && worst < 0) || (isnan(ana[e]) != isnan(num[e]))) {
      excess = isnan(d) ? INFINITY : d;
      worst = e;
    }
  }
  if (worst < 0) return 0;
  char a[128], b[160] = "";
  const dlt_tensor *x = c->x[k];
  int64_t r = worst / nk, j = worst % nk;
  index_str(x->ndim, x->shape, j, a, sizeof a);
  if (c->rows > 1) {
    char oi[128];
    snprintf(b, sizeof b, " of output element %s", index_str(c->ndim, c->shape, r, oi, sizeof oi));
  }
  return dlt_failn(
    "gradcheck: gradient mismatch for input %d at element %s%s: analytical %.10g, numerical %.10g "
    "(atol %g, rtol %g)",
    k + 1, a, b, ana[worst], num[worst], o->atol, o->rtol);
}

static uint64_t mix(uint64_t *s) { /* splitmix64: weights that do not touch the global RNG */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int setup(gc_ctx *c, dlt_tensor *const *inputs, int n) {
  int checked = 0;
  for (int k = 0; k < n; k++) {
    if (!inputs[k]) return dlt_failn("gradcheck: input %d is not a tensor", k + 1);
    dlt_tensor *x = dlt_empty(inputs[k]->ndim, inputs[k]->shape, DLT_FLOAT64);
    if (!x) return -1;
    c->x[k] = x;
    if (dlt_copy_(x, inputs[k])) return -1;
    x->requires_grad = inputs[k]->requires_grad;
    checked += x->requires_grad;
  }
  if (!checked) return dlt_failn("gradcheck: no input requires grad");
  return 0;
}

static int run(gc_ctx *c, const dlt_gradcheck_opts *o, double **ana, double **num) {
  dlt_set_grad_enabled(true);
  dlt_tensor *out = c->fn(c->ud, c->x, c->n);
  if (!out) return -1;
  c->ndim = out->ndim;
  memcpy(c->shape, out->shape, sizeof c->shape);
  c->m = dlt_numel(out);
  c->rows = o->per_element ? c->m : 1;
  int rc = -1;
  double *vp = NULL, *vm = NULL;
  c->w = dlt_malloc(sizeof(double) * (size_t)(c->m ? c->m : 1));
  if (c->w) {
    uint64_t s = 0x5eed;
    for (int64_t i = 0; i < c->m; i++) c->w[i] = (0.5 + (double)(mix(&s) >> 11) * 0x1p-53) * (mix(&s) & 1 ? 1 : -1);
    rc = 0;
  }
  for (int k = 0; k < c->n && !rc; k++) {
    if (!c->x[k]->requires_grad) continue;
    size_t len = (size_t)(c->rows * dlt_numel(c->x[k]));
    ana[k] = dlt_calloc(len ? len : 1, sizeof(double));
    num[k] = dlt_calloc(len ? len : 1, sizeof(double));
    if (!ana[k] || !num[k]) rc = -1;
  }
  if (!rc) rc = analytic(c, out, ana);
  dlt_release(out);
  if (!rc) {
    vp = dlt_malloc(sizeof(double) * (size_t)(c->rows ? c->rows : 1));
    vm = dlt_malloc(sizeof(double) * (size_t)(c->rows ? c->rows : 1));
    if (!vp || !vm) rc = -1;
  }
  dlt_set_grad_enabled(false);
  for (int k = 0; k < c->n && !rc; k++) {
    if (!c->x[k]->requires_grad) continue;
    rc = numeric(c, k, o->eps, num[k], vp, vm);
    if (!rc) rc = compare(c, k, ana[k], num[k], o);
  }
  free(vp);
  free(vm);
  return rc;
}

int dlt_gradcheck(dlt_gradcheck_fn fn, void *ud, dlt_tensor *const *inputs, int n, const dlt_gradcheck_opts *opts) {
  dlt_gradcheck_opts o;
  if (opts) o = *opts;
  else dlt_gradcheck_defaults(&o);
  if (n < 1) return dlt_failn("gradcheck: no inputs");
  if (!(o.eps > 0)) return dlt_failn("gradcheck: eps must be positive (got %g)", o.eps);
  bool mode = dlt_grad_enabled();
  gc_ctx c = {.fn = fn, .ud = ud, .n = n};
  c.x = dlt_calloc((size_t)n, sizeof *c.x);
  double **ana = dlt_calloc((size_t)n, sizeof *ana), **num = dlt_calloc((size_t)n, sizeof *num);
  int rc = c.x && ana && num ? setup(&c, inputs, n) : -1;
  if (!rc) rc = run(&c, &o, ana, num);
  for (int k = 0; k < n; k++) {
    if (c.x) dlt_release(c.x[k]);
    if (ana) free(ana[k]);
    if (num) free(num[k]);
  }
  free(c.x);
  free(ana);
  free(num);
  free(c.w);
  dlt_set_grad_enabled(mode);
  return rc;
}
