/* test_core_linalg.c: lstsq against NumPy (over-, under-determined and rank-deficient),
 * and polyfit/polyval on the notebook's overfitting data (degrees 1, 4 and 15). */
#include "fixtures_core.h"
#include "test_core_util.h"

Test(core_linalg, lstsq_matches_numpy) {
  dlt_tensor *A = mk(DLT_FLOAT64, lstsq_A_over, 2, (int64_t[]){6, 3}), *b = mk(DLT_FLOAT64, lstsq_b_over, 1, (int64_t[]){6});
  dlt_tensor *x = dlt_lstsq(A, b);
  cr_assert(x, "%s", dlt_error());
  expect_shape(x, 3);
  expect_values(x, lstsq_x_over, 3, 1e-12, 1e-14, "overdetermined");
  /* underdetermined with two right-hand sides: the minimum-norm solutions */
  dlt_tensor *U = mk(DLT_FLOAT64, lstsq_A_under, 2, (int64_t[]){2, 4}), *B = mk(DLT_FLOAT64, lstsq_b_under, 2, (int64_t[]){2, 2});
  dlt_tensor *xu = dlt_lstsq(U, B);
  expect_shape(xu, 4, 2);
  expect_values(xu, lstsq_x_under, 8, 1e-12, 1e-14, "underdetermined");
  /* rank 1: singular values below eps * max(M, N) * s_max are dropped, as NumPy does */
  dlt_tensor *R64 = mk(DLT_FLOAT64, lstsq_A_rank, 2, (int64_t[]){5, 3}), *br = mk(DLT_FLOAT64, lstsq_b_rank, 1, (int64_t[]){5});
  dlt_tensor *xr64 = dlt_lstsq(R64, br);
  expect_values(xr64, lstsq_x_rank, 3, 1e-10, 1e-12, "rank deficient");
  /* float32 A: computed in double, returned in the promoted dtype */
  dlt_tensor *R = mk(DLT_FLOAT32, lstsq_A_over, 2, (int64_t[]){6, 3}), *b32 = mk(DLT_FLOAT32, lstsq_b_over, 1, (int64_t[]){6});
  dlt_tensor *xr = dlt_lstsq(R, b), *x32 = dlt_lstsq(R, b32);
  cr_assert_eq(xr->dtype, DLT_FLOAT64);
  cr_assert_eq(x32->dtype, DLT_FLOAT32);
  expect_values(xr, lstsq_x_over, 3, 1e-5, 1e-6, "float32 A");
  expect_values(x32, lstsq_x_over, 3, 1e-5, 1e-6, "float32 A and b");
  cr_assert_null(dlt_lstsq(A, B));
  cr_assert_str_eq(dlt_error(), "lstsq: A must be 2-D and b 1-D or 2-D with as many rows, got shapes {6,3} and {2,2}");
  dlt_tensor *rs[] = {A, b, x, U, B, xu, R, br, R64, xr, xr64, b32, x32};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_linalg, polyfit_reproduces_numpy_on_the_notebook_data) {
  dlt_tensor *x = mk(DLT_FLOAT64, poly_x, 1, (int64_t[]){30}), *y = mk(DLT_FLOAT64, poly_y, 1, (int64_t[]){30});
  dlt_tensor *xt = mk(DLT_FLOAT64, poly_xtest, 1, (int64_t[]){100});
  const double *coef[3] = {poly_c1, poly_c4, poly_c15}, *fit[3] = {poly_fit1, poly_fit4, poly_fit15};
  const double *test[3] = {poly_test1, poly_test4, poly_test15};
  const int degs[3] = {1, 4, 15};
  /* Degrees 1 and 4 are well conditioned: coefficients agree to 1e-11 relative. Degree 15
   * on 30 points is ill conditioned (coefficients up to ~1e9): on the SkylakeX kernels
   * they agree with NumPy to 1e-8 relative and the fitted values to 1e-10, on OpenBLAS's
   * Zen kernels to 4e-6 and 3e-8. The tolerances leave room for either: 2e-5 relative on
   * the degree-15 coefficients, 1e-6 absolute on its fitted curve (values of order 1). */
  const double crtol[3] = {1e-11, 1e-11, 2e-5}, catol[3] = {1e-12, 1e-9, 1e-3};
  const double fatol[3] = {1e-8, 1e-8, 1e-6};
  for (int k = 0; k < 3; k++) {
    dlt_tensor *c = dlt_polyfit(x, y, degs[k]);
    cr_assert(c, "%s", dlt_error());
    expect_shape(c, degs[k] + 1);
    expect_values(c, coef[k], degs[k] + 1, crtol[k], catol[k], "polyfit coefficients");
    dlt_tensor *f = dlt_polyval(c, x), *g = dlt_polyval(c, xt);
    expect_values(f, fit[k], 30, 0, fatol[k], "polyval at the training points");
    expect_values(g, test[k], 100, 0, fatol[k], "polyval on the test grid");
    dlt_release(c);
    dlt_release(f);
    dlt_release(g);
  }
  cr_assert_null(dlt_polyfit(x, y, -1));
  cr_assert_str_eq(dlt_error(), "polyfit: degree must be non-negative, got -1");
  dlt_release(x);
  dlt_release(y);
  dlt_release(xt);
}

