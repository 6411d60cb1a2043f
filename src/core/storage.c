/* storage.c: refcounted element buffers and the tensor headers that view them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/node.h"
#include "core/tensor.h"

size_t dlt_live_bytes = 0;
static dlt_dtype default_dtype = DLT_FLOAT32;

const char *dlt_dtype_name(dlt_dtype d) { return d == DLT_FLOAT64 ? "float64" : "float32"; }
size_t dlt_dtype_size(dlt_dtype d) { return d == DLT_FLOAT64 ? 8 : 4; }
dlt_dtype dlt_default_dtype(void) { return default_dtype; }
void dlt_set_default_dtype(dlt_dtype d) { default_dtype = d; }
/* PyTorch's rule for two floating tensors: the wider one wins. */
dlt_dtype dlt_promote(dlt_dtype a, dlt_dtype b) { return a == DLT_FLOAT64 || b == DLT_FLOAT64 ? DLT_FLOAT64 : DLT_FLOAT32; }

static dlt_storage *storage_new(size_t nbytes) {
  dlt_storage *s = dlt_malloc(sizeof *s);
  if (!s) return NULL;
  /* 64-byte alignment keeps SIMD loads and BLAS panels on cache lines */
  size_t padded = (nbytes + 63) & ~(size_t)63;
  if (padded < nbytes) { free(s); return dlt_fail("cannot allocate %zu bytes", nbytes); }
  s->data = aligned_alloc(64, padded ? padded : 64);
  if (!s->data) { free(s); return dlt_fail("cannot allocate %zu bytes", nbytes); }
  s->nbytes = nbytes;
  s->refcount = 1;
  s->version = 0;
  dlt_live_bytes += nbytes;
  return s;
}

static void storage_release(dlt_storage *s) {
  if (!s || --s->refcount > 0) return;
  dlt_live_bytes -= s->nbytes;
  free(s->data);
  free(s);
}

dlt_tensor *dlt_retain(dlt_tensor *t) {
  if (t) t->refcount++;
  return t;
}

void dlt_release(dlt_tensor *t) {
  if (!t || --t->refcount > 0) return;
  storage_release(t->storage);
  dlt_release(t->grad);
  dlt_node_release(t->grad_fn);
  free(t);
}

static dlt_tensor *header_new(dlt_storage *s, dlt_dtype dtype) {
  dlt_tensor *t = dlt_calloc(1, sizeof *t);
  if (!t) return NULL;
  t->refcount = 1;
  t->dtype = dtype;
  t->storage = s;
  return t;
}

static void set_contiguous_strides(dlt_tensor *t) {
  int64_t st = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    t->stride[i] = st;
    st *= t->shape[i];
  }
}

dlt_tensor *dlt_empty(int ndim, const int64_t *shape, dlt_dtype dtype) {
  if (ndim < 0 || ndim > DLT_MAXDIM) return dlt_fail("tensor: %d dimensions, at most %d allowed", ndim, DLT_MAXDIM);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return dlt_fail("tensor: negative size %lld in dimension %d", (long long)shape[i], i + 1);
    if (!dlt_mul_size(n, (size_t)shape[i], &n)) return NULL;
  }
  size_t nbytes;
  if (!dlt_mul_size(n, dlt_dtype_size(dtype), &nbytes)) return NULL;
  if (nbytes > ((size_t)1 << 46)) return dlt_fail("cannot allocate %zu bytes", nbytes);
  dlt_storage *s = storage_new(nbytes);
  if (!s) return NULL;
  dlt_tensor *t = header_new(s, dtype);
  if (!t) { storage_release(s); return NULL; }
  t->ndim = ndim;
  if (ndim > 0) memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);  /* shape may be NULL for a scalar */
  set_contiguous_strides(t);
  return t;
}

