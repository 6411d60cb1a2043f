/* tensor.h: dlt's core object, a strided view over refcounted storage, and the
 * creation, view and element-access functions every other layer builds on. */
#ifndef DLT_TENSOR_H
#define DLT_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define DLT_MAXDIM 8

/* int64 holds labels and indices, bool (one byte, 0 or 1) masks and comparison results */
typedef enum { DLT_FLOAT32 = 0,
               DLT_FLOAT64 = 1,
               DLT_INT64 = 2,
               DLT_BOOL = 3 } dlt_dtype;
#define DLT_NDTYPES 4

typedef struct dlt_storage {
  void *data;
  size_t nbytes;
  int refcount;
  uint32_t version; /* bumped by every in-place write; autograd compares saved versions */
  /* memory dlt did not allocate (dlt_from_memory): NULL for dlt's own */
  void (*release)(struct dlt_storage *s, void *ctx);
  void *ctx;
} dlt_storage;

/* A tensor's grad_fn is an autograd node (autograd/node.h, the layer above). Core holds
 * it as an opaque pointer and needs only these two, which the autograd layer defines
 * (autograd/engine.c): dropping the tensor's reference, and the name print shows. */
struct dlt_node;
void dlt_node_release(struct dlt_node *n);
const char *dlt_node_name(const struct dlt_node *n);

/* Indices and dims in C are 0-based; the Lua bindings translate from 1-based.
 * Ownership: every function returning dlt_tensor* hands the caller one reference. */
typedef struct dlt_tensor {
  int refcount;
  dlt_dtype dtype;
  int ndim;
  int64_t shape[DLT_MAXDIM];
  int64_t stride[DLT_MAXDIM]; /* in elements */
  int64_t offset;             /* in elements, into storage */
  dlt_storage *storage;
  /* autograd */
  bool requires_grad;
  struct dlt_tensor *grad;  /* owned; NULL until a backward reaches a leaf */
  struct dlt_node *grad_fn; /* owned; NULL for leaves */
} dlt_tensor;

/* bytes of tensor storage currently allocated (the Lua bindings feed this to the GC) */
extern size_t dlt_live_bytes;

const char *dlt_dtype_name(dlt_dtype d);
/* bytes per element: inline, since dlt_data asks on every access */
static inline size_t dlt_dtype_size(dlt_dtype d) { return d == DLT_FLOAT32 ? 4 : d == DLT_BOOL ? 1
                                                                                               : 8; }
dlt_dtype dlt_default_dtype(void);
void dlt_set_default_dtype(dlt_dtype d);
/* PyTorch's promotion of two tensors: bool < int64 < floating; two floats give the wider */
dlt_dtype dlt_promote(dlt_dtype a, dlt_dtype b);
static inline bool dlt_is_floating(dlt_dtype d) { return d == DLT_FLOAT32 || d == DLT_FLOAT64; }
/* 0, or -1 with "fn: expected a floating-point tensor, got int64" */
int dlt_check_floating(const char *fn, const dlt_tensor *t);
/* a double converted as a cast to int64 does on x86 (and so PyTorch): toward zero, NaN
 * and values out of range give INT64_MIN */
static inline int64_t dlt_to_i64(double v) {
  return v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v : INT64_MIN;
}

/* a zeroed header (no storage) for the functions that make tensors; dlt_release frees it */
dlt_tensor *dlt_header_calloc(void);
dlt_tensor *dlt_retain(dlt_tensor *t);
void dlt_release(dlt_tensor *t);

/* creation; shape may have ndim 0 (a scalar). All fail with NULL and dlt_error(). */
dlt_tensor *dlt_empty(int ndim, const int64_t *shape, dlt_dtype dtype);
/* A contiguous tensor over nbytes at data, which dlt does not own: when the last view
 * goes, release(storage, ctx) is called instead of freeing (DDP's gradients in memory
 * the ranks share). dlt_storage_own moves such a storage's bytes into dlt's own memory,
 * for an owner whose memory must go while views may remain; release is not called then. */
dlt_tensor *dlt_from_memory(void *data, int ndim, const int64_t *shape, dlt_dtype dtype,
                            void (*release)(dlt_storage *s, void *ctx), void *ctx);
