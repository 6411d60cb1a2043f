/* fused_loss.c: the losses as one node each. The forward pass computes the loss and,
 * when a gradient is wanted, dloss/dinput in the same loop; backward only scales it by
 * the incoming gradient (a number, or one per element / sample for reduction "none"). */
#include <math.h>
#include <stdlib.h>

#include "autograd/fused.h"

/* g_i * s_i (rows of width w share s_i) into dst, or g * s[0] when s has one element */
static int scale_grad(dlt_tensor *dst, const dlt_tensor *G, const dlt_tensor *gout, int64_t width) {
  dlt_tensor *s = dlt_contiguous((dlt_tensor *)gout);
  if (!s) return -1;
  int64_t n = dlt_numel(dst), ns = dlt_numel(s);
  bool f32 = dst->dtype == DLT_FLOAT32;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = ns == 1 && s->ndim == 0 ? 0 : i / width;
    double sv = f32 ? DLT_F32(s)[k] : DLT_F64(s)[k];
    if (f32) DLT_F32(dst)
    [i] = (float)(DLT_F32(G)[i] * sv);
    else DLT_F64(dst)
      [i] = DLT_F64(G)[i] * sv;
  }
  dlt_release(s);
  return 0;
}

/* saved: 0 dloss/dx, 1 dloss/dt when the target needs it */
typedef struct {
  int64_t width; /* for reduction "none": elements sharing one incoming gradient (a row of C classes, or 1) */
} loss_ctx;

static int loss_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  for (int k = 0; k < n->ninputs; k++) {
    int err;
    dlt_tensor *d = dlt_fused_grad_new(n, k, gin, &err);
    if (err) return -1;
    if (!d) continue;
    const dlt_tensor *G = dlt_node_saved(n, k == 0 ? 0 : 1);
    if (!G || scale_grad(d, G, gout, DLT_NODE_CTX(n, loss_ctx)->width)) return -1;
  }
  return 0;
}

/* The loss tensor: per element/sample (none) or the reduced total as a 0-D tensor. */
static dlt_tensor *finish(dlt_tensor *per, double total, int64_t count, dlt_reduction red, dlt_dtype dt) {
  if (red == DLT_REDUCTION_NONE) return per;
  dlt_release(per);
  return dlt_scalar(red == DLT_REDUCTION_MEAN ? total / (double)count : total, dt);
}

static dlt_tensor *record_loss(const char *name, dlt_tensor *x, dlt_tensor *t, dlt_tensor *y, dlt_tensor *G,
                               dlt_tensor *TG, int64_t width) {
  const dlt_tensor *in[2] = {x, t};
  int err;
  dlt_node *n = dlt_node_new(name, loss_backward, TG ? 2 : 1, in, &err);
  if (err || (n && (dlt_node_save(n, G) < 0 || (TG && dlt_node_save(n, TG) < 0)))) {
    dlt_node_release(n);
    dlt_release(y);
    return NULL;
  }
  if (n) {
    *DLT_NODE_CTX(n, loss_ctx) = (loss_ctx){width};
    dlt_node_attach(n, y);
  }
  if (dlt_fused_anomaly(name, y)) {
    dlt_release(y);
    return NULL;
  }
  return y;
}

static int check_bce_input(const char *fn, const dlt_tensor *x) {
  int64_t n = dlt_numel(x);
  for (int64_t i = 0; i < n; i++) {
    double v = x->dtype == DLT_FLOAT32 ? DLT_F32(x)[i] : DLT_F64(x)[i];
    if (!(v >= 0 && v <= 1))
      return dlt_failn("%s: all elements of input should be between 0 and 1, got %g at element %lld", fn, v, (long long)i + 1);
  }
  return 0;
}

static const char *pointwise_node[] = {"MseLossBackward", "L1LossBackward", "BinaryCrossEntropyBackward",
                                       "BinaryCrossEntropyWithLogitsBackward"};

dlt_tensor *dlt_fused_pointwise_loss(const char *fn, dlt_pointwise_loss kind, dlt_tensor *x, dlt_tensor *t,
                                     dlt_reduction red) {
  char a[128], b[128];
  if (!dlt_same_shape(x, t))
    return dlt_fail("%s: input shape %s and target shape %s differ", fn, dlt_shape_str(x, a, sizeof a), dlt_shape_str(t, b, sizeof b));
  dlt_tensor *xc = dlt_contiguous(x), *tc = xc ? dlt_to_dtype(t, x->dtype) : NULL, *tcc = tc ? dlt_contiguous(tc) : NULL;
  dlt_release(tc);
  if (!tcc || (kind == DLT_LOSS_BCE && check_bce_input(fn, xc))) {
    dlt_release(xc);
    dlt_release(tcc);
    return NULL;
  }
  int64_t n = dlt_numel(x);
  bool gx = dlt_needs_grad(x), gt = dlt_needs_grad(t);
  double gscale = red == DLT_REDUCTION_MEAN ? 1.0 / (double)n : 1.0, total;
  dlt_tensor *per = red == DLT_REDUCTION_NONE ? dlt_empty_like(x) : NULL;
  dlt_tensor *G = gx || gt ? dlt_empty_like(x) : NULL, *TG = gt ? dlt_empty_like(x) : NULL, *y = NULL;
  if ((per || red != DLT_REDUCTION_NONE) && (G || !(gx || gt)) && (TG || !gt)) {
    if (x->dtype == DLT_FLOAT32)
      total = dlt_k_pointwise_loss_f32(DLT_F32(per), DLT_F32(G), DLT_F32(TG), DLT_F32(xc), DLT_F32(tcc), n, kind, gscale);
    else
      total = dlt_k_pointwise_loss_f64(DLT_F64(per), DLT_F64(G), DLT_F64(TG), DLT_F64(xc), DLT_F64(tcc), n, kind, gscale);
    y = finish(per, total, n, red, x->dtype);
    per = NULL;
    if (y && (gx || gt)) y = record_loss(pointwise_node[kind], x, t, y, G, TG, 1);
  }
  dlt_release(per);
  dlt_release(G);
  dlt_release(TG);
  dlt_release(xc);
  dlt_release(tcc);
  return y;
}

