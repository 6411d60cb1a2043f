/* ops.h: the engine's numeric kernels without autograd: broadcasting elementwise ops,
 * reductions, matrix products, indexing and joining. Each allocates its result. */
#ifndef DLT_OPS_H
#define DLT_OPS_H

#include "core/tensor.h"

typedef enum {
  DLT_ADD,
  DLT_SUB,
  DLT_MUL,
  DLT_DIV,
  DLT_POW,
  DLT_MAXIMUM,
  DLT_MINIMUM,
  DLT_EQ,
  DLT_NE,
  DLT_LT,
  DLT_LE,
  DLT_GT,
  DLT_GE,
  DLT_NBINOP
} dlt_binop;

typedef enum {
  DLT_NEG,
  DLT_ABS,
  DLT_EXP,
  DLT_LOG,
  DLT_SQRT,
  DLT_SIN,
  DLT_COS,
  DLT_TANH,
  DLT_SIGMOID,
  DLT_RELU,
  DLT_SIGN,
  DLT_FLOOR,
  DLT_CEIL,
  DLT_ROUND,
  DLT_SQUARE,
  DLT_RECIPROCAL,
  DLT_LOG1P,
  DLT_EXPM1,
  DLT_ERF,
  DLT_GELU,
  DLT_SILU,
  DLT_SOFTPLUS,
  DLT_ISNAN,
  DLT_ISINF,
  DLT_NUNOP
} dlt_unop;

const char *dlt_binop_name(dlt_binop op);
const char *dlt_unop_name(dlt_unop op);
double dlt_binop_apply(dlt_binop op, double a, double b);
double dlt_unop_apply(dlt_unop op, double x);

/* NumPy broadcasting of two shapes into out (ndim returned, -1 with an error naming fn) */
int dlt_broadcast_shape(const char *fn, int na, const int64_t *sa, int nb, const int64_t *sb, int64_t *out);

/* elementwise; dtype promotes to float64 if either is float64; comparisons give 0/1 */
dlt_tensor *dlt_binary(dlt_binop op, const dlt_tensor *a, const dlt_tensor *b);
/* tensor op number (scalar_left: number op tensor); the result keeps a's dtype */
dlt_tensor *dlt_binary_scalar(dlt_binop op, const dlt_tensor *a, double s, bool scalar_left);
dlt_tensor *dlt_unary(dlt_unop op, const dlt_tensor *a);
/* y[i] = tanh(x[i]) over n contiguous elements (y may be x), by t:tanh()'s vectorized
 * formula, so that every tanh of dlt (nn.Tanh, F.tanh too) gives the same bits */
void dlt_tanh_f32(float *y, const float *x, int64_t n);
void dlt_tanh_f64(double *y, const double *x, int64_t n);
dlt_tensor *dlt_leaky_relu(const dlt_tensor *a, double slope);
dlt_tensor *dlt_clamp(const dlt_tensor *a, double lo, double hi); /* NaN bound = none */
dlt_tensor *dlt_where(const dlt_tensor *cond, const dlt_tensor *a, const dlt_tensor *b);
dlt_tensor *dlt_masked_fill(const dlt_tensor *t, const dlt_tensor *mask, double v);

/* in place (bump the version): dst op= src, src broadcast to dst's shape */
/* Every in-place write checks first (overlap.c): dst has no two elements at one address
 * (an expanded view), and src (may be NULL) is dst itself or apart from it, not a
 * partial overlap such as dst's transpose; -1 naming op otherwise. */
int dlt_check_overlap(const char *op, const dlt_tensor *dst, const dlt_tensor *src);
int dlt_binary_(dlt_binop op, dlt_tensor *dst, const dlt_tensor *src);
int dlt_binary_scalar_(dlt_binop op, dlt_tensor *dst, double s);
int dlt_unary_(dlt_unop op, dlt_tensor *dst);
int dlt_copy_(dlt_tensor *dst, const dlt_tensor *src); /* broadcasts, converts dtype */
int dlt_fill_(dlt_tensor *dst, double v);
/* dlt_fill_(dst, 0), contiguous memory zeroed by memset over the two threads */
int dlt_zero_(dlt_tensor *dst);
/* dst += alpha * src (same shape); the workhorse of gradient accumulation */
int dlt_axpy_(dlt_tensor *dst, double alpha, const dlt_tensor *src);

