/* test_core_index.c: index_select, index_add_, cat, stack, nonzero with their errors
 * (1-based dims and indices), and the creation functions against PyTorch. */
#include "fixtures_core.h"
#include "test_core_util.h"

Test(core_index, index_select_rows_and_columns) {
  dlt_tensor *x = iota(DLT_FLOAT32, 2, (int64_t[]){4, 3});
  int64_t rows[] = {3, 0, 3};
  dlt_tensor *r = dlt_index_select(x, 0, rows, 3);
  expect_shape(r, 3, 3);
  expect_values(r, ((double[]){9, 10, 11, 0, 1, 2, 9, 10, 11}), 9, 0, 0, "rows");
  int64_t cols[] = {2, 1};
  dlt_tensor *tr = dlt_transpose(x, 0, 1), *c = dlt_index_select(x, -1, cols, 2), *ct = dlt_index_select(tr, 0, cols, 2);
  expect_values(c, ((double[]){2, 1, 5, 4, 8, 7, 11, 10}), 8, 0, 0, "columns");
  expect_values(ct, ((double[]){2, 5, 8, 11, 1, 4, 7, 10}), 8, 0, 0, "rows of a transpose");
  int64_t bad[] = {4};
  cr_assert_null(dlt_index_select(x, 0, bad, 1));
  cr_assert_str_eq(dlt_error(), "index_select: index 5 is out of bounds for dimension 1 of size 4");
  dlt_tensor *rs[] = {x, r, tr, c, ct};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_index, index_add_accumulates_repeats) {
  dlt_tensor *d = dlt_zeros(2, (int64_t[]){3, 2}, DLT_FLOAT64);
  dlt_tensor *s = iota(DLT_FLOAT64, 2, (int64_t[]){3, 2});
  int64_t idx[] = {2, 0, 2};
  uint32_t v0 = d->storage->version;
  cr_assert_eq(dlt_index_add_(d, 0, idx, 3, s), 0);
  cr_assert_gt(d->storage->version, v0);
  expect_values(d, ((double[]){2, 3, 0, 0, 4, 6}), 6, 0, 0, "index_add_");
  cr_assert_eq(dlt_index_add_(d, 0, idx, 2, s), -1);
  cr_assert_str_eq(dlt_error(), "index_add_: source of shape {3,2} does not match 2 indices into {3,2} along dimension 1");
  dlt_release(d);
  dlt_release(s);
}

Test(core_index, cat_and_stack) {
  dlt_tensor *a = iota(DLT_FLOAT32, 2, (int64_t[]){2, 2}), *b = dlt_full(2, (int64_t[]){2, 1}, 9, DLT_FLOAT64);
  dlt_tensor *ab[] = {a, b};
  dlt_tensor *c = dlt_cat(ab, 2, 1);
  cr_assert(c, "%s", dlt_error());
  cr_assert_eq(c->dtype, DLT_FLOAT64);
  expect_shape(c, 2, 3);
  expect_values(c, ((double[]){0, 1, 9, 2, 3, 9}), 6, 0, 0, "cat dim 2");
  cr_assert_null(dlt_cat(ab, 2, 0));
  cr_assert_str_eq(dlt_error(), "cat: tensor 2 has shape {2,1} but tensor 1 has shape {2,2}; sizes must match except in dimension 1");
  dlt_tensor *t = dlt_transpose(a, 0, 1), *aa[] = {a, t};
  dlt_tensor *s0 = dlt_stack(aa, 2, 0), *s2 = dlt_stack(aa, 2, -1);
  expect_shape(s0, 2, 2, 2);
  expect_values(s0, ((double[]){0, 1, 2, 3, 0, 2, 1, 3}), 8, 0, 0, "stack dim 1");
  expect_shape(s2, 2, 2, 2);
  expect_values(s2, ((double[]){0, 0, 1, 2, 2, 1, 3, 3}), 8, 0, 0, "stack dim 3");
  cr_assert_null(dlt_stack(ab, 2, 0));
  cr_assert_str_eq(dlt_error(), "stack: tensor 2 has shape {2,1} but tensor 1 has shape {2,2}; all must have the same shape");
  cr_assert_null(dlt_stack(ab, 0, 0));
  cr_assert_str_eq(dlt_error(), "stack: expected a non-empty list of tensors");
  dlt_tensor *rs[] = {a, b, c, t, s0, s2};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_index, nonzero_positions) {
  dlt_tensor *m = mk(DLT_FLOAT32, (double[]){0, 1, 0, 0.5, NAN}, 1, (int64_t[]){5});
  int64_t n;
  int64_t *p = dlt_nonzero_1d(m, &n);
  cr_assert_eq(n, 3);
  cr_assert(p[0] == 1 && p[1] == 3 && p[2] == 4);
  free(p);
  dlt_tensor *z = dlt_zeros(1, (int64_t[]){3}, DLT_FLOAT32);
  p = dlt_nonzero_1d(z, &n);
  cr_assert_not_null(p);
  cr_assert_eq(n, 0);
  free(p);
  dlt_tensor *two = dlt_zeros(2, (int64_t[]){2, 2}, DLT_FLOAT32);
  cr_assert_null(dlt_nonzero_1d(two, &n));
  cr_assert_str_eq(dlt_error(), "nonzero: expected a 1-D tensor, got shape {2,2}");
  dlt_release(m);
  dlt_release(z);
  dlt_release(two);
}

