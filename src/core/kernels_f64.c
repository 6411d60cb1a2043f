/* kernels_f64.c: the layer and loss kernels (kernels.inc) for float64. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "core/kernels.h"
#include "core/ops.h"
#include "core/random.h"  /* dlt_rng8 */
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "core/worker.h"

#define R double
#define S(name) name##_f64
/* each product goes through core/blas.c, which picks its threads (split by rows or OpenBLAS's) */
#define GEMM(o, ta, tb, M, N, K, ...) dlt_gemm_rows(false, (ta) == CblasTrans, (tb) == CblasTrans, M, N, K, __VA_ARGS__)
#include "core/kernels.inc"
