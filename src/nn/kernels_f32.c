/* kernels_f32.c: the nn kernels (kernels.inc) for float32. */
/* the hot loops need the vectorizer, which -O2 runs only in its cheapest mode */
#pragma GCC optimize("O3")

#include <cblas.h>
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "core/ops.h"
#include "core/random.h"
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "nn/kernels.h"

#define R float
#define S(name) name##_f32
/* each product picks its BLAS thread count and then stops the workers (core/blas.c) */
#define GEMM(o, ta, tb, M, N, K, ...) (dlt_blas_threads_for(M, N, K), cblas_sgemm(o, ta, tb, M, N, K, __VA_ARGS__), dlt_blas_done())
#include "nn/kernels.inc"
