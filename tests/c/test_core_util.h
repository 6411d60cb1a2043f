/* test_core_util.h: small helpers shared by the core engine's criterion tests. */
#ifndef TEST_CORE_UTIL_H
#define TEST_CORE_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/ops.h"

/* a tensor of the given shape filled from v (row-major) */
static inline dlt_tensor *mk(dlt_dtype dt, const double *v, int ndim, const int64_t *shape) {
  dlt_tensor *t = dlt_from_doubles(v, ndim, shape, dt);
  cr_assert(t, "from_doubles: %s", dlt_error());
  return t;
}

/* 0, 1, 2, ... shaped as asked */
static inline dlt_tensor *iota(dlt_dtype dt, int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  dlt_tensor *t = dlt_empty(ndim, shape, dt);
  cr_assert(t);
  for (int64_t i = 0; i < n; i++) {
    if (dt == DLT_FLOAT32) ((float *)t->storage->data)[i] = (float)i;
    else ((double *)t->storage->data)[i] = (double)i;
  }
  return t;
}

static inline bool close_to(double got, double want, double rtol, double atol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= atol + rtol * fabs(want);
}

/* every element of t (row-major, any strides) against want */
#define expect_values(t, want, n, rtol, atol, what) \
  do { \
    cr_assert_eq(dlt_numel(t), (int64_t)(n), "%s: %lld elements, want %lld", what, \
                 (long long)dlt_numel(t), (long long)(n)); \
    for (int64_t i_ = 0; i_ < (int64_t)(n); i_++) { \
      double g_ = dlt_get_flat(t, i_), w_ = (want)[i_]; \
      cr_assert(close_to(g_, w_, rtol, atol), "%s: element %lld is %.17g, want %.17g", what, \
                (long long)i_, g_, w_); \
    } \
  } while (0)

#define expect_shape(t, ...) \
  do { \
    const int64_t want_[] = {__VA_ARGS__}; \
    int nd_ = (int)(sizeof want_ / sizeof want_[0]); \
    char b_[128]; \
    cr_assert_eq((t)->ndim, nd_, "shape %s has %d dims, want %d", dlt_shape_str(t, b_, sizeof b_), \
                 (t)->ndim, nd_); \
    for (int k_ = 0; k_ < nd_; k_++) \
      cr_assert_eq((t)->shape[k_], want_[k_], "shape %s, dim %d", dlt_shape_str(t, b_, sizeof b_), k_ + 1); \
  } while (0)

#endif
