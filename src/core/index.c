/* index.c: gathering and scattering along a dim (index_select, index_add_), joining
 * (cat, stack) and the positions of nonzero elements. Indices are 0-based here;
 * messages give them 1-based as Lua users write them. */
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"

static int check_indices(const char *fn, const dlt_tensor *t, int dim, const int64_t *idx, int64_t n) {
  int64_t size = t->shape[dim];
  for (int64_t j = 0; j < n; j++)
    if (idx[j] < 0 || idx[j] >= size)
      return dlt_failn("%s: index %lld is out of bounds for dimension %d of size %lld", fn, (long long)idx[j] + 1, dim + 1,
                       (long long)size);
  return 0;
}

dlt_tensor *dlt_index_select(const dlt_tensor *t, int dim, const int64_t *idx, int64_t n) {
  if (t->ndim == 0) return dlt_fail("index_select: cannot index a 0-D tensor");
  if ((dim = dlt_wrap_dim("index_select", dim, t->ndim)) < 0) return NULL;
  if (n < 0) return dlt_fail("index_select: negative index count %lld", (long long)n);
  if (check_indices("index_select", t, dim, idx, n)) return NULL;
  int64_t shape[DLT_MAXDIM];
  memcpy(shape, t->shape, sizeof shape);
  shape[dim] = n;
  dlt_tensor *r = dlt_empty(t->ndim, shape, t->dtype);
  if (!r) return NULL;
  if (dim == 0 && dlt_is_contiguous(t)) { /* rows of a contiguous tensor: one memcpy each */
    size_t row = (size_t)(dlt_numel(t) / (t->shape[0] ? t->shape[0] : 1)) * dlt_dtype_size(t->dtype);
    char *d = dlt_data(r);
    const char *s = dlt_data(t);
    if (row == 8) /* a DataLoader's batch of 2 floats or 1 double a row: a move, not a call */
      for (int64_t j = 0; j < n; j++) memcpy(d + (size_t)j * 8, s + (size_t)idx[j] * 8, 8);
    else if (row == 4)
      for (int64_t j = 0; j < n; j++) memcpy(d + (size_t)j * 4, s + (size_t)idx[j] * 4, 4);
    else
      for (int64_t j = 0; j < n; j++) memcpy(d + (size_t)j * row, s + (size_t)idx[j] * row, row);
    return r;
  }
  for (int64_t j = 0; j < n; j++) {
    dlt_tensor src = dlt_select_hdr(t, dim, idx[j]), dst = dlt_select_hdr(r, dim, j);
    dlt_copy_(&dst, &src);
  }
  return r;
}

int dlt_index_add_(dlt_tensor *dst, int dim, const int64_t *idx, int64_t n, const dlt_tensor *src) {
  char a[128], b[128];
  if (dst->ndim == 0) return dlt_failn("index_add_: cannot index a 0-D tensor");
  if (dlt_check_overlap("index_add_", dst, src)) return -1;
  if ((dim = dlt_wrap_dim("index_add_", dim, dst->ndim)) < 0) return -1;
  bool ok = src->ndim == dst->ndim && src->shape[dim] == n;
  for (int i = 0; ok && i < dst->ndim; i++) ok = i == dim || src->shape[i] == dst->shape[i];
  if (!ok)
    return dlt_failn("index_add_: source of shape %s does not match %lld indices into %s along dimension %d",
                     dlt_shape_str(src, a, sizeof a), (long long)n, dlt_shape_str(dst, b, sizeof b), dim + 1);
  if (check_indices("index_add_", dst, dim, idx, n)) return -1;
  for (int64_t j = 0; j < n; j++) { /* repeated indices accumulate */
    dlt_tensor d = dlt_select_hdr(dst, dim, idx[j]), s = dlt_select_hdr(src, dim, j);
    if (dlt_axpy_(&d, 1, &s)) return -1;
  }
  dlt_bump_version(dst);
  return 0;
}

dlt_tensor *dlt_cat(dlt_tensor *const *ts, int n, int dim) {
  char a[128], b[128];
  if (n <= 0) return dlt_fail("cat: expected a non-empty list of tensors");
  const dlt_tensor *t0 = ts[0];
  if (t0->ndim == 0) return dlt_fail("cat: tensor 1 is 0-D and cannot be concatenated");
  if ((dim = dlt_wrap_dim("cat", dim, t0->ndim)) < 0) return NULL;
  int64_t shape[DLT_MAXDIM];
  memcpy(shape, t0->shape, sizeof shape);
  shape[dim] = 0;
  dlt_dtype dt = t0->dtype;
  for (int k = 0; k < n; k++) {
    const dlt_tensor *t = ts[k];
    bool ok = t->ndim == t0->ndim;
    for (int i = 0; ok && i < t->ndim; i++) ok = i == dim || t->shape[i] == t0->shape[i];
    if (!ok)
      return dlt_fail("cat: tensor %d has shape %s but tensor 1 has shape %s; sizes must match except in dimension %d", k + 1,
                      dlt_shape_str(t, a, sizeof a), dlt_shape_str(t0, b, sizeof b), dim + 1);
    shape[dim] += t->shape[dim];
    dt = dlt_promote(dt, t->dtype);
  }
  dlt_tensor *r = dlt_empty(t0->ndim, shape, dt);
  int64_t at = 0;
  for (int k = 0; r && k < n; k++) {
    dlt_tensor part = dlt_narrow_hdr(r, dim, at, ts[k]->shape[dim]);
    if (dlt_copy_(&part, ts[k])) {
      dlt_release(r);
      return NULL;
    }
    at += ts[k]->shape[dim];
  }
  return r;
}

dlt_tensor *dlt_stack(dlt_tensor *const *ts, int n, int dim) {
  char a[128], b[128];
  if (n <= 0) return dlt_fail("stack: expected a non-empty list of tensors");
  if (ts[0]->ndim >= DLT_MAXDIM) return dlt_fail("stack: tensors already have %d dimensions", DLT_MAXDIM);
  if ((dim = dlt_wrap_dim("stack", dim, ts[0]->ndim + 1)) < 0) return NULL;
  for (int k = 1; k < n; k++)
    if (!dlt_same_shape(ts[k], ts[0]))
      return dlt_fail("stack: tensor %d has shape %s but tensor 1 has shape %s; all must have the same shape", k + 1,
                      dlt_shape_str(ts[k], a, sizeof a), dlt_shape_str(ts[0], b, sizeof b));
  dlt_tensor **us = dlt_calloc((size_t)n, sizeof *us);
  if (!us) return NULL;
  dlt_tensor *r = NULL;
  int k = 0;
  for (; k < n; k++)
    if (!(us[k] = dlt_unsqueeze(ts[k], dim))) break;
  if (k == n) r = dlt_cat(us, n, dim);
  for (int j = 0; j < k; j++) dlt_release(us[j]);
  free(us);
  return r;
}

int64_t *dlt_nonzero_1d(const dlt_tensor *t, int64_t *n) {
  char a[128];
  *n = 0;
  if (t->ndim != 1) return dlt_fail("nonzero: expected a 1-D tensor, got shape %s", dlt_shape_str(t, a, sizeof a));
  int64_t len = t->shape[0], cnt = 0;
  int64_t *out = dlt_malloc(sizeof(int64_t) * (size_t)(len > 0 ? len : 1));
  if (!out) return NULL;
  for (int64_t i = 0; i < len; i++) {
    int64_t ix = i;
    if (dlt_get(t, &ix) != 0) out[cnt++] = i;
  }
  *n = cnt;
  return out;
}