/* reductions over one dim (dim >= 0) or all dims (dim = DLT_ALLDIMS, giving 0-D) */
#define DLT_ALLDIMS (-100)
typedef enum { DLT_RSUM,
               DLT_RMEAN,
               DLT_RPROD,
               DLT_RMAX,
               DLT_RMIN,
               DLT_RALL,
               DLT_RANY,
               DLT_RARGMAX,
               DLT_RARGMIN } dlt_redop;
dlt_tensor *dlt_reduce(dlt_redop op, const dlt_tensor *t, int dim, bool keepdim);
/* max/min along dim with 0-based indices (as a tensor of t's dtype) */
dlt_tensor *dlt_max_dim(const dlt_tensor *t, int dim, bool keepdim, bool is_min, dlt_tensor **indices);
/* variance with Bessel's correction when unbiased */
dlt_tensor *dlt_var(const dlt_tensor *t, int dim, bool keepdim, bool unbiased);
dlt_tensor *dlt_norm(const dlt_tensor *t, double p, int dim, bool keepdim);
/* sums t down to a shape it was broadcast from (the gradient of broadcasting);
 * t itself (retained) when no dim needs summing */
dlt_tensor *dlt_sum_to(const dlt_tensor *t, int ndim, const int64_t *shape);
/* softmax or log-softmax along any dim and strides; subtracts the max for stability */
dlt_tensor *dlt_softmax(const dlt_tensor *t, int dim, bool log);

/* linear algebra (OpenBLAS / LAPACK) */
dlt_tensor *dlt_matmul(const dlt_tensor *a, const dlt_tensor *b); /* 1-D, 2-D and batched, as torch.matmul */
dlt_tensor *dlt_mm(const dlt_tensor *a, const dlt_tensor *b);     /* 2-D only */
dlt_tensor *dlt_dot(const dlt_tensor *a, const dlt_tensor *b);    /* 1-D only, 0-D result */
/* C = alpha*op(A)op(B) + beta*C on 2-D tensors of one dtype; transposed views go to BLAS as transposes */
int dlt_gemm(bool ta, bool tb, double alpha, const dlt_tensor *a, const dlt_tensor *b, double beta, dlt_tensor *c);
/* BLAS threads (core/blas.c): products of m x k by k x n from 128M multiply-adds use the
 * count dlt.num_threads sets, smaller ones one thread; workers live only during a product.
 * Call dlt_blas_threads_for before and dlt_blas_done after every ?gemm. */
void dlt_blas_threads_for(int64_t m, int64_t n, int64_t k);
void dlt_blas_done(void);
/* C (m x n) = alpha op(A) op(B) + beta C as cblas_?gemm(CblasRowMajor, ...) does it (f32:
 * float, else double; ta, tb: transposed), split by rows over two threads when large */
void dlt_gemm_rows(bool f32, bool ta, bool tb, int m, int n, int k, double alpha, const void *a, int lda,
                   const void *b, int ldb, double beta, void *c, int ldc);
int dlt_blas_num_threads(void);
void dlt_blas_set_num_threads(int n);
dlt_tensor *dlt_lstsq(const dlt_tensor *A, const dlt_tensor *b);            /* minimum-norm solution via SVD (gelsd) */
dlt_tensor *dlt_polyfit(const dlt_tensor *x, const dlt_tensor *y, int deg); /* highest power first, as NumPy */
dlt_tensor *dlt_polyval(const dlt_tensor *coeffs, const dlt_tensor *x);

/* indexing and joining; idx holds 0-based indices */
dlt_tensor *dlt_index_select(const dlt_tensor *t, int dim, const int64_t *idx, int64_t n);
int dlt_index_add_(dlt_tensor *dst, int dim, const int64_t *idx, int64_t n, const dlt_tensor *src);
dlt_tensor *dlt_cat(dlt_tensor *const *ts, int n, int dim);
dlt_tensor *dlt_stack(dlt_tensor *const *ts, int n, int dim);
/* 0-based positions of nonzero elements of a 1-D tensor (for boolean masks) */
int64_t *dlt_nonzero_1d(const dlt_tensor *t, int64_t *n);

/* printing as PyTorch does: tensor([[1., 2.], ...], dtype=torch.float64) */
char *dlt_format(const dlt_tensor *t); /* malloc'd; NULL on allocation failure */

#endif
