/* test_nn_util.h: helpers of the nn criterion tests: tensors from values or the
 * generator, and the Jacobian check of one fused op through autograd's gradcheck. */
#ifndef TEST_NN_UTIL_H
#define TEST_NN_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "autograd/fused.h"
#include "autograd/gradcheck.h"
#include "core/ops.h"
#include "core/random.h"

static inline dlt_tensor *vals(const double *v, int ndim, const int64_t *shape, bool grad) {
  dlt_tensor *t = dlt_from_doubles(v, ndim, shape, DLT_FLOAT64);
  cr_assert(t, "from_doubles: %s", dlt_error());
  t->requires_grad = grad;
  return t;
}

/* standard normal float64 values, shifted by mean */
static inline dlt_tensor *randn(int ndim, const int64_t *shape, double mean, bool grad) {
  dlt_tensor *t = dlt_empty(ndim, shape, DLT_FLOAT64);
  cr_assert(t);
  cr_assert_eq(dlt_normal_(t, mean, 1), 0);
  t->requires_grad = grad;
  return t;
}

static inline double at(const dlt_tensor *t, int64_t i) { return dlt_get_flat(t, i); }

static inline bool near(double got, double want, double rtol, double atol) {
  return fabs(got - want) <= atol + rtol * fabs(want);
}

/* gradcheck that must pass, with the engine's message when it does not */
#define expect_gradcheck(fn, ud, inputs, n) \
  do { \
    dlt_gradcheck_opts o_; \
    dlt_gradcheck_defaults(&o_); \
    o_.per_element = true; \
    cr_assert_eq(dlt_gradcheck(fn, ud, inputs, n, &o_), 0, "gradcheck: %s", dlt_error()); \
  } while (0)

#define expect_error(expr, text) \
  do { \
    dlt_tensor *r_ = (expr); \
    cr_assert_null(r_, "expected an error containing \"%s\"", text); \
    cr_assert(strstr(dlt_error(), text), "error \"%s\" lacks \"%s\"", dlt_error(), text); \
  } while (0)

#endif
