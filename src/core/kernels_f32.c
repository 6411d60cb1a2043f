/* kernels_f32.c: the layer and loss kernels (kernels.inc) for float32. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "core/kernels.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "core/worker.h"

#define R float
#define S(name) name##_f32
/* each product goes through core/blas.c, which picks its threads (split by rows or OpenBLAS's) */
#define GEMM(o, ta, tb, M, N, K, ...) dlt_gemm_rows(true, (ta) == CblasTrans, (tb) == CblasTrans, M, N, K, __VA_ARGS__)
#include "core/kernels.inc"
