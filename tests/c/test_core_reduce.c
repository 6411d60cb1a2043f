/* test_core_reduce.c: reductions over one dim, keepdim and all dims; mean of nothing;
 * unbiased variance; max/min values with first-occurrence indices and NaN; norms;
 * sum_to for broadcast gradients; softmax and log_softmax against PyTorch. */
#include "fixtures_core.h"
#include "test_core_util.h"

/* x is (2,3): [[0,1,2],[3,4,5]] */
Test(core_reduce, sum_mean_prod_over_dims_and_all) {
  for (int dt = 0; dt < 2; dt++) {
    dlt_tensor *x = iota(dt, 2, (int64_t[]){2, 3});
    dlt_tensor *s0 = dlt_reduce(DLT_RSUM, x, 0, false), *s1 = dlt_reduce(DLT_RSUM, x, -1, true);
    expect_shape(s0, 3);
    expect_values(s0, ((double[]){3, 5, 7}), 3, 0, 0, "sum dim 1");
    expect_shape(s1, 2, 1);
    expect_values(s1, ((double[]){3, 12}), 2, 0, 0, "sum dim -1 keepdim");
    dlt_tensor *all = dlt_reduce(DLT_RSUM, x, DLT_ALLDIMS, false);
    cr_assert_eq(all->ndim, 0);
    cr_assert_eq(dlt_item(all), 15.0);
    cr_assert_eq(all->dtype, (dlt_dtype)dt);
    dlt_tensor *m = dlt_reduce(DLT_RMEAN, x, 1, false), *p = dlt_reduce(DLT_RPROD, x, 0, false);
    expect_values(m, ((double[]){1, 4}), 2, 0, 0, "mean");
    expect_values(p, ((double[]){0, 4, 10}), 3, 0, 0, "prod");
    dlt_tensor *an = dlt_reduce(DLT_RANY, x, 1, false), *al = dlt_reduce(DLT_RALL, x, 1, false);
    expect_values(an, ((double[]){1, 1}), 2, 0, 0, "any");
    expect_values(al, ((double[]){0, 1}), 2, 0, 0, "all");
    dlt_tensor *rs[] = {x, s0, s1, all, m, p, an, al};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
  }
}

Test(core_reduce, reductions_of_strided_views) {
  dlt_tensor *x = iota(DLT_FLOAT32, 2, (int64_t[]){2, 3}), *t = dlt_transpose(x, 0, 1); /* (3,2) */
  dlt_tensor *s = dlt_reduce(DLT_RSUM, t, 1, false);
  expect_values(s, ((double[]){3, 5, 7}), 3, 0, 0, "sum of transpose");
  dlt_tensor *three = iota(DLT_FLOAT64, 3, (int64_t[]){2, 3, 4});
  dlt_tensor *mid = dlt_reduce(DLT_RSUM, three, 1, true);
  expect_shape(mid, 2, 1, 4);
  expect_values(mid, ((double[]){12, 15, 18, 21, 48, 51, 54, 57}), 8, 0, 0, "sum middle dim");
  dlt_tensor *rs[] = {x, t, s, three, mid};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_reduce, float32_sums_accumulate_in_double) {
  int64_t n = 10000001;
  dlt_tensor *x = dlt_full(1, &n, 0.1, DLT_FLOAT32);
  dlt_tensor *s = dlt_reduce(DLT_RSUM, x, DLT_ALLDIMS, false);
  cr_assert(close_to(dlt_item(s), (double)(float)(n * (double)0.1f), 1e-7, 0), "sum %.9g", dlt_item(s));
  dlt_release(x);
  dlt_release(s);
}

Test(core_reduce, empty_reductions_follow_torch) {
  dlt_tensor *e = dlt_zeros(1, (int64_t[]){0}, DLT_FLOAT32);
  dlt_tensor *m = dlt_reduce(DLT_RMEAN, e, DLT_ALLDIMS, false), *s = dlt_reduce(DLT_RSUM, e, 0, false);
  dlt_tensor *p = dlt_reduce(DLT_RPROD, e, DLT_ALLDIMS, false);
  cr_assert(isnan(dlt_item(m)));
  cr_assert_eq(dlt_item(s), 0.0);
  cr_assert_eq(dlt_item(p), 1.0);
  cr_assert_null(dlt_reduce(DLT_RMAX, e, 0, false));
  cr_assert_str_eq(dlt_error(), "max: cannot reduce an empty dimension (tensor of 0 elements)");
  cr_assert_null(dlt_reduce(DLT_RSUM, e, 1, false));
  cr_assert_str_eq(dlt_error(), "sum: dimension 2 out of range for a 1-D tensor");
  dlt_release(e);
  dlt_release(m);
  dlt_release(s);
  dlt_release(p);
}

