/* overlap.c: the check every in-place write makes first, as PyTorch's: the written-to
 * tensor must not have elements sharing memory (an expanded view), and an input may be
 * the written-to tensor itself or lie apart from it, but not overlap it partially
 * (m:add_(m:t()) would read elements it has already overwritten). */
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

/* t's elements at distinct addresses, provably: no stride 0 over a size > 1, and the
 * dims sorted by stride each step over everything the smaller ones span */
static bool no_internal_overlap(const dlt_tensor *t) {
  if (dlt_is_contiguous(t)) return true;
  int idx[DLT_MAXDIM], n = 0;
  for (int d = 0; d < t->ndim; d++) {
    if (t->shape[d] == 0) return true; /* no elements */
    if (t->shape[d] == 1) continue;
    if (t->stride[d] == 0) return false;
    idx[n++] = d;
  }
  for (int i = 1; i < n; i++) /* insertion sort by |stride| */
    for (int j = i; j > 0 && llabs(t->stride[idx[j]]) < llabs(t->stride[idx[j - 1]]); j--) {
      int k = idx[j];
      idx[j] = idx[j - 1], idx[j - 1] = k;
    }
  int64_t span = 0; /* the farthest offset the smaller dims reach */
  for (int i = 0; i < n; i++) {
    int64_t s = llabs(t->stride[idx[i]]);
    if (s <= span) return false;
    span += s * (t->shape[idx[i]] - 1);
  }
  return true;
}

/* the lowest and highest element offsets t reaches in its storage */
static void extent(const dlt_tensor *t, int64_t *lo, int64_t *hi) {
  *lo = *hi = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    int64_t reach = t->stride[d] * (t->shape[d] - 1);
    if (reach < 0) *lo += reach;
    else *hi += reach;
  }
}

/* non-overlapping and dense: its elements fill [lo, hi] exactly (PyTorch decides
 * partial overlap only between such tensors; strided ones may interleave harmlessly) */
static bool dense(const dlt_tensor *t) {
  int64_t lo, hi;
  extent(t, &lo, &hi);
  return no_internal_overlap(t) && hi - lo + 1 == dlt_numel(t);
}

static bool same_layout(const dlt_tensor *a, const dlt_tensor *b) {
  if (a->offset != b->offset || a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d] || (a->shape[d] > 1 && a->stride[d] != b->stride[d])) return false;
  return true;
}

/* "add" names the in-place op "add_" ("index assignment" and "SGD.step" stay as they are) */
static const char *in_place(const char *op) {
  size_t n = strlen(op);
  return !n || op[n - 1] == '_' || strchr(op, ' ') || strchr(op, '.') ? "" : "_";
}

int dlt_check_overlap(const char *op, const dlt_tensor *dst, const dlt_tensor *src) {
  if (dlt_numel(dst) == 0) return 0;
  if (!no_internal_overlap(dst))
    return dlt_failn(
      "%s%s: unsupported operation: more than one element of the written-to tensor refers "
      "to a single memory location (an expanded view); clone() the tensor first",
      op, in_place(op));
  if (!src || src->storage != dst->storage || dlt_numel(src) == 0 || same_layout(dst, src)) return 0;
  int64_t a0, a1, b0, b1;
  extent(dst, &a0, &a1);
  extent(src, &b0, &b1);
  size_t es = dlt_dtype_size(dst->dtype), fs = dlt_dtype_size(src->dtype);
  /* byte ranges: the two may view one storage with different dtypes only in theory */
  if ((int64_t)(a1 * (int64_t)es + (int64_t)es) <= b0 * (int64_t)fs || (b1 * (int64_t)fs + (int64_t)fs) <= a0 * (int64_t)es)
    return 0;
  if (!dense(dst) || !dense(src)) return 0;
  return dlt_failn(
    "%s%s: unsupported operation: some elements of the input tensor and the written-to tensor "
    "refer to a single memory location; clone() the input first",
    op, in_place(op));
}
