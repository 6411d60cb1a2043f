/* functions_views.c: differentiable views and copies (view, reshape, transpose, permute,
 * squeeze/unsqueeze, narrow, select, expand, flatten, contiguous, clone, dtype casts)
 * and detach. Backward maps the gradient back: the inverse view, or a scatter into zeros
 * of the input's shape for narrow/select, or a sum for expand. */
#include <string.h>

#include "autograd/functions_common.h"

/* Records node name for a view/copy out of t (out may be NULL after a failed forward).
 * *node (when node is not NULL) gets the recorded node, for the caller to fill its
 * context, or NULL when none was recorded. */
static dlt_tensor *record(dlt_tensor *t, dlt_tensor *out, const char *name, dlt_backward_fn fn, dlt_node **node) {
  if (node) *node = NULL;
  if (!out || out == t) return out; /* t itself: already carries its own history */
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new(name, fn, 1, ins, &err);
  if (err) {
    dlt_release(out);
    return NULL;
  }
  if (n) {
    if (node) *node = n;
    dlt_node_attach(n, out);
  }
  return out;
}

/* ---- shape changes: the gradient is reshaped back ---- */

static int reshape_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_reshape((dlt_tensor *)g, n->in_ndim[0], n->in_shape[0]));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_view(dlt_tensor *t, int ndim, const int64_t *shape) {
  return record(t, dlt_view(t, ndim, shape), "ViewBackward", reshape_backward, NULL);
}
dlt_tensor *dlt_ag_reshape(dlt_tensor *t, int ndim, const int64_t *shape) {
  return record(t, dlt_reshape(t, ndim, shape), "ReshapeBackward", reshape_backward, NULL);
}
dlt_tensor *dlt_ag_unsqueeze(dlt_tensor *t, int dim) {
  return record(t, dlt_unsqueeze(t, dim), "UnsqueezeBackward", reshape_backward, NULL);
}
dlt_tensor *dlt_ag_squeeze(dlt_tensor *t, int dim) {
  return record(t, dlt_squeeze(t, dim), "SqueezeBackward", reshape_backward, NULL);
}
dlt_tensor *dlt_ag_squeeze_all(dlt_tensor *t) {
  return record(t, dlt_squeeze_all(t), "SqueezeBackward", reshape_backward, NULL);
}
dlt_tensor *dlt_ag_flatten(dlt_tensor *t) {
  return record(t, dlt_flatten(t), "FlattenBackward", reshape_backward, NULL);
}

/* ---- transpose, permute ---- */

typedef struct {
  int d1, d2;
} transpose_ctx; /* the two dims, 0-based */

static int transpose_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const transpose_ctx *c = DLT_NODE_CTX(n, transpose_ctx);
  gin[0] = dlt_agi_to_input(n, 0, dlt_transpose((dlt_tensor *)g, c->d1, c->d2));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_transpose(dlt_tensor *t, int d1, int d2) {
  dlt_node *n;
  dlt_tensor *out = record(t, dlt_transpose(t, d1, d2), "TransposeBackward", transpose_backward, &n);
  if (n && t->ndim > 0)
    *DLT_NODE_CTX(n, transpose_ctx) = (transpose_ctx){dlt_wrap_dim("transpose", d1, t->ndim),
                                                      dlt_wrap_dim("transpose", d2, t->ndim)};
  return out;
}

typedef struct {
  int8_t dims[DLT_MAXDIM];
} permute_ctx; /* the permutation, 0-based */

static int permute_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const permute_ctx *c = DLT_NODE_CTX(n, permute_ctx);
  int inv[DLT_MAXDIM];
  for (int k = 0; k < g->ndim; k++) inv[c->dims[k]] = k;
  gin[0] = dlt_agi_to_input(n, 0, dlt_permute((dlt_tensor *)g, inv));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_permute(dlt_tensor *t, const int *dims) {
  dlt_node *n;
  dlt_tensor *out = record(t, dlt_permute(t, dims), "PermuteBackward", permute_backward, &n);
  if (n) {
    permute_ctx *c = DLT_NODE_CTX(n, permute_ctx);
    for (int k = 0; k < t->ndim && k < DLT_MAXDIM; k++) c->dims[k] = (int8_t)(dims[k] < 0 ? dims[k] + t->ndim : dims[k]);
  }
  return out;
}

