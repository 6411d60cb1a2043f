/* test_unary_tanh.c: dlt's own vectorized tanh against libm over sweeps of every range
 * (tiny, subnormal, around 1, past saturation, +-inf, NaN, -0.0), in float32 and float64.
 * Errors are in ulps of the correctly rounded result (taken from long double tanhl);
 * measured: float32 at most 1 ulp (libm's tanhf: 2), float64 at most 2 ulps (libm's tanh: 2). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/ops.h"

/* distance in representable numbers between two finite floats of one sign convention */
static int64_t ord32(float f) {
  int32_t i;
  memcpy(&i, &f, 4);
  return i < 0 ? -(int64_t)(i & 0x7fffffff) : i;
}
static int64_t ord64(double d) {
  int64_t i;
  memcpy(&i, &d, 8);
  return i < 0 ? -(i & 0x7fffffffffffffffLL) : i;
}
static int64_t dist(int64_t a, int64_t b) { return a > b ? a - b : b - a; }

/* dlt's tanh of n values through the unary kernel (contiguous, vectorized) */
static dlt_tensor *tanh_of(const void *x, int64_t n, dlt_dtype dt) {
  dlt_tensor *t = dlt_empty(1, &n, dt);
  memcpy(dlt_data(t), x, (size_t)n * (dt == DLT_FLOAT32 ? 4 : 8));
  dlt_tensor *r = dlt_unary(DLT_TANH, t);
  dlt_release(t);
  return r;
}

Test(unary_tanh, float32_is_within_1_ulp_everywhere) {
  /* every 251st bit pattern of all 2^32 floats, plus the edges */
  const int64_t n = (1LL << 32) / 251 + 8;
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n - 8; i++) {
    uint32_t b = (uint32_t)(i * 251);
    memcpy(&x[i], &b, 4);
  }
  const float edges[8] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -9.0f, 9.1f};
  memcpy(x + n - 8, edges, sizeof edges);
  dlt_tensor *r = tanh_of(x, n, DLT_FLOAT32);
  const float *y = dlt_data(r);
  int64_t worst = 0, worst_libm = 0;
  float at = 0;
  for (int64_t i = 0; i < n; i++) {
    float want = (float)tanhl((long double)x[i]), libm = tanhf(x[i]);
    if (isnan(want)) {
      cr_assert(isnan(y[i]), "tanh(nan) = %g", y[i]);
      continue;
    }
    cr_assert(signbit(y[i]) == signbit(want), "tanh(%a) = %a has the wrong sign", x[i], y[i]);
    int64_t d = dist(ord32(y[i]), ord32(want));
    if (d > worst) {
      worst = d;
      at = x[i];
    }
    if (dist(ord32(libm), ord32(want)) > worst_libm) worst_libm = dist(ord32(libm), ord32(want));
  }
  cr_log_info("float32 tanh: max %lld ulp (at %a), libm tanhf %lld ulp", (long long)worst, at, (long long)worst_libm);
  cr_assert(worst <= 1, "float32 tanh is %lld ulps off at %a", (long long)worst, at);
  cr_assert_eq(y[n - 7], -0.0f);
  cr_assert(signbit(y[n - 7]));
  cr_assert_eq(y[n - 6], 1.0f);
  cr_assert_eq(y[n - 5], -1.0f);
  dlt_release(r);
  free(x);
}

Test(unary_tanh, float64_is_within_2_ulps_everywhere) {
  /* 2^21 bit patterns spread over all doubles (a large odd stride), plus the edges */
  const int64_t n = (1LL << 21) + 8;
  double *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n - 8; i++) {
    uint64_t b = (uint64_t)i * 0x80000000000b5ULL; /* ~2^43: each exponent gets ~1000 */
    memcpy(&x[i], &b, 8);
  }
  const double edges[8] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 5e-324, -19.0, 19.1};
  memcpy(x + n - 8, edges, sizeof edges);
  dlt_tensor *r = tanh_of(x, n, DLT_FLOAT64);
  const double *y = dlt_data(r);
  int64_t worst = 0, worst_libm = 0;
  double at = 0;
  for (int64_t i = 0; i < n; i++) {
    double want = (double)tanhl((long double)x[i]), libm = tanh(x[i]);
    if (isnan(want)) {
      cr_assert(isnan(y[i]), "tanh(nan) = %g", y[i]);
      continue;
    }
    cr_assert(signbit(y[i]) == signbit(want), "tanh(%a) = %a has the wrong sign", x[i], y[i]);
    int64_t d = dist(ord64(y[i]), ord64(want));
    if (d > worst) {
      worst = d;
      at = x[i];
    }
    if (dist(ord64(libm), ord64(want)) > worst_libm) worst_libm = dist(ord64(libm), ord64(want));
  }
  cr_log_info("float64 tanh: max %lld ulp (at %a), libm tanh %lld ulp", (long long)worst, at, (long long)worst_libm);
  cr_assert(worst <= 2, "float64 tanh is %lld ulps off at %a", (long long)worst, at);
  cr_assert(y[n - 7] == 0 && signbit(y[n - 7]));
  cr_assert_eq(y[n - 6], 1.0);
  cr_assert_eq(y[n - 5], -1.0);
  /* the scalar form (dlt_unop_apply) is the same function */
  for (int64_t i = 0; i < n; i += 997)
    cr_assert(dlt_unop_apply(DLT_TANH, x[i]) == y[i] || isnan(y[i]), "scalar tanh(%a) differs", x[i]);
  dlt_release(r);
  free(x);
}

Test(unary_tanh, the_range_of_activations_is_within_1_ulp_densely) {
  /* 2^22 evenly spaced floats in [-10, 10): where network activations live */
  const int64_t n = 1 << 22;
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n; i++) x[i] = (float)(-10.0 + 20.0 * (double)i / (double)n);
  dlt_tensor *r = tanh_of(x, n, DLT_FLOAT32);
  const float *y = dlt_data(r);
  int64_t worst = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t d = dist(ord32(y[i]), ord32((float)tanhl((long double)x[i])));
    if (d > worst) worst = d;
  }
  cr_assert(worst <= 1, "max %lld ulp", (long long)worst);
  dlt_release(r);
  free(x);
}
