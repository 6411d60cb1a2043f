/* creation.c: ranges and the identity (arange, linspace, logspace, eye), computed as
 * PyTorch does so values match it element for element. */
#include <math.h>

#include "core/tensor.h"

/* element i of a fresh contiguous 1-D or 2-D t */
static void put(dlt_tensor *t, int64_t i, double v) {
  int64_t idx[2] = {t->ndim == 2 ? i / t->shape[1] : i, t->ndim == 2 ? i % t->shape[1] : 0};
  dlt_set(t, idx, v);
}

/* PyTorch 1.13's CPU range kernels (AVX2 build): pairs of 32-byte vectors, each filled
 * as base + lane * step with the base computed per vector, then the tail element by
 * element; base and tail are fused multiply-adds. We do the same, so values match
 * torch's bit for bit. */
#define VLANES(T) ((int64_t)(32 / sizeof(T)))

/* arange_float/double, linspace_float/double (and their lin_at) */
#define T float
#define S(name) name##_float
#define FMA fmaf
#include "core/creation.inc"
#undef T
#undef S
#undef FMA
#define T double
#define S(name) name##_double
#define FMA fma
#include "core/creation.inc"
#undef T
#undef S
#undef FMA

dlt_tensor *dlt_arange(double start, double stop, double step, dlt_dtype dtype) {
  if (!isfinite(start) || !isfinite(stop)) return dlt_fail("arange: bounds must be finite, got %g and %g", start, stop);
  if (step == 0 || step != step) return dlt_fail("arange: step must be nonzero, got %g", step);
  if ((step > 0 && stop < start) || (step < 0 && stop > start))
    return dlt_fail("arange: upper bound %g and lower bound %g are inconsistent with step sign %g", stop, start, step);
  double len = ceil((stop - start) / step);
  if (len > 1e12) return dlt_fail("arange: %g elements is too many", len);
  int64_t n = (int64_t)len;
  dlt_tensor *t = dlt_empty(1, &n, dtype);
  if (t && dtype == DLT_FLOAT32) arange_float(t->storage->data, start, step, n);
  else if (t && dtype == DLT_FLOAT64) arange_double(t->storage->data, start, step, n);
  else
    for (int64_t i = 0; t && i < n; i++) put(t, i, fma(step, (double)i, start));
  return t;
}

dlt_tensor *dlt_linspace(double a, double b, int64_t n, dlt_dtype dtype) {
  if (n < 0) return dlt_fail("linspace: number of steps must be non-negative, got %lld", (long long)n);
  dlt_tensor *t = dlt_empty(1, &n, dtype);
  if (!t || n == 0) return t;
  if (n == 1) put(t, 0, a);
  else if (dtype == DLT_FLOAT32) linspace_float(t->storage->data, (float)a, (float)b, n);
  else if (dtype == DLT_FLOAT64) linspace_double(t->storage->data, a, b, n);
  else
    for (int64_t i = 0; i < n; i++) put(t, i, i < n / 2 ? a + (b - a) / (double)(n - 1) * (double)i : b - (b - a) / (double)(n - 1) * (double)(n - i - 1));
  return t;
}

dlt_tensor *dlt_logspace(double a, double b, int64_t n, double base, dlt_dtype dtype) {
  if (n < 0) return dlt_fail("logspace: number of steps must be non-negative, got %lld", (long long)n);
  dlt_tensor *t = dlt_empty(1, &n, dtype);
  if (!t) return NULL;
  double step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  int64_t half = n / 2;
  for (int64_t i = 0; i < n; i++)
    put(t, i, pow(base, i < half ? a + step * (double)i : b - step * (double)(n - i - 1)));
  if (n == 1) put(t, 0, pow(base, a));
  return t;
}

dlt_tensor *dlt_eye(int64_t n, int64_t m, dlt_dtype dtype) {
  if (m < 0) m = n;
  if (n < 0) return dlt_fail("eye: n must be non-negative, got %lld", (long long)n);
  int64_t shape[2] = {n, m};
  dlt_tensor *t = dlt_zeros(2, shape, dtype);
  for (int64_t i = 0; t && i < n && i < m; i++) put(t, i * m + i, 1);
  return t;
}
