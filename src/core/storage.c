/* storage.c: refcounted element buffers and the tensor headers that view them. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/tensor.h"

size_t dlt_live_bytes = 0;
static dlt_dtype default_dtype = DLT_FLOAT32;

static const char *const dtype_names[DLT_NDTYPES] = {"float32", "float64", "int64", "bool"};
const char *dlt_dtype_name(dlt_dtype d) { return d >= 0 && d < DLT_NDTYPES ? dtype_names[d] : "?"; }
dlt_dtype dlt_default_dtype(void) { return default_dtype; }
void dlt_set_default_dtype(dlt_dtype d) { default_dtype = d; }
/* PyTorch's categories: a tensor of a higher category (bool < integer < floating) decides
 * the result's dtype; within floating the wider one wins. */
dlt_dtype dlt_promote(dlt_dtype a, dlt_dtype b) {
  if (a == b) return a;
  if (dlt_is_floating(a) && dlt_is_floating(b)) return DLT_FLOAT64;
  if (dlt_is_floating(a)) return a;
  if (dlt_is_floating(b)) return b;
  return DLT_INT64; /* int64 with bool */
}

int dlt_check_floating(const char *fn, const dlt_tensor *t) {
  if (dlt_is_floating(t->dtype)) return 0;
  return dlt_failn("%s: expected a floating-point tensor, got %s (convert with :float() or :double())", fn,
                   dlt_dtype_name(t->dtype));
}

/* a double stored as dtype d at p[i] and read back */
static inline void store(void *p, dlt_dtype d, int64_t i, double v) {
  switch (d) {
  case DLT_FLOAT32: ((float *)p)[i] = (float)v; break;
  case DLT_FLOAT64: ((double *)p)[i] = v; break;
  case DLT_INT64: ((int64_t *)p)[i] = dlt_to_i64(v); break;
  case DLT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  }
}
static inline double load(const void *p, dlt_dtype d, int64_t i) {
  switch (d) {
  case DLT_FLOAT32: return ((const float *)p)[i];
  case DLT_INT64: return (double)((const int64_t *)p)[i];
  case DLT_BOOL: return ((const uint8_t *)p)[i];
  default: return ((const double *)p)[i];
  }
}

/* Buffers from 1 MiB up are mapped pages of their own, unmapped when released: glibc
 * puts aligned_alloc's large blocks in the brk heap, whose freed middle stays resident
 * (a 40000-row forward under no_grad kept 20 MB). Smaller ones come from malloc. */
#define BIG_BYTES ((size_t)1 << 20)
/* From 2 MiB up a mapping starts on a 2 MiB boundary and asks for transparent huge pages
 * (Debian's kernels give them only where madvise asks): a pass over a 6.4 MB activation
 * then walks 3 huge pages and a few small ones instead of 1568 pages, and the CNN step
 * of bench/bench_conv_step.lua took 4-6% less on one thread and 8% less on two
 * (bench/README.md). Its last partial 2 MiB stays in small pages, so it holds no more
 * memory than its size. */
#define HUGE_BYTES ((size_t)2 << 20)

/* Released buffers up to 64 KB wait in a cache for a request of the same size: a
 * training step frees and asks for the same few sizes every time, and aligned_alloc's
 * split chunks cost more than the step's arithmetic (bench/README.md). One
 * list per size (a multiple of 64 bytes), linked through the buffers' first bytes;
 * CACHE_TOTAL bounds what they hold. */
#define CACHE_MAX_BYTES ((size_t)64 << 10)
#define CACHE_CLASSES (CACHE_MAX_BYTES / 64)
#define CACHE_TOTAL ((size_t)2 << 20)
static void *cache[CACHE_CLASSES + 1]; /* cache[padded / 64] */
static size_t cached_bytes;

/* Freed tensor headers and storage records wait in free lists of their own (up to
 * FREE_MAX each): every op makes and drops a few, and glibc's path for blocks of their
 * sizes (consolidating, unlinking) cost more than a small op's arithmetic. */
