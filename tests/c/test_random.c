/* test_random.c: the generator repeats under a seed and its distributions have the
 * right moments and tails (1e6 draws; tolerances are about 6 standard errors). */
#include <criterion/criterion.h>
#include <math.h>

#include "core/random.h"

#define N 1000000

static dlt_tensor *vec(dlt_dtype dt) {
  int64_t n = N;
  return dlt_empty(1, &n, dt);
}

Test(random, manual_seed_repeats_every_draw) {
  dlt_tensor *a = vec(DLT_FLOAT64), *b = vec(DLT_FLOAT64);
  dlt_manual_seed(7);
  dlt_normal_(a, 0, 1);
  dlt_manual_seed(7);
  dlt_normal_(b, 0, 1);
  const double *x = dlt_data(a), *y = dlt_data(b);
  for (int i = 0; i < N; i++) cr_assert_eq(x[i], y[i]);
  dlt_release(a);
  dlt_release(b);
}

Test(random, normal_has_standard_moments_and_tails) {
  dlt_tensor *t = vec(DLT_FLOAT64);
  dlt_manual_seed(1);
  dlt_normal_(t, 0, 1);
  const double *x = dlt_data(t);
  double s1 = 0, s2 = 0, s4 = 0;
  int64_t beyond2 = 0, beyond_r = 0;
  for (int i = 0; i < N; i++) {
    s1 += x[i];
    s2 += x[i] * x[i];
    s4 += x[i] * x[i] * x[i] * x[i];
    beyond2 += fabs(x[i]) > 2;
    beyond_r += fabs(x[i]) > 3.7;  /* past the ziggurat's base layer: the tail sampler */
  }
  double mean = s1 / N, var = s2 / N - mean * mean, kurt = s4 / N / (var * var);
  cr_assert(fabs(mean) < 0.006, "mean %g", mean);
  cr_assert(fabs(var - 1) < 0.009, "variance %g", var);
  cr_assert(fabs(kurt - 3) < 0.03, "kurtosis %g", kurt);
  /* P(|z| > 2) = 0.04550, P(|z| > 3.7) = 2.157e-4 */
  cr_assert(fabs(beyond2 / (double)N - 0.0455) < 0.0013, "P(|z|>2) %g", beyond2 / (double)N);
  cr_assert(fabs(beyond_r / (double)N - 2.157e-4) < 9e-5, "P(|z|>3.7) %g", beyond_r / (double)N);
  dlt_release(t);
}

Test(random, uniform_fills_its_interval_evenly) {
  dlt_tensor *t = vec(DLT_FLOAT32);
  dlt_manual_seed(2);
  dlt_uniform_(t, -1, 3);
  const float *x = dlt_data(t);
  double s1 = 0, s2 = 0;
  for (int i = 0; i < N; i++) {
    cr_assert(x[i] >= -1 && x[i] <= 3);
    s1 += x[i];
    s2 += (double)x[i] * x[i];
  }
  double mean = s1 / N, var = s2 / N - mean * mean;
  cr_assert(fabs(mean - 1) < 0.007, "mean %g", mean);
  cr_assert(fabs(var - 16.0 / 12) < 0.006, "variance %g", var);
  dlt_release(t);
}

Test(random, a_strided_view_draws_the_same_sequence_in_row_major_order) {
  int64_t sh[2] = {3, 4};
  dlt_tensor *a = dlt_empty(2, sh, DLT_FLOAT64), *base = dlt_empty(2, sh, DLT_FLOAT64);
  dlt_tensor *t = dlt_transpose(base, 0, 1);  /* (4,3), not contiguous */
  dlt_manual_seed(3);
  dlt_normal_(a, 0, 1);
  dlt_manual_seed(3);
  dlt_normal_(t, 0, 1);
  for (int64_t i = 0; i < 12; i++) cr_assert_eq(dlt_get_flat(a, i), dlt_get_flat(t, i));
  dlt_release(t);
  dlt_release(base);
  dlt_release(a);
}