Test(core_index, ranges_match_torch) {
  dlt_tensor *l32 = dlt_linspace(-1.3, 2.9, 17, DLT_FLOAT32), *l64 = dlt_linspace(-1.3, 2.9, 17, DLT_FLOAT64);
  expect_values(l32, linspace_f32, 17, 0, 0, "linspace float32");
  expect_values(l64, linspace_f64, 17, 0, 0, "linspace float64");
  dlt_tensor *g = dlt_logspace(-2, 3, 11, 10, DLT_FLOAT64), *g2 = dlt_logspace(0, 5, 6, 2, DLT_FLOAT32);
  expect_values(g, logspace_f64, 11, 1e-15, 0, "logspace");
  expect_values(g2, logspace_base2_f32, 6, 0, 0, "logspace base 2");
  dlt_tensor *a = dlt_arange(-1.0, 2.0, 0.3, DLT_FLOAT32);
  expect_values(a, arange_f32, N_ARANGE_F32, 0, 0, "arange");
  for (int dt = 0; dt < 2; dt++) {
    dlt_tensor *l = dlt_linspace(0, 1, 100, dt), *r = dlt_arange(0, 10, 0.1, dt);
    expect_values(l, dt ? linspace_100_f64 : linspace_100_f32, 100, 0, 0, "linspace(0, 1, 100)");
    expect_values(r, dt ? arange_100_f64 : arange_100_f32, 100, 0, 0, "arange(0, 10, 0.1)");
    dlt_release(l);
    dlt_release(r);
  }
  /* many lengths: torch's vector blocks and tails, reproduced bit for bit */
  for (int dt = 0; dt < 2; dt++) {
    int64_t at = 0;
    for (int k = 0; k < N_LS_CASES; k++) {
      const double *c = ranges_ls_args + 3 * k;
      dlt_tensor *l = dlt_linspace(c[0], c[1], (int64_t)c[2], dt);
      expect_values(l, (dt ? ranges_ls_f64 : ranges_ls_f32) + at, (int64_t)c[2], 0, 0, "linspace cases");
      at += (int64_t)c[2];
      dlt_release(l);
    }
    at = 0;
    for (int k = 0; k < N_AR_CASES; k++) {
      const double *c = ranges_ar_args + 3 * k;
      dlt_tensor *r = dlt_arange(c[0], c[1], c[2], dt);
      expect_values(r, (dt ? ranges_ar_f64 : ranges_ar_f32) + at, dlt_numel(r), 0, 0, "arange cases");
      at += dlt_numel(r);
      dlt_release(r);
    }
  }
  cr_assert_null(dlt_arange(0, 1, 0, DLT_FLOAT32));
  cr_assert_str_eq(dlt_error(), "arange: step must be nonzero, got 0");
  cr_assert_null(dlt_arange(0, -1, 1, DLT_FLOAT32));
  dlt_tensor *e = dlt_eye(2, 3, DLT_FLOAT64), *sq = dlt_eye(3, -1, DLT_FLOAT32);
  expect_values(e, ((double[]){1, 0, 0, 0, 1, 0}), 6, 0, 0, "eye 2x3");
  expect_shape(sq, 3, 3);
  cr_assert_eq(dlt_get(sq, (int64_t[]){2, 2}), 1.0);
  dlt_tensor *one = dlt_linspace(4, 9, 1, DLT_FLOAT32), *none = dlt_linspace(4, 9, 0, DLT_FLOAT32);
  cr_assert_eq(dlt_item(one), 4.0);
  expect_shape(none, 0);
  dlt_tensor *rs[] = {l32, l64, g, g2, a, e, sq, one, none};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}