Test(core_reduce, variance_is_unbiased_by_default) {
  double v[] = {1, 2, 4, 7, 2, 2, 2, 2};
  dlt_tensor *x = mk(DLT_FLOAT32, v, 2, (int64_t[]){2, 4});
  dlt_tensor *u = dlt_var(x, 1, false, true), *b = dlt_var(x, 1, true, false);
  /* row 0: mean 3.5, squared deviations 6.25+2.25+0.25+12.25 = 21 */
  expect_values(u, ((double[]){7, 0}), 2, 1e-7, 0, "var unbiased");
  expect_shape(b, 2, 1);
  expect_values(b, ((double[]){5.25, 0}), 2, 1e-7, 0, "var biased");
  dlt_tensor *all = dlt_var(x, DLT_ALLDIMS, false, true);
  /* mean 2.75; squared deviations 3.0625+0.5625+1.5625+18.0625+4*0.5625 = 25.5 */
  cr_assert(close_to(dlt_item(all), 25.5 / 7, 1e-6, 0));
  dlt_tensor *one = dlt_scalar(3, DLT_FLOAT32), *nan = dlt_var(one, DLT_ALLDIMS, false, true);
  cr_assert(isnan(dlt_item(nan)), "var of one element is NaN with correction 1");
  dlt_tensor *rs[] = {x, u, b, all, one, nan};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_reduce, max_min_give_first_indices_and_propagate_nan) {
  double v[] = {3, 1, 3, 0, 5, NAN, 5, NAN, -1, -1, 2, -1};
  dlt_tensor *x = mk(DLT_FLOAT64, v, 2, (int64_t[]){3, 4}), *ix = NULL;
  dlt_tensor *mx = dlt_max_dim(x, 1, false, false, &ix);
  expect_values(mx, ((double[]){3, NAN, 2}), 3, 0, 0, "max values");
  expect_values(ix, ((double[]){0, 1, 2}), 3, 0, 0, "max indices");
  dlt_tensor *jx = NULL, *mn = dlt_max_dim(x, 1, true, true, &jx);
  expect_shape(mn, 3, 1);
  expect_values(mn, ((double[]){0, NAN, -1}), 3, 0, 0, "min values");
  expect_values(jx, ((double[]){3, 1, 0}), 3, 0, 0, "min indices");
  cr_assert(ix->dtype == DLT_INT64 && jx->dtype == DLT_INT64, "indices are int64, as torch.max(dim) gives them");
  dlt_tensor *am = dlt_reduce(DLT_RARGMAX, x, 0, false);
  cr_assert_eq(am->dtype, DLT_INT64);
  expect_values(am, ((double[]){1, 1, 1, 1}), 4, 0, 0, "argmax dim 1");
  dlt_tensor *gm = dlt_reduce(DLT_RARGMIN, x, DLT_ALLDIMS, false);
  cr_assert_eq(dlt_item(gm), 5.0, "argmin over all: the first NaN");
  dlt_tensor *rmax = dlt_reduce(DLT_RMAX, x, 0, false), *rmin = dlt_reduce(DLT_RMIN, x, 0, true);
  expect_values(rmax, ((double[]){5, NAN, 5, NAN}), 4, 0, 0, "reduce max");
  expect_shape(rmin, 1, 4);
  expect_values(rmin, ((double[]){-1, NAN, 2, NAN}), 4, 0, 0, "reduce min");
  dlt_tensor *rs[] = {x, ix, mx, jx, mn, am, gm, rmax, rmin};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_reduce, norms) {
  dlt_tensor *x = mk(DLT_FLOAT32, (double[]){3, -4, 0, 1}, 2, (int64_t[]){2, 2});
  dlt_tensor *n2 = dlt_norm(x, 2, DLT_ALLDIMS, false), *n1 = dlt_norm(x, 1, 1, false);
  dlt_tensor *ni = dlt_norm(x, INFINITY, 0, true), *n3 = dlt_norm(x, 3, DLT_ALLDIMS, false);
  cr_assert(close_to(dlt_item(n2), sqrt(26), 1e-7, 0));
  expect_values(n1, ((double[]){7, 1}), 2, 0, 0, "norm 1");
  expect_shape(ni, 1, 2);
  expect_values(ni, ((double[]){3, 4}), 2, 0, 0, "norm inf");
  cr_assert(close_to(dlt_item(n3), cbrt(27 + 64 + 1), 1e-6, 0));
  dlt_tensor *rs[] = {x, n2, n1, ni, n3};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_reduce, sum_to_undoes_broadcasting) {
  dlt_tensor *g = iota(DLT_FLOAT32, 3, (int64_t[]){2, 3, 4});
  dlt_tensor *b = dlt_sum_to(g, 1, (int64_t[]){4}); /* a bias of shape (4) */
  expect_values(b, ((double[]){60, 66, 72, 78}), 4, 0, 0, "sum_to {4}");
  dlt_tensor *c = dlt_sum_to(g, 2, (int64_t[]){3, 1});
  expect_shape(c, 3, 1);
  /* sum over dims 1 and 3: rows k: sum_i sum_j (12 i + 4 k + j) = 2*(4*... ) */
  expect_values(c, ((double[]){60, 92, 124}), 3, 0, 0, "sum_to {3,1}");
  dlt_tensor *d = dlt_sum_to(g, 3, (int64_t[]){1, 3, 1});
  expect_shape(d, 1, 3, 1);
  expect_values(d, ((double[]){60, 92, 124}), 3, 0, 0, "sum_to {1,3,1}");
  dlt_tensor *same = dlt_sum_to(g, 3, (int64_t[]){2, 3, 4});
  cr_assert(dlt_same_shape(same, g));
  cr_assert_null(dlt_sum_to(g, 1, (int64_t[]){3}));
  cr_assert_str_eq(dlt_error(), "sum_to: cannot reduce shape {2,3,4} to {3}");
  dlt_tensor *rs[] = {g, b, c, d, same};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_reduce, softmax_and_log_softmax_match_torch_on_each_dim) {
  const double *want[3] = {softmax_d0, softmax_d1, softmax_d2}, *lwant[3] = {log_softmax_d0, log_softmax_d1, log_softmax_d2};
  dlt_tensor *x = mk(DLT_FLOAT64, softmax_x, 3, (int64_t[]){2, 3, 4});
  for (int d = 0; d < 3; d++) {
    dlt_tensor *s = dlt_softmax(x, d, false), *l = dlt_softmax(x, d - 3, true);
    expect_values(s, want[d], 24, 1e-14, 1e-16, "softmax");
    expect_values(l, lwant[d], 24, 1e-14, 1e-15, "log_softmax");
    dlt_release(s);
    dlt_release(l);
  }
  /* float32: expf and a double sum */
  dlt_tensor *x32 = mk(DLT_FLOAT32, softmax_x, 3, (int64_t[]){2, 3, 4}), *s32 = dlt_softmax(x32, 2, false);
  cr_assert_eq(s32->dtype, DLT_FLOAT32);
  expect_values(s32, softmax_d2, 24, 1e-5, 1e-7, "softmax float32");
  dlt_release(x32);
  dlt_release(s32);
  /* stable for large inputs */
  dlt_tensor *big = mk(DLT_FLOAT32, (double[]){1000, 1000}, 1, (int64_t[]){2}), *sb = dlt_softmax(big, 0, false);
  expect_values(sb, ((double[]){0.5, 0.5}), 2, 0, 0, "softmax of large values");
  dlt_release(big);
  dlt_release(sb);
  dlt_release(x);
}

Test(core_reduce, zero_dim_tensors_take_dim_0_or_minus_1) {
  dlt_tensor *s = dlt_scalar(2.5, DLT_FLOAT32);
  dlt_tensor *a = dlt_reduce(DLT_RSUM, s, -1, false), *b = dlt_reduce(DLT_RMEAN, s, 0, true);
  dlt_tensor *sm = dlt_softmax(s, -1, false);
  cr_assert(a && b && sm, "%s", dlt_error());
  cr_assert_eq(a->ndim, 0);
  cr_assert_eq(dlt_item(b), 2.5);
  cr_assert_eq(dlt_item(sm), 1.0);
  cr_assert_null(dlt_reduce(DLT_RSUM, s, 1, false));
  cr_assert_str_eq(dlt_error(), "sum: dimension 2 out of range for a 0-D tensor");
  dlt_release(s);
  dlt_release(a);
  dlt_release(b);
  dlt_release(sm);
}
