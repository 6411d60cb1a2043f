/* views.c: new headers over existing storage (view, transpose, narrow, expand, ...). */
#include <string.h>

#include "core/ops.h"
#include "core/tensor.h"

dlt_tensor *dlt_alias(dlt_tensor *t) {
  dlt_tensor *v = dlt_header_calloc();
  if (!v) return NULL;
  v->refcount = 1;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy(v->shape, t->shape, sizeof v->shape);
  memcpy(v->stride, t->stride, sizeof v->stride);
  v->offset = t->offset;
  v->storage = t->storage;
  t->storage->refcount++;
  return v;
}

/* Resolves one -1 in shape against numel; fails naming fn when sizes disagree. */
static int infer_shape(const char *fn, const dlt_tensor *t, int ndim, const int64_t *shape, int64_t *out) {
  if (ndim < 0 || ndim > DLT_MAXDIM) return dlt_failn("%s: %d dimensions, at most %d allowed", fn, ndim, DLT_MAXDIM);
  int64_t known = 1, n = dlt_numel(t);
  int infer = -1;
  for (int i = 0; i < ndim; i++) {
    out[i] = shape[i];
    if (shape[i] == -1) {
      if (infer >= 0) return dlt_failn("%s: only one dimension can be -1", fn);
      infer = i;
    } else if (shape[i] < 0) {
      return dlt_failn("%s: invalid size %lld", fn, (long long)shape[i]);
    } else {
      if (shape[i] && known > INT64_MAX / shape[i]) return dlt_failn("%s: size overflows", fn);
      known *= shape[i];
    }
  }
  char a[128], b[128];
  if (infer >= 0) {
    if (known == 0 || n % known) return dlt_failn("%s: shape %s is invalid for input of size %lld", fn, dlt_dims_str(ndim, shape, a, sizeof a), (long long)n);
    out[infer] = n / known;
  } else if (known != n) {
    return dlt_failn("%s: shape %s is invalid for input of size %lld (shape %s)", fn, dlt_dims_str(ndim, shape, a, sizeof a), (long long)n, dlt_shape_str(t, b, sizeof b));
  }
  return 0;
}

/* Strides for viewing t as newshape without copying, as in PyTorch's computeStride:
 * possible when each group of merged dims is contiguous within itself. */
