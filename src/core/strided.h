/* strided.h (internal to src/core): walking several broadcast, strided operands of one
 * shape with an outer multi-index counter and an inner strided row loop. */
#ifndef DLT_STRIDED_H
#define DLT_STRIDED_H

#include "core/tensor.h"

#define DLT_LOOP_MAXOPS 4

/* Kernels marked so are built twice, for AVX2 and for baseline x86-64, and the CPU
 * picks one at load time: twice the throughput without giving up portability. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define DLT_VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DLT_VEC_CLONES
#endif

typedef struct {
  int ndim, nops;
  int64_t shape[DLT_MAXDIM];
  int64_t stride[DLT_LOOP_MAXOPS][DLT_MAXDIM]; /* in elements; 0 on broadcast dims */
  char *base[DLT_LOOP_MAXOPS];
  size_t esize[DLT_LOOP_MAXOPS];
} dlt_loop;

/* one inner row: n elements, p[k] the first element of operand k, s[k] its stride */
typedef void (*dlt_row_fn)(void *ctx, int64_t n, char **p, const int64_t *s);

/* strides of t broadcast (right-aligned) to shape; 0 where t has size 1 or lacks the dim */
void dlt_bcast_strides(const dlt_tensor *t, int ndim, const int64_t *shape, int64_t *st);
/* starts a loop over shape; dlt_loop_add appends operand t broadcast to that shape */
void dlt_loop_init(dlt_loop *L, int ndim, const int64_t *shape);
void dlt_loop_add(dlt_loop *L, const dlt_tensor *t);
/* drops size-1 dims, merges dims contiguous in every operand, then runs fn on each row */
void dlt_loop_run(dlt_loop *L, dlt_row_fn fn, void *ctx);

/* fails naming fn unless src broadcasts to exactly dst's shape */
int dlt_check_bcast_to(const char *fn, const dlt_tensor *src, const dlt_tensor *dst);

/* a stack header viewing t with dim removed at index i (no reference taken) */
dlt_tensor dlt_select_hdr(const dlt_tensor *t, int dim, int64_t i);
/* a stack header viewing t narrowed along dim (no reference taken) */
dlt_tensor dlt_narrow_hdr(const dlt_tensor *t, int dim, int64_t start, int64_t len);

#endif