/* 0-based class indices from t's values 1..C; NULL with an error naming fn otherwise */
static int64_t *class_indices(const char *fn, const dlt_tensor *t, int64_t N, int64_t C) {
  int64_t *idx = dlt_malloc(sizeof(int64_t) * (size_t)(N ? N : 1));
  if (!idx) return NULL;
  for (int64_t i = 0; i < N; i++) {
    double v = dlt_get_flat(t, i);
    if (v != floor(v)) {
      free(idx);
      return dlt_fail("%s: target %g at element %lld is not a class index (classes are 1..%lld)", fn, v, (long long)i + 1, (long long)C);
    }
    if (v < 1 || v > (double)C) {
      free(idx);
      return dlt_fail("%s: target %g at element %lld is out of range: classes are 1..%lld", fn, v, (long long)i + 1, (long long)C);
    }
    idx[i] = (int64_t)v - 1;
  }
  return idx;
}

/* Reads the shapes: x (N,C) or (C); t (N) / () of classes, or x's shape of probabilities. */
static int class_shapes(const char *fn, bool ce, const dlt_tensor *x, const dlt_tensor *t, int64_t *N, int64_t *C, bool *probs) {
  char a[128], b[128];
  if (x->ndim != 1 && x->ndim != 2)
    return dlt_failn("%s: expected input of shape (N, C) or (C), got %s", fn, dlt_shape_str(x, a, sizeof a));
  *N = x->ndim == 2 ? x->shape[0] : 1;
  *C = x->shape[x->ndim - 1];
  *probs = ce && dlt_same_shape(x, t);
  bool classes = (x->ndim == 2 && t->ndim == 1 && t->shape[0] == *N) || (x->ndim == 1 && dlt_numel(t) == 1 && t->ndim <= 1);
  if (!*probs && !classes)
    return dlt_failn("%s: input shape %s and target shape %s do not match: expected a target of %lld class indices%s", fn,
                     dlt_shape_str(x, a, sizeof a), dlt_shape_str(t, b, sizeof b), (long long)*N,
                     ce ? " or class probabilities of the input's shape" : "");
  if (*C == 0) return dlt_failn("%s: input has no classes (shape %s)", fn, dlt_shape_str(x, a, sizeof a));
  return 0;
}

dlt_tensor *dlt_fused_class_loss(const char *fn, bool ce, dlt_tensor *x, dlt_tensor *t, dlt_reduction red) {
  int64_t N, C;
  bool probs;
  if (class_shapes(fn, ce, x, t, &N, &C, &probs)) return NULL;
  if (probs && dlt_needs_grad(t)) return dlt_fail("%s: the gradient with respect to target probabilities is not supported", fn);
  int64_t *idx = probs ? NULL : class_indices(fn, t, N, C);
  if (!probs && !idx) return NULL;
  dlt_tensor *xc = dlt_contiguous(x), *pt = probs ? dlt_to_dtype(t, x->dtype) : NULL, *pc = pt ? dlt_contiguous(pt) : NULL;
  dlt_release(pt);
  bool gx = dlt_needs_grad(x);
  int64_t shp[1] = {N};
  dlt_tensor *per = red == DLT_REDUCTION_NONE ? dlt_empty(x->ndim == 2 ? 1 : 0, shp, x->dtype) : NULL;
  dlt_tensor *G = gx ? dlt_empty_like(x) : NULL, *y = NULL;
  double gscale = red == DLT_REDUCTION_MEAN ? 1.0 / (double)N : 1.0, total;
  if (xc && (pc || !probs) && (per || red != DLT_REDUCTION_NONE) && (G || !gx)) {
    if (x->dtype == DLT_FLOAT32)
      total = dlt_k_class_loss_f32(DLT_F32(per), DLT_F32(G), DLT_F32(xc), idx, DLT_F32(pc), N, C, ce, gscale);
    else
      total = dlt_k_class_loss_f64(DLT_F64(per), DLT_F64(G), DLT_F64(xc), idx, DLT_F64(pc), N, C, ce, gscale);
    y = finish(per, total, N, red, x->dtype);
    per = NULL;
    if (y && gx) y = record_loss(ce ? "CrossEntropyLossBackward" : "NllLossBackward", x, NULL, y, G, NULL, C);
  }
  free(idx);
  dlt_release(per);
  dlt_release(G);
  dlt_release(xc);
  dlt_release(pc);
  return y;
}