/* ---- narrow, select: the gradient lands in zeros of the input's shape ---- */

typedef struct {
  int dim;
  bool select; /* select at start; else narrow from start for len */
  int64_t start, len;
  int64_t step; /* a slice's step (1 for narrow and select) */
} slice_ctx;

static int slice_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const slice_ctx *c = DLT_NODE_CTX(n, slice_ctx);
  dlt_tensor *z = dlt_zeros(n->in_ndim[0], n->in_shape[0], g->dtype);
  if (!z) return -1;
  dlt_tensor *v = c->select ? dlt_select(z, c->dim, c->start)
                            : dlt_slice(z, c->dim, c->start, c->len, c->step);
  int rc = v ? dlt_copy_(v, g) : -1;
  dlt_release(v);
  if (rc) {
    dlt_release(z);
    return -1;
  }
  gin[0] = dlt_agi_to_input(n, 0, z);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_narrow(dlt_tensor *t, int dim, int64_t start, int64_t len) {
  dlt_node *n;
  dlt_tensor *out = record(t, dlt_narrow(t, dim, start, len), "NarrowBackward", slice_backward, &n);
  if (n) *DLT_NODE_CTX(n, slice_ctx) = (slice_ctx){dlt_wrap_dim("narrow", dim, t->ndim), false, start, len, 1};
  return out;
}

dlt_tensor *dlt_ag_slice(dlt_tensor *t, int dim, int64_t start, int64_t len, int64_t step) {
  if (step == 1) return dlt_ag_narrow(t, dim, start, len);
  dlt_node *n;
  dlt_tensor *out = record(t, dlt_slice(t, dim, start, len, step), "SliceBackward", slice_backward, &n);
  if (n) *DLT_NODE_CTX(n, slice_ctx) = (slice_ctx){dlt_wrap_dim("slice", dim, t->ndim), false, start, len, step};
  return out;
}

dlt_tensor *dlt_ag_select(dlt_tensor *t, int dim, int64_t i) {
  dlt_node *n;
  dlt_tensor *out = record(t, dlt_select(t, dim, i), "SelectBackward", slice_backward, &n);
  if (n) *DLT_NODE_CTX(n, slice_ctx) = (slice_ctx){dlt_wrap_dim("select", dim, t->ndim), true, i, 0, 1};
  return out;
}

/* ---- expand: the gradient sums over the broadcast dims ---- */

static int expand_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_retain((dlt_tensor *)g));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_expand(dlt_tensor *t, int ndim, const int64_t *shape) {
  return record(t, dlt_expand(t, ndim, shape), "ExpandBackward", expand_backward, NULL);
}

/* ---- copies: the gradient passes through (cast back to the input's dtype) ---- */

static int identity_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_retain((dlt_tensor *)g));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_contiguous(dlt_tensor *t) {
  if (dlt_is_contiguous(t)) return dlt_retain(t); /* t itself, as PyTorch */
  return record(t, dlt_clone(t), "CloneBackward", identity_backward, NULL);
}

dlt_tensor *dlt_ag_clone(dlt_tensor *t) { return record(t, dlt_clone(t), "CloneBackward", identity_backward, NULL); }

dlt_tensor *dlt_ag_to_dtype(dlt_tensor *t, dlt_dtype dtype) {
  if (t->dtype == dtype) return dlt_retain(t);
  return record(t, dlt_to_dtype(t, dtype), "ToCopyBackward", identity_backward, NULL);
}

dlt_tensor *dlt_detach(dlt_tensor *t) { return dlt_alias(t); }