#ifdef __SANITIZE_ADDRESS__
#define FREE_MAX 0 /* AddressSanitizer then sees every use after free */
#else
#define FREE_MAX 4096
#endif
typedef struct {
  void *head;
  int n;
} free_list;
static free_list free_headers, free_storages;

static void *list_pop(free_list *l) {
  void *p = l->head;
  if (p) {
    l->head = *(void **)p;
    l->n--;
  }
  return p;
}

/* p goes on the list, or back to malloc when the list is full */
static void list_push(free_list *l, void *p) {
  if (!p) return;
  if (l->n >= FREE_MAX) {
    free(p);
    return;
  }
  *(void **)p = l->head;
  l->head = p;
  l->n++;
}
/* The last big buffers freed (up to SPARE_MAX of them, SPARE_BYTES in all) stay mapped
 * for a request of the same size: a training step asks for the sizes the last one
 * freed (the CNN of bench/bench_conv_step.lua: activations and gradients of 0.8 to 6.4
 * MB), and a fresh mapping costs its page clearing and faults every time (a tenth of
 * that step). The oldest spare is unmapped first when they would exceed the bounds;
 * a request that matches none maps anew and leaves them, so they add at most
 * SPARE_BYTES to the peak. */
#define SPARE_MAX 8
#define SPARE_BYTES ((size_t)32 << 20)
static struct {
  size_t padded;
  void *p;
} spare_big[SPARE_MAX];
static int spare_n;
static size_t spare_bytes;

static void spare_drop_oldest(void) {
  munmap(spare_big[0].p, spare_big[0].padded);
  spare_bytes -= spare_big[0].padded;
  memmove(spare_big, spare_big + 1, sizeof spare_big[0] * (size_t)--spare_n);
}

/* padded bytes on a 2 MiB boundary (the mapping's slack on either side unmapped again),
 * in huge pages where the kernel has them, populated as data_alloc's small mappings are
 * (on kernels without MADV_POPULATE_WRITE the pages come at first touch instead) */
