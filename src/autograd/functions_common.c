/* functions_common.c: the helpers of functions_common.h (finishing recorded ops,
 * reducing gradients to input shapes, the flat elementwise backward loop). */
#include <string.h>

#include "autograd/functions_common.h"

dlt_tensor *dlt_agi_finish(dlt_tensor *out, dlt_node *n, const char *fwd) {
  if (!out) {
    dlt_node_release(n);
    return NULL;
  }
  dlt_node_attach(n, out);
  if (dlt_anomaly_check(fwd, "forward", out)) {
    dlt_release(out);
    return NULL;
  }
  return out;
}

int dlt_agi_save(dlt_node *n, int *slot, const dlt_tensor *t) {
  *slot = dlt_node_save(n, t);
  return *slot < 0 ? -1 : 0;
}

const dlt_tensor *dlt_agi_saved(dlt_node *n, int slot) {
  if (slot < 0) return dlt_fail("backward: %s lacks a saved tensor", n->name);
  return dlt_node_saved(n, slot);
}

int dlt_agi_saved_opt(dlt_node *n, int slot, const dlt_tensor **t) {
  *t = slot < 0 ? NULL : dlt_node_saved(n, slot);
  return slot >= 0 && !*t ? -1 : 0;
}

dlt_tensor *dlt_agi_to_input(dlt_node *n, int i, dlt_tensor *g) {
  if (!g) return NULL;
  int nd = n->in_ndim[i];
  if (g->ndim != nd || memcmp(g->shape, n->in_shape[i], sizeof(int64_t) * (size_t)nd)) {
    dlt_tensor *s = dlt_sum_to(g, nd, n->in_shape[i]);
    dlt_release(g);
    if (!s) return NULL;
    g = s;
  }
  if (g->dtype != n->in_dtype[i]) {
    dlt_tensor *c = dlt_to_dtype(g, n->in_dtype[i]);
    dlt_release(g);
    g = c;
  }
  return g;
}

dlt_tensor *dlt_agi_unreduce(const dlt_node *n, int i, const dlt_tensor *g, int dim, bool keepdim) {
  dlt_tensor *gt = (dlt_tensor *)g;
  bool unsq = dim != DLT_ALLDIMS && !keepdim && n->in_ndim[i] > 0;
  dlt_tensor *v = unsq ? dlt_unsqueeze(gt, dim) : dlt_alias(gt);
  if (!v) return NULL;
  dlt_tensor *e = dlt_expand(v, n->in_ndim[i], n->in_shape[i]);
  dlt_release(v);
  return e;
}

int64_t dlt_agi_reduced_count(const dlt_node *n, int i, int dim) {
  if (dim != DLT_ALLDIMS && n->in_ndim[i] > 0) return n->in_shape[i][dim];
  int64_t c = 1;
  for (int d = 0; d < n->in_ndim[i]; d++) c *= n->in_shape[i][d];
  return c;
}

static inline double rd(const void *p, dlt_dtype d, int64_t k) {
  return d == DLT_FLOAT32 ? (double)((const float *)p)[k] : ((const double *)p)[k];
}

/* x broadcast to g's shape and made contiguous (NULL stays NULL; *fail set on error) */
static dlt_tensor *dense_like(const dlt_tensor *x, const dlt_tensor *g, bool *fail) {
  if (!x) return NULL;
  dlt_tensor *e = dlt_expand((dlt_tensor *)x, g->ndim, g->shape);
  dlt_tensor *c = e ? dlt_contiguous(e) : NULL;
  dlt_release(e);
  if (!c) *fail = true;
  return c;
}

dlt_tensor *dlt_agi_map(dlt_agi_fn f, const double *p, const dlt_tensor *g, const dlt_tensor *x,
                        const dlt_tensor *y, dlt_dtype dtype) {
  bool fail = false;
  dlt_tensor *gc = dense_like(g, g, &fail), *xc = dense_like(x, g, &fail), *yc = dense_like(y, g, &fail);
  dlt_tensor *out = fail ? NULL : dlt_empty(g->ndim, g->shape, dtype);
  if (out) {
    int64_t n = dlt_numel(out);
    const void *gp = dlt_data(gc), *xp = xc ? dlt_data(xc) : NULL, *yp = yc ? dlt_data(yc) : NULL;
    dlt_dtype gd = gc->dtype, xd = xc ? xc->dtype : gd, yd = yc ? yc->dtype : gd;
    if (dtype == DLT_FLOAT32) {
      float *o = dlt_data(out);
      for (int64_t k = 0; k < n; k++)
        o[k] = (float)f(rd(gp, gd, k), xp ? rd(xp, xd, k) : 0.0, yp ? rd(yp, yd, k) : 0.0, p);
    } else {
      double *o = dlt_data(out);
      for (int64_t k = 0; k < n; k++)
        o[k] = f(rd(gp, gd, k), xp ? rd(xp, xd, k) : 0.0, yp ? rd(yp, yd, k) : 0.0, p);
    }
  }
  dlt_release(gc);
  dlt_release(xc);
  dlt_release(yc);
  return out;
}