static int view_strides(const dlt_tensor *t, int ndim, const int64_t *shape, int64_t *stride) {
  int64_t numel = dlt_numel(t);
  if (numel == 0 || t->ndim == 0) {
    int64_t st = 1;
    for (int i = ndim - 1; i >= 0; i--) {
      stride[i] = st;
      st *= shape[i] ? shape[i] : 1;
    }
    return 0;
  }
  int view_d = ndim - 1;
  int64_t chunk_base_stride = t->stride[t->ndim - 1];
  int64_t tensor_numel = 1, view_numel = 1;
  for (int td = t->ndim - 1; td >= 0; td--) {
    tensor_numel *= t->shape[td];
    if (td == 0 || (t->shape[td - 1] != 1 && t->stride[td - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        stride[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return -1;
      if (td > 0) {
        chunk_base_stride = t->stride[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1 ? 0 : -1;
}

dlt_tensor *dlt_view(dlt_tensor *t, int ndim, const int64_t *shape) {
  int64_t sh[DLT_MAXDIM], st[DLT_MAXDIM];
  if (infer_shape("view", t, ndim, shape, sh)) return NULL;
  if (view_strides(t, ndim, sh, st)) {
    char a[128], b[128];
    return dlt_fail("view: cannot view a non-contiguous tensor of shape %s as %s; use reshape",
                    dlt_shape_str(t, a, sizeof a), dlt_dims_str(ndim, sh, b, sizeof b));
  }
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  v->ndim = ndim;
  memcpy(v->shape, sh, sizeof(int64_t) * (size_t)ndim);
  memcpy(v->stride, st, sizeof(int64_t) * (size_t)ndim);
  return v;
}

dlt_tensor *dlt_reshape(dlt_tensor *t, int ndim, const int64_t *shape) {
  int64_t sh[DLT_MAXDIM], st[DLT_MAXDIM];
  if (infer_shape("reshape", t, ndim, shape, sh)) return NULL;
  if (!view_strides(t, ndim, sh, st)) return dlt_view(t, ndim, sh);
  dlt_tensor *c = dlt_contiguous(t);
  if (!c) return NULL;
  dlt_tensor *v = dlt_view(c, ndim, sh);
  dlt_release(c);
  return v;
}

dlt_tensor *dlt_transpose(dlt_tensor *t, int d1, int d2) {
  if (t->ndim == 0) return dlt_alias(t);
  if ((d1 = dlt_wrap_dim("transpose", d1, t->ndim)) < 0) return NULL;
  if ((d2 = dlt_wrap_dim("transpose", d2, t->ndim)) < 0) return NULL;
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  int64_t s = v->shape[d1];
  v->shape[d1] = v->shape[d2];
  v->shape[d2] = s;
  s = v->stride[d1];
  v->stride[d1] = v->stride[d2];
  v->stride[d2] = s;
  return v;
}

dlt_tensor *dlt_permute(dlt_tensor *t, const int *dims) {
  int seen[DLT_MAXDIM] = {0}, d[DLT_MAXDIM];
  for (int i = 0; i < t->ndim; i++) {
    if ((d[i] = dlt_wrap_dim("permute", dims[i], t->ndim)) < 0) return NULL;
    if (seen[d[i]]++) return dlt_fail("permute: dimension %d repeats", d[i] + 1);
  }
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  for (int i = 0; i < t->ndim; i++) {
    v->shape[i] = t->shape[d[i]];
    v->stride[i] = t->stride[d[i]];
  }
  return v;
}

dlt_tensor *dlt_unsqueeze(dlt_tensor *t, int dim) {
  if (t->ndim >= DLT_MAXDIM) return dlt_fail("unsqueeze: tensor already has %d dimensions", DLT_MAXDIM);
  if ((dim = dlt_wrap_dim("unsqueeze", dim, t->ndim + 1)) < 0) return NULL;
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  for (int i = t->ndim; i > dim; i--) {
    v->shape[i] = t->shape[i - 1];
    v->stride[i] = t->stride[i - 1];
  }
  v->shape[dim] = 1;
  v->stride[dim] = dim < t->ndim ? t->shape[dim] * t->stride[dim] : 1;
  v->ndim = t->ndim + 1;
  return v;
}

dlt_tensor *dlt_squeeze(dlt_tensor *t, int dim) {
  if (t->ndim == 0) return dlt_alias(t);
  if ((dim = dlt_wrap_dim("squeeze", dim, t->ndim)) < 0) return NULL;
  dlt_tensor *v = dlt_alias(t);
  if (!v || t->shape[dim] != 1) return v;
  for (int i = dim; i < t->ndim - 1; i++) {
    v->shape[i] = t->shape[i + 1];
    v->stride[i] = t->stride[i + 1];
  }
  v->ndim--;
  return v;
}

dlt_tensor *dlt_squeeze_all(dlt_tensor *t) {
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  int k = 0;
  for (int i = 0; i < t->ndim; i++)
    if (t->shape[i] != 1) {
      v->shape[k] = t->shape[i];
      v->stride[k++] = t->stride[i];
    }
  v->ndim = k;
  return v;
}

dlt_tensor *dlt_narrow(dlt_tensor *t, int dim, int64_t start, int64_t len) {
  if (t->ndim == 0) return dlt_fail("narrow: cannot narrow a 0-D tensor");
  if ((dim = dlt_wrap_dim("narrow", dim, t->ndim)) < 0) return NULL;
  if (start < 0 || len < 0 || start > t->shape[dim] || len > t->shape[dim] - start)
    return dlt_fail("narrow: range [%lld, %lld] is out of bounds for dimension %d of size %lld",
                    (long long)start + 1, (long long)(start + len), dim + 1, (long long)t->shape[dim]);
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  v->offset += start * t->stride[dim];
  v->shape[dim] = len;
  return v;
}

dlt_tensor *dlt_slice(dlt_tensor *t, int dim, int64_t start, int64_t len, int64_t step) {
  if (step == 1) return dlt_narrow(t, dim, start, len);
  if (t->ndim == 0) return dlt_fail("slice: cannot slice a 0-D tensor");
  if ((dim = dlt_wrap_dim("slice", dim, t->ndim)) < 0) return NULL;
  if (step < 1) return dlt_fail("slice: step must be positive, got %lld", (long long)step);
  if (start < 0 || len < 0 || (len > 0 && (start >= t->shape[dim] || (t->shape[dim] - 1 - start) / step < len - 1)))
    return dlt_fail("slice: %lld elements from %lld by %lld are out of bounds for dimension %d of size %lld", (long long)len,
                    (long long)start + 1, (long long)step, dim + 1, (long long)t->shape[dim]);
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  v->offset += start * t->stride[dim];
  v->shape[dim] = len;
  v->stride[dim] *= step;
  return v;
}

dlt_tensor *dlt_select(dlt_tensor *t, int dim, int64_t i) {
  if (t->ndim == 0) return dlt_fail("select: cannot index a 0-D tensor");
  if ((dim = dlt_wrap_dim("select", dim, t->ndim)) < 0) return NULL;
  if (i < 0 || i >= t->shape[dim])
    return dlt_fail("select: index %lld is out of bounds for dimension %d of size %lld", (long long)i + 1, dim + 1, (long long)t->shape[dim]);
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  v->offset += i * t->stride[dim];
  for (int k = dim; k < t->ndim - 1; k++) {
    v->shape[k] = t->shape[k + 1];
    v->stride[k] = t->stride[k + 1];
  }
  v->ndim--;
  return v;
}

dlt_tensor *dlt_expand(dlt_tensor *t, int ndim, const int64_t *shape) {
  char a[128], b[128];
  if (ndim < t->ndim || ndim > DLT_MAXDIM)
    return dlt_fail("expand: cannot expand shape %s to %s", dlt_shape_str(t, a, sizeof a), dlt_dims_str(ndim, shape, b, sizeof b));
  dlt_tensor *v = dlt_alias(t);
  if (!v) return NULL;
  int lead = ndim - t->ndim;
  for (int i = ndim - 1; i >= 0; i--) {
    int j = i - lead;
    int64_t want = shape[i];
    if (j >= 0) {
      if (want == -1) want = t->shape[j];
      if (t->shape[j] == want) {
        v->shape[i] = want;
        v->stride[i] = t->stride[j];
        continue;
      }
      if (t->shape[j] != 1 || want < 0) goto bad;
    } else if (want < 0) {
      goto bad;
    }
    v->shape[i] = want;
    v->stride[i] = 0;
  }
  v->ndim = ndim;
  /* numel and index arithmetic cannot overflow (PyTorch refuses the same) */
  if (!dlt_sizes_fit(ndim, v->shape)) {
    dlt_release(v);
    return dlt_fail("expand: the sizes of %s multiply past 2^63", dlt_dims_str(ndim, shape, b, sizeof b));
  }
  return v;
bad:
  dlt_release(v);
  return dlt_fail("expand: cannot expand shape %s to %s", dlt_shape_str(t, a, sizeof a), dlt_dims_str(ndim, shape, b, sizeof b));
}

dlt_tensor *dlt_flatten(dlt_tensor *t) {
  int64_t n = dlt_numel(t);
  return dlt_reshape(t, 1, &n);
}

dlt_tensor *dlt_contiguous(dlt_tensor *t) {
  if (dlt_is_contiguous(t)) return dlt_retain(t);
  return dlt_clone(t);
}

dlt_tensor *dlt_clone(const dlt_tensor *t) {
  dlt_tensor *c = dlt_empty(t->ndim, t->shape, t->dtype);
  if (c && dlt_copy_(c, t) < 0) {
    dlt_release(c);
    return NULL;
  }
  return c;
}

dlt_tensor *dlt_to_dtype(dlt_tensor *t, dlt_dtype dtype) {
  if (t->dtype == dtype) return dlt_retain(t);
  dlt_tensor *c = dlt_empty(t->ndim, t->shape, dtype);
  if (c && dlt_copy_(c, t) < 0) {
    dlt_release(c);
    return NULL;
  }
  return c;
}