Test(core_linalg, polyval_is_horner_in_numpy_order) {
  dlt_tensor *c = mk(DLT_FLOAT32, (double[]){2, -3, 1}, 1, (int64_t[]){3}); /* 2x^2 - 3x + 1 */
  dlt_tensor *x = mk(DLT_FLOAT32, (double[]){0, 1, 2, -1}, 2, (int64_t[]){2, 2});
  dlt_tensor *y = dlt_polyval(c, x);
  expect_shape(y, 2, 2);
  expect_values(y, ((double[]){1, 0, 3, 6}), 4, 0, 0, "polyval");
  dlt_release(c);
  dlt_release(x);
  dlt_release(y);
}

/* LAPACK's dgelsd never returns on an infinity: non-finite input is refused first */
Test(core_linalg, non_finite_input_is_refused_not_handed_to_lapack, .timeout = 20) {
  dlt_tensor *A = mk(DLT_FLOAT64, (double[]){INFINITY, 1, 2, 1, 2, 3, 3, 4, 5}, 2, (int64_t[]){3, 3});
  dlt_tensor *b = mk(DLT_FLOAT64, (double[]){1, NAN, 2}, 1, (int64_t[]){3});
  dlt_tensor *ones = mk(DLT_FLOAT64, (double[]){1, 1, 1}, 1, (int64_t[]){3});
  dlt_tensor *x = mk(DLT_FLOAT64, (double[]){1, 2, 1e300}, 1, (int64_t[]){3});
  cr_assert_null(dlt_lstsq(A, ones));
  cr_assert_str_eq(dlt_error(), "lstsq: an infinity in A; least squares needs finite values");
  dlt_tensor *A2 = mk(DLT_FLOAT64, (double[]){1, 0, 0, 1, 1, 1}, 2, (int64_t[]){3, 2});
  cr_assert_null(dlt_lstsq(A2, b));
  cr_assert_str_eq(dlt_error(), "lstsq: NaN in b; least squares needs finite values");
  cr_assert_null(dlt_polyfit(ones, b, 1));
  cr_assert_str_eq(dlt_error(), "polyfit: NaN in y; least squares needs finite values");
  cr_assert_null(dlt_polyfit(b, ones, 1));
  cr_assert_str_eq(dlt_error(), "polyfit: x[2] is nan; least squares needs finite values");
  cr_assert_null(dlt_polyfit(x, ones, 3)); /* (1e300)^3 overflows */
  cr_assert_str_eq(dlt_error(), "polyfit: NaN in the powers of x (x^deg overflows); least squares needs finite values");
  dlt_release(A), dlt_release(b), dlt_release(ones), dlt_release(x), dlt_release(A2);
}
