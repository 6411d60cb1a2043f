/* strided.c: the outer multi-index counter shared by the elementwise, copy and where
 * kernels; rows are handed to typed kernels that loop with a stride. */
#include <string.h>

#include "core/strided.h"

void dlt_bcast_strides(const dlt_tensor *t, int ndim, const int64_t *shape, int64_t *st) {
  int lead = ndim - t->ndim;
  for (int i = 0; i < ndim; i++) {
    int j = i - lead;
    st[i] = j < 0 || t->shape[j] == 1 ? 0 : t->stride[j];
  }
}

void dlt_loop_init(dlt_loop *L, int ndim, const int64_t *shape) {
  L->ndim = ndim;
  L->nops = 0;
  memcpy(L->shape, shape, sizeof(int64_t) * (size_t)ndim);
}

void dlt_loop_add(dlt_loop *L, const dlt_tensor *t) {
  int k = L->nops++;
  dlt_bcast_strides(t, L->ndim, L->shape, L->stride[k]);
  L->base[k] = (char *)dlt_data(t);
  L->esize[k] = dlt_dtype_size(t->dtype);
}

/* Size-1 dims go; dim i merges into i+1 when stride[i] == stride[i+1]*shape[i+1] for all ops. */
static void collapse(dlt_loop *L) {
  int nd = 0;
  for (int i = 0; i < L->ndim; i++) {
    if (L->shape[i] == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int k = 0; k < L->nops; k++)
        if (L->stride[k][nd - 1] != L->stride[k][i] * L->shape[i]) merge = false;
      if (merge) {
        L->shape[nd - 1] *= L->shape[i];
        for (int k = 0; k < L->nops; k++) L->stride[k][nd - 1] = L->stride[k][i];
        continue;
      }
    }
    L->shape[nd] = L->shape[i];
    for (int k = 0; k < L->nops; k++) L->stride[k][nd] = L->stride[k][i];
    nd++;
  }
  L->ndim = nd;
}

void dlt_loop_run(dlt_loop *L, dlt_row_fn fn, void *ctx) {
  for (int i = 0; i < L->ndim; i++)
    if (L->shape[i] == 0) return;
  collapse(L);
  int nd = L->ndim, nops = L->nops;
  char *p[DLT_LOOP_MAXOPS];
  int64_t s[DLT_LOOP_MAXOPS] = {0}, idx[DLT_MAXDIM] = {0};
  for (int k = 0; k < nops; k++) p[k] = L->base[k];
  if (nd == 0) {
    fn(ctx, 1, p, s);
    return;
  }
  for (int k = 0; k < nops; k++) s[k] = L->stride[k][nd - 1];
  int64_t inner = L->shape[nd - 1];
  for (;;) {
    fn(ctx, inner, p, s);
    int d = nd - 2;
    for (; d >= 0; d--) {
      for (int k = 0; k < nops; k++) p[k] += L->stride[k][d] * (int64_t)L->esize[k];
      if (++idx[d] < L->shape[d]) break;
      for (int k = 0; k < nops; k++) p[k] -= L->stride[k][d] * L->shape[d] * (int64_t)L->esize[k];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

dlt_tensor dlt_select_hdr(const dlt_tensor *t, int dim, int64_t i) {
  dlt_tensor v = *t;
  v.offset += i * t->stride[dim];
  for (int k = dim; k < t->ndim - 1; k++) {
    v.shape[k] = t->shape[k + 1];
    v.stride[k] = t->stride[k + 1];
  }
  v.ndim--;
  v.grad = NULL;
  v.grad_fn = NULL;
  return v;
}

dlt_tensor dlt_narrow_hdr(const dlt_tensor *t, int dim, int64_t start, int64_t len) {
  dlt_tensor v = *t;
  v.offset += start * t->stride[dim];
  v.shape[dim] = len;
  v.grad = NULL;
  v.grad_fn = NULL;
  return v;
}