static void *map_huge(size_t padded) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (padded + page - 1) / page * page;
  char *q = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q == MAP_FAILED) return NULL;
  char *a = (char *)(((uintptr_t)q + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
  if (a > q) munmap(q, (size_t)(a - q));
  munmap(a + len, (size_t)(q + HUGE_BYTES - a)); /* the rest of the slack: never empty, as a - q < HUGE_BYTES */
#ifdef MADV_HUGEPAGE
  madvise(a, padded, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
  madvise(a, padded, MADV_POPULATE_WRITE);
#endif
  return a;
}

static void *data_alloc(size_t padded) {
  if (padded && padded <= CACHE_MAX_BYTES && cache[padded / 64]) {
    void *p = cache[padded / 64];
    cache[padded / 64] = *(void **)p;
    cached_bytes -= padded;
    return p;
  }
  if (padded < BIG_BYTES) return aligned_alloc(64, padded ? padded : 64);
  for (int k = spare_n - 1; k >= 0; k--) /* the latest first */
    if (spare_big[k].padded == padded) { /* already faulted in: a loop of same-size results pays once */
      void *p = spare_big[k].p;
      spare_bytes -= padded;
      memmove(spare_big + k, spare_big + k + 1, sizeof spare_big[0] * (size_t)(--spare_n - k));
      return p;
    }
  if (!dlt_memory_available(padded)) return dlt_fail("cannot allocate %zu bytes", padded);
  malloc_trim(0); /* first the heap's free pages go back: peak memory is what counts */
  if (padded >= HUGE_BYTES) return map_huge(padded);
  /* populated at once: every result is written in full right after, and one call that
   * maps all the pages costs a fraction of a page fault per page (bench/README.md) */
  void *p = mmap(NULL, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void data_free(void *p, size_t padded) {
  if (p && padded && padded <= CACHE_MAX_BYTES && cached_bytes + padded <= CACHE_TOTAL) {
    *(void **)p = cache[padded / 64];
    cache[padded / 64] = p;
    cached_bytes += padded;
  } else if (padded < BIG_BYTES) {
    free(p);
  } else if (p && padded > SPARE_BYTES) {
    munmap(p, padded);
  } else if (p) {
    while (spare_n == SPARE_MAX || spare_bytes + padded > SPARE_BYTES) spare_drop_oldest();
    spare_big[spare_n].p = p;
    spare_big[spare_n++].padded = padded;
    spare_bytes += padded;
  }
}

/* 64-byte alignment keeps SIMD loads and BLAS panels on cache lines */
static size_t padded_size(size_t nbytes) { return (nbytes + 63) & ~(size_t)63; }

static dlt_storage *storage_new(size_t nbytes) {
  dlt_storage *s = list_pop(&free_storages);
  if (!s && !(s = dlt_malloc(sizeof *s))) return NULL;
  size_t padded = padded_size(nbytes);
  if (padded < nbytes) {
    list_push(&free_storages, s);
    return dlt_fail("cannot allocate %zu bytes", nbytes);
  }
  s->data = data_alloc(padded);
  if (!s->data) {
    list_push(&free_storages, s);
    return dlt_fail("cannot allocate %zu bytes", nbytes);
  }
  s->nbytes = nbytes;
  s->refcount = 1;
  s->version = 0;
  s->release = NULL;
  s->ctx = NULL;
  dlt_live_bytes += nbytes;
  return s;
}

static void storage_release(dlt_storage *s) {
  if (!s || --s->refcount > 0) return;
  if (s->release) {
    s->release(s, s->ctx);
  } else {
    dlt_live_bytes -= s->nbytes;
    data_free(s->data, padded_size(s->nbytes));
  }
  list_push(&free_storages, s);
}

int dlt_storage_own(dlt_storage *s) {
  if (!s->release) return 0;
  void *p = data_alloc(padded_size(s->nbytes));
  if (!p) return dlt_failn("cannot allocate %zu bytes", s->nbytes);
  memcpy(p, s->data, s->nbytes);
  s->data = p;
  s->release = NULL;
  s->ctx = NULL;
  dlt_live_bytes += s->nbytes;
  return 0;
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
  list_push(&free_headers, t);
}

/* Zeroes a recycled header with 32-byte stores: GCC expands memset of its 184 bytes to
 * `rep stos`, whose start-up costs more than the stores (a tenth of a small op on AMD). */
typedef uint64_t zero_v4 __attribute__((vector_size(32)));
static void zero_header(dlt_tensor *t) {
  char *p = (char *)t;
  const zero_v4 z = {0};
  for (size_t i = 0; i + 32 <= sizeof *t; i += 32) memcpy(p + i, &z, 32);
  memcpy(p + sizeof *t - 32, &z, 32); /* the tail (sizeof *t >= 32) */
}

dlt_tensor *dlt_header_calloc(void) {
  dlt_tensor *t = list_pop(&free_headers);
  if (t) zero_header(t);
  else t = dlt_calloc(1, sizeof *t);
  return t;
}

static dlt_tensor *header_new(dlt_storage *s, dlt_dtype dtype) {
  dlt_tensor *t = dlt_header_calloc();
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

/* a contiguous tensor of shape over s, or NULL (s then stays the caller's) */
static dlt_tensor *contiguous_over(dlt_storage *s, int ndim, const int64_t *shape, dlt_dtype dtype) {
  dlt_tensor *t = header_new(s, dtype);
  if (!t) return NULL;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->shape[i] = shape[i]; /* shape may be NULL for a scalar; no `rep movs` */
  set_contiguous_strides(t);
  return t;
}

bool dlt_sizes_fit(int ndim, const int64_t *shape) {
  size_t nz = 1; /* the product of the nonzero sizes, which contiguous strides reach */
  for (int i = 0; i < ndim; i++)
    if (shape[i] > 0 && !dlt_mul_size(nz, (size_t)shape[i], &nz)) return false;
  if (nz <= (size_t)INT64_MAX) return true;
  dlt_fail("tensor: the sizes multiply past 2^63 (strides overflow)");
  return false;
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
  if (!dlt_sizes_fit(ndim, shape)) return NULL;
  dlt_storage *s = storage_new(nbytes);
  if (!s) return NULL;
  dlt_tensor *t = contiguous_over(s, ndim, shape, dtype);
  if (!t) storage_release(s);
  return t;
}

dlt_tensor *dlt_from_memory(void *data, int ndim, const int64_t *shape, dlt_dtype dtype,
                            void (*release)(dlt_storage *s, void *ctx), void *ctx) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  dlt_storage *s = list_pop(&free_storages);
  if (!s && !(s = dlt_malloc(sizeof *s))) return NULL;
  *s = (dlt_storage){data, (size_t)n * dlt_dtype_size(dtype), 1, 0, release, ctx};
  dlt_tensor *t = contiguous_over(s, ndim, shape, dtype);
  if (!t) list_push(&free_storages, s); /* not released: its owner keeps the memory */
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
  if (dtype == DLT_FLOAT32) {
    float *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = (float)v;
  } else if (dtype == DLT_FLOAT64) {
    double *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = v;
  } else
    for (int64_t i = 0; i < n; i++) store(t->storage->data, dtype, i, v);
  return t;
}

dlt_tensor *dlt_empty_like(const dlt_tensor *t) { return dlt_empty(t->ndim, t->shape, t->dtype); }
dlt_tensor *dlt_zeros_like(const dlt_tensor *t) { return dlt_zeros(t->ndim, t->shape, t->dtype); }
dlt_tensor *dlt_scalar(double v, dlt_dtype dtype) { return dlt_full(0, NULL, v, dtype); }

dlt_tensor *dlt_from_doubles(const double *v, int ndim, const int64_t *shape, dlt_dtype dtype) {
  dlt_tensor *t = dlt_empty(ndim, shape, dtype);
  if (!t) return NULL;
  int64_t n = dlt_numel(t);
  if (dtype == DLT_FLOAT32) {
    float *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = (float)v[i];
  } else if (dtype == DLT_FLOAT64) memcpy(t->storage->data, v, sizeof(double) * (size_t)n);
  else
    for (int64_t i = 0; i < n; i++) store(t->storage->data, dtype, i, v[i]);
  return t;
}

int64_t dlt_numel(const dlt_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n; /* no overflow: every tensor's sizes pass dlt_sizes_fit (dlt_empty, dlt_expand) */
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
  int n = ndim ? ndim : 1; /* a 0-D tensor takes dim 0 or -1, as in PyTorch */
  int d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    return dlt_failn("%s: dimension %lld out of range for a %d-D tensor", fn, (long long)dim + (dim >= 0), ndim);
  return d;
}

static int64_t elem_offset(const dlt_tensor *t, const int64_t *idx) {
  int64_t off = t->offset;
  for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
  return off;
}

double dlt_get(const dlt_tensor *t, const int64_t *idx) { return load(t->storage->data, t->dtype, elem_offset(t, idx)); }

void dlt_set(dlt_tensor *t, const int64_t *idx, double v) { store(t->storage->data, t->dtype, elem_offset(t, idx), v); }

double dlt_get_flat(const dlt_tensor *t, int64_t i) {
  int64_t idx[DLT_MAXDIM];
  for (int d = t->ndim - 1; d >= 0; d--) {
    idx[d] = i % t->shape[d];
    i /= t->shape[d];
  }
  return dlt_get(t, idx);
}

double dlt_item(const dlt_tensor *t) { return load(t->storage->data, t->dtype, t->offset); }

void dlt_bump_version(dlt_tensor *t) { t->storage->version++; }
