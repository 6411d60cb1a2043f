/* kernels_f32.c: the nn kernels (kernels.inc) for float32. */
/* the hot loops need the vectorizer, which -O2 runs only in its cheapest mode */
#pragma GCC optimize("O3")

#include <cblas.h>
#include <math.h>
#include <tgmath.h>

#include "core/random.h"
#include "nn/kernels.h"

#define R float
#define S(name) name##_f32
#define GEMM cblas_sgemm
#include "nn/kernels.inc"
