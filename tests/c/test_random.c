/* test_random.c: the generator repeats under a seed and its distributions have the
 * right moments and tails (1e6 draws; tolerances are about 6 standard errors). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    beyond_r += fabs(x[i]) > 3.7; /* past the ziggurat's base layer: the tail sampler */
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
  dlt_tensor *t = dlt_transpose(base, 0, 1); /* (4,3), not contiguous */
  dlt_manual_seed(3);
  dlt_normal_(a, 0, 1);
  dlt_manual_seed(3);
  dlt_normal_(t, 0, 1);
  for (int64_t i = 0; i < 12; i++) cr_assert_eq(dlt_get_flat(a, i), dlt_get_flat(t, i));
  dlt_release(t);
  dlt_release(base);
  dlt_release(a);
}

/* The bulk fills (four generator lanes jumped apart, branch-free blocks of the ziggurat)
 * must give exactly the stream of one-at-a-time draws, and leave the generator where
 * those would: sizes straddle the 16384-draw lane blocks, the 64-draw mask words and
 * the 4-wide vectors, in float32 and float64, then one more scalar draw checks the state. */
/* normal_ turns one buffer of draws into normals while the helper thread draws the
 * next; a slow path that draws past its buffer must leave the stream where one-at-a-time
 * draws would. 60 sizes and seeds give a few hundred buffer ends to cross. */
Test(random, normal_fills_across_prefetched_buffers_keep_the_stream) {
  for (int c = 0; c < 60; c++) {
    int64_t n = 16384 + (int64_t)c * 2731 + (c % 7) * 16384;
    dlt_tensor *t = dlt_empty(1, &n, DLT_FLOAT32);
    dlt_manual_seed(1000 + (uint64_t)c);
    dlt_normal_(t, 0, 1);
    uint64_t after = dlt_rand_u64();
    dlt_manual_seed(1000 + (uint64_t)c);
    for (int64_t i = 0; i < n; i++) {
      float v = (float)dlt_rand_normal(), got = (float)dlt_get_flat(t, i);
      cr_assert(got == v, "n=%lld seed %d: element %lld is %.9g, one at a time %.9g", (long long)n, 1000 + c,
                (long long)i, got, v);
    }
    cr_assert_eq(dlt_rand_u64(), after, "n=%lld: the generator ends elsewhere", (long long)n);
    dlt_release(t);
  }
}

Test(random, bulk_fills_draw_exactly_the_one_at_a_time_stream) {
  const int64_t sizes[] = {1, 3, 4, 63, 64, 65, 16383, 16384, 16385, 2 * 16384 + 777, 65536, 100003,
                           4 * 16384 + 5, 9 * 16384 + 333};
  for (int dt = 0; dt < 2; dt++)
    for (size_t c = 0; c < sizeof sizes / sizeof *sizes; c++)
      for (int normal = 0; normal < 2; normal++) {
        int64_t n = sizes[c];
        dlt_dtype dtype = dt ? DLT_FLOAT64 : DLT_FLOAT32;
        dlt_tensor *t = dlt_empty(1, &n, dtype);
        dlt_manual_seed(11 + (uint64_t)c);
        if (normal) dlt_normal_(t, 0.25, 1.5);
        else dlt_uniform_(t, -0.5, 2);
        uint64_t after = dlt_rand_u64();
        dlt_manual_seed(11 + (uint64_t)c);
        for (int64_t i = 0; i < n; i++) {
          double v = normal ? 0.25 + 1.5 * dlt_rand_normal() : -0.5 + (2 - -0.5) * dlt_rand_uniform();
          double got = dlt_get_flat(t, i);
          if (dtype == DLT_FLOAT32) v = (float)v;
          cr_assert(got == v || (got != got && v != v), "%s n=%lld dtype %d: element %lld is %.17g, one at a time %.17g",
                    normal ? "normal_" : "uniform_", (long long)n, dt, (long long)i, got, v);
        }
        cr_assert_eq(dlt_rand_u64(), after, "%s n=%lld: the generator ends elsewhere", normal ? "normal_" : "uniform_", (long long)n);
        dlt_release(t);
      }
}

/* Under DLT_RNG_GENERIC=1 (ctest's c_test_random_generic) the generic build runs, so
 * the tests above check it too; otherwise the CPU's. */
Test(random, the_switch_forces_the_generic_build) {
  const char *e = getenv("DLT_RNG_GENERIC");
  if (e && strcmp(e, "1") == 0) cr_assert_eq(dlt_rng_isa(), 0);
  else cr_assert(dlt_rng_isa() >= 0 && dlt_rng_isa() <= 2);
}

/* Generators are values: two seeded alike draw alike, a draw from one leaves the other
 * and the default alone, and a saved state restores the stream exactly. */
Test(random, generators_are_independent_values_with_a_state) {
  dlt_generator a = {{0}, 0}, b = {{0}, 0};
  dlt_generator_seed(&a, 5);
  dlt_generator_seed(&b, 5);
  dlt_manual_seed(5);
  uint64_t d0 = dlt_rand_u64();
  int64_t n = 50000;
  dlt_tensor *x = dlt_empty(1, &n, DLT_FLOAT64), *y = dlt_empty(1, &n, DLT_FLOAT64);
  cr_assert_eq(dlt_generator_normal_(&a, x, 0, 1), 0);
  uint64_t st[4];
  dlt_generator_get_state(&a, st);
  double next_a = dlt_generator_normal(&a);
  cr_assert_eq(dlt_generator_normal_(&b, y, 0, 1), 0);
  for (int64_t i = 0; i < n; i++) cr_assert_eq(dlt_get_flat(x, i), dlt_get_flat(y, i));
  dlt_manual_seed(5);
  cr_assert_eq(dlt_rand_u64(), d0, "the default generator was not touched");
  cr_assert_eq(dlt_generator_set_state(&b, st), 0);
  cr_assert_eq(dlt_generator_normal(&b), next_a);
  uint64_t zero[4] = {0, 0, 0, 0};
  cr_assert_eq(dlt_generator_set_state(&b, zero), -1);
  dlt_release(x);
  dlt_release(y);
}