int dlt_storage_own(dlt_storage *s);
dlt_tensor *dlt_zeros(int ndim, const int64_t *shape, dlt_dtype dtype);
dlt_tensor *dlt_full(int ndim, const int64_t *shape, double v, dlt_dtype dtype);
dlt_tensor *dlt_empty_like(const dlt_tensor *t);
dlt_tensor *dlt_zeros_like(const dlt_tensor *t);
dlt_tensor *dlt_scalar(double v, dlt_dtype dtype);
dlt_tensor *dlt_from_doubles(const double *v, int ndim, const int64_t *shape, dlt_dtype dtype);
dlt_tensor *dlt_arange(double start, double stop, double step, dlt_dtype dtype);
dlt_tensor *dlt_linspace(double a, double b, int64_t n, dlt_dtype dtype);
dlt_tensor *dlt_logspace(double a, double b, int64_t n, double base, dlt_dtype dtype);
dlt_tensor *dlt_eye(int64_t n, int64_t m, dlt_dtype dtype);

/* queries */
int64_t dlt_numel(const dlt_tensor *t);
/* whether shape's nonzero sizes multiply to at most 2^63 - 1, as every tensor's do (its
 * strides and numel cannot overflow); false with the error set otherwise */
bool dlt_sizes_fit(int ndim, const int64_t *shape);
bool dlt_is_contiguous(const dlt_tensor *t);
bool dlt_same_shape(const dlt_tensor *a, const dlt_tensor *b);
static inline void *dlt_data(const dlt_tensor *t) {
  return (char *)t->storage->data + (size_t)t->offset * dlt_dtype_size(t->dtype);
}
/* "{3,4}" into buf; returns buf */
char *dlt_shape_str(const dlt_tensor *t, char *buf, size_t n);
char *dlt_dims_str(int ndim, const int64_t *shape, char *buf, size_t n);
/* normalizes a possibly negative 0-based dim against ndim; -1 with an error if out of range */
int dlt_wrap_dim(const char *fn, int dim, int ndim);

/* element access by 0-based multi-index (no bounds checks: callers check) */
double dlt_get(const dlt_tensor *t, const int64_t *idx);
void dlt_set(dlt_tensor *t, const int64_t *idx, double v);
double dlt_get_flat(const dlt_tensor *t, int64_t i); /* i-th element in row-major order */
double dlt_item(const dlt_tensor *t);                /* first element */
void dlt_bump_version(dlt_tensor *t);

/* views: share storage with t */
dlt_tensor *dlt_alias(dlt_tensor *t);                                   /* a new header over the same elements */
dlt_tensor *dlt_view(dlt_tensor *t, int ndim, const int64_t *shape);    /* one -1 allowed */
dlt_tensor *dlt_reshape(dlt_tensor *t, int ndim, const int64_t *shape); /* view or copy */
dlt_tensor *dlt_transpose(dlt_tensor *t, int d1, int d2);
dlt_tensor *dlt_permute(dlt_tensor *t, const int *dims);
dlt_tensor *dlt_unsqueeze(dlt_tensor *t, int dim);
dlt_tensor *dlt_squeeze(dlt_tensor *t, int dim); /* dim < 0 with all=true: every size-1 dim */
dlt_tensor *dlt_squeeze_all(dlt_tensor *t);
dlt_tensor *dlt_narrow(dlt_tensor *t, int dim, int64_t start, int64_t len);
dlt_tensor *dlt_select(dlt_tensor *t, int dim, int64_t i);
/* len elements start, start+step, ... along dim (step >= 1); narrow when step is 1 */
dlt_tensor *dlt_slice(dlt_tensor *t, int dim, int64_t start, int64_t len, int64_t step);
dlt_tensor *dlt_expand(dlt_tensor *t, int ndim, const int64_t *shape); /* -1 keeps a size */
dlt_tensor *dlt_flatten(dlt_tensor *t);
/* copies */
dlt_tensor *dlt_contiguous(dlt_tensor *t); /* t itself (retained) when already contiguous */
dlt_tensor *dlt_clone(const dlt_tensor *t);
dlt_tensor *dlt_to_dtype(dlt_tensor *t, dlt_dtype dtype); /* t retained when same dtype */

#endif
