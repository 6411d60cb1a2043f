/* functions_views.c: differentiable views and copies (view, reshape, transpose, permute,
 * squeeze/unsqueeze, narrow, select, expand, flatten, contiguous, clone, dtype casts)
 * and detach. Backward maps the gradient back: the inverse view, or a scatter into zeros
 * of the input's shape for narrow/select, or a sum for expand. */
#include <string.h>

#include "autograd/functions_common.h"

/* Records node name for a view/copy out of t (out may be NULL after a failed forward). */
static dlt_tensor *record(dlt_tensor *t, dlt_tensor *out, const char *name, dlt_backward_fn fn, int64_t i0, int64_t i1) {
  if (!out || out == t) return out;  /* t itself: already carries its own history */
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new(name, fn, 1, ins, &err);
  if (err) {
    dlt_release(out);
    return NULL;
  }
  if (n) {
    n->i[0] = i0;
    n->i[1] = i1;
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
  return record(t, dlt_view(t, ndim, shape), "ViewBackward", reshape_backward, 0, 0);
}
dlt_tensor *dlt_ag_reshape(dlt_tensor *t, int ndim, const int64_t *shape) {
  return record(t, dlt_reshape(t, ndim, shape), "ReshapeBackward", reshape_backward, 0, 0);
}
dlt_tensor *dlt_ag_unsqueeze(dlt_tensor *t, int dim) {
  return record(t, dlt_unsqueeze(t, dim), "UnsqueezeBackward", reshape_backward, 0, 0);
}
dlt_tensor *dlt_ag_squeeze(dlt_tensor *t, int dim) {
  return record(t, dlt_squeeze(t, dim), "SqueezeBackward", reshape_backward, 0, 0);
}
dlt_tensor *dlt_ag_squeeze_all(dlt_tensor *t) {
  return record(t, dlt_squeeze_all(t), "SqueezeBackward", reshape_backward, 0, 0);
}
dlt_tensor *dlt_ag_flatten(dlt_tensor *t) {
  return record(t, dlt_flatten(t), "FlattenBackward", reshape_backward, 0, 0);
}

/* ---- transpose, permute ---- */

/* i[0], i[1] the two dims */
static int transpose_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_transpose((dlt_tensor *)g, (int)n->i[0], (int)n->i[1]));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_transpose(dlt_tensor *t, int d1, int d2) {
  dlt_tensor *out = dlt_transpose(t, d1, d2);
  if (!out || t->ndim == 0) return record(t, out, "TransposeBackward", transpose_backward, 0, 0);
  return record(t, out, "TransposeBackward", transpose_backward, dlt_wrap_dim("transpose", d1, t->ndim),
                dlt_wrap_dim("transpose", d2, t->ndim));
}

/* i[0] the permutation, 4 bits per dim (dims < DLT_MAXDIM <= 16) */
static int permute_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  int inv[DLT_MAXDIM];
  for (int k = 0; k < g->ndim; k++) inv[(n->i[0] >> (4 * k)) & 15] = k;
  gin[0] = dlt_agi_to_input(n, 0, dlt_permute((dlt_tensor *)g, inv));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_permute(dlt_tensor *t, const int *dims) {
  dlt_tensor *out = dlt_permute(t, dims);
  int64_t packed = 0;
  for (int k = 0; out && k < t->ndim; k++) packed |= (int64_t)(dims[k] < 0 ? dims[k] + t->ndim : dims[k]) << (4 * k);
  return record(t, out, "PermuteBackward", permute_backward, packed, 0);
}

/* ---- narrow, select: the gradient lands in zeros of the input's shape ---- */

/* i[0] dim, i[1] start, i[2] length (narrow) or -1 (select at start) */
static int slice_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  dlt_tensor *z = dlt_zeros(n->in_ndim[0], n->in_shape[0], g->dtype);
  if (!z) return -1;
  int dim = (int)n->i[0];
  dlt_tensor *v = n->i[2] < 0 ? dlt_select(z, dim, n->i[1]) : dlt_narrow(z, dim, n->i[1], n->i[2]);
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
  dlt_tensor *out = record(t, dlt_narrow(t, dim, start, len), "NarrowBackward", slice_backward, 0, start);
  if (out && out->grad_fn) {
    out->grad_fn->i[0] = dlt_wrap_dim("narrow", dim, t->ndim);
    out->grad_fn->i[2] = len;
  }
  return out;
}

dlt_tensor *dlt_ag_select(dlt_tensor *t, int dim, int64_t i) {
  dlt_tensor *out = record(t, dlt_select(t, dim, i), "SelectBackward", slice_backward, 0, i);
  if (out && out->grad_fn) {
    out->grad_fn->i[0] = dlt_wrap_dim("select", dim, t->ndim);
    out->grad_fn->i[2] = -1;
  }
  return out;
}

/* ---- expand: the gradient sums over the broadcast dims ---- */

static int expand_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_retain((dlt_tensor *)g));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_expand(dlt_tensor *t, int ndim, const int64_t *shape) {
  return record(t, dlt_expand(t, ndim, shape), "ExpandBackward", expand_backward, 0, 0);
}

/* ---- copies: the gradient passes through (cast back to the input's dtype) ---- */

static int identity_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  gin[0] = dlt_agi_to_input(n, 0, dlt_retain((dlt_tensor *)g));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_contiguous(dlt_tensor *t) {
  if (dlt_is_contiguous(t)) return dlt_retain(t);  /* t itself, as PyTorch */
  return record(t, dlt_clone(t), "CloneBackward", identity_backward, 0, 0);
}

dlt_tensor *dlt_ag_clone(dlt_tensor *t) { return record(t, dlt_clone(t), "CloneBackward", identity_backward, 0, 0); }

dlt_tensor *dlt_ag_to_dtype(dlt_tensor *t, dlt_dtype dtype) {
  if (t->dtype == dtype) return dlt_retain(t);
  return record(t, dlt_to_dtype(t, dtype), "ToCopyBackward", identity_backward, 0, 0);
}

dlt_tensor *dlt_detach(dlt_tensor *t) { return dlt_alias(t); }