dlt_tensor *dlt_zeros(int ndim, const int64_t *shape, dlt_dtype dtype) {
  dlt_tensor *t = dlt_empty(ndim, shape, dtype);
  if (t) memset(t->storage->data, 0, t->storage->nbytes);
  return t;
}

dlt_tensor *dlt_full(int ndim, const int64_t *shape, double v, dlt_dtype dtype) {
  dlt_tensor *t = dlt_empty(ndim, shape, dtype);
  if (!t) return NULL;
  int64_t n = dlt_numel(t);
  if (dtype == DLT_FLOAT32) { float *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = (float)v; }
  else { double *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = v; }
  return t;
}

dlt_tensor *dlt_empty_like(const dlt_tensor *t) { return dlt_empty(t->ndim, t->shape, t->dtype); }
dlt_tensor *dlt_zeros_like(const dlt_tensor *t) { return dlt_zeros(t->ndim, t->shape, t->dtype); }
dlt_tensor *dlt_scalar(double v, dlt_dtype dtype) { return dlt_full(0, NULL, v, dtype); }

dlt_tensor *dlt_from_doubles(const double *v, int ndim, const int64_t *shape, dlt_dtype dtype) {
  dlt_tensor *t = dlt_empty(ndim, shape, dtype);
  if (!t) return NULL;
  int64_t n = dlt_numel(t);
  if (dtype == DLT_FLOAT32) { float *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = (float)v[i]; }
  else memcpy(t->storage->data, v, sizeof(double) * (size_t)n);
  return t;
}

int64_t dlt_numel(const dlt_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

bool dlt_is_contiguous(const dlt_tensor *t) {
  int64_t st = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->shape[i] != 1 && t->stride[i] != st) return false;
    st *= t->shape[i];
  }
  return true;
}

bool dlt_same_shape(const dlt_tensor *a, const dlt_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return false;
  return true;
}

char *dlt_dims_str(int ndim, const int64_t *shape, char *buf, size_t n) {
  size_t k = 0;
  k += (size_t)snprintf(buf, n, "{");
  for (int i = 0; i < ndim && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
  if (k < n) snprintf(buf + k, n - k, "}");
  return buf;
}

char *dlt_shape_str(const dlt_tensor *t, char *buf, size_t n) { return dlt_dims_str(t->ndim, t->shape, buf, n); }

int dlt_wrap_dim(const char *fn, int dim, int ndim) {
  int n = ndim ? ndim : 1;  /* a 0-D tensor takes dim 0 or -1, as in PyTorch */
  int d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    return dlt_failn("%s: dimension %d out of range for a %d-D tensor", fn, dim >= 0 ? dim + 1 : dim, ndim);
  return d;
}

static int64_t elem_offset(const dlt_tensor *t, const int64_t *idx) {
  int64_t off = t->offset;
  for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
  return off;
}

double dlt_get(const dlt_tensor *t, const int64_t *idx) {
  int64_t off = elem_offset(t, idx);
  return t->dtype == DLT_FLOAT32 ? ((float *)t->storage->data)[off] : ((double *)t->storage->data)[off];
}

void dlt_set(dlt_tensor *t, const int64_t *idx, double v) {
  int64_t off = elem_offset(t, idx);
  if (t->dtype == DLT_FLOAT32) ((float *)t->storage->data)[off] = (float)v;
  else ((double *)t->storage->data)[off] = v;
}

double dlt_get_flat(const dlt_tensor *t, int64_t i) {
  int64_t idx[DLT_MAXDIM];
  for (int d = t->ndim - 1; d >= 0; d--) {
    idx[d] = i % t->shape[d];
    i /= t->shape[d];
  }
  return dlt_get(t, idx);
}

double dlt_item(const dlt_tensor *t) {
  int64_t off = t->offset;
  return t->dtype == DLT_FLOAT32 ? ((float *)t->storage->data)[off] : ((double *)t->storage->data)[off];
}

void dlt_bump_version(dlt_tensor *t) { t->storage->version++; }
