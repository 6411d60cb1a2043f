/* test_core_blas.c: gemm/mm/matmul/dot against a naive triple loop, with transposed
 * and sliced views, 1-D operands, batched broadcasting as torch.matmul, and errors. */
#include "test_core_util.h"

/* pseudo-random values in [-1, 1) from a fixed LCG, so sizes can vary freely */
static dlt_tensor *rnd(dlt_dtype dt, int ndim, const int64_t *shape, uint32_t seed) {
  dlt_tensor *t = dlt_empty(ndim, shape, dt);
  int64_t n = dlt_numel(t);
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    double v = (double)(seed >> 8) / (double)(1u << 24) * 2 - 1;
    if (dt == DLT_FLOAT32) ((float *)t->storage->data)[i] = (float)v;
    else ((double *)t->storage->data)[i] = v;
  }
  return t;
}

/* C[i,j] = sum_k A[i,k] B[k,j] on 2-D tensors of any strides */
static void naive_mm(const dlt_tensor *a, const dlt_tensor *b, double *c) {
  int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t q = 0; q < k; q++) s += dlt_get(a, (int64_t[]){i, q}) * dlt_get(b, (int64_t[]){q, j});
      c[i * n + j] = s;
    }
}

static void check_mm(const dlt_tensor *a, const dlt_tensor *b, double rtol, const char *what) {
  dlt_tensor *r = dlt_matmul(a, b);
  cr_assert(r, "%s: %s", what, dlt_error());
  expect_shape(r, a->shape[0], b->shape[1]);
  double *want = malloc(sizeof(double) * (size_t)(a->shape[0] * b->shape[1]));
  naive_mm(a, b, want);
  expect_values(r, want, a->shape[0] * b->shape[1], rtol, rtol, what);
  free(want);
  dlt_release(r);
}

Test(core_blas, matmul_2d_matches_naive_loop_with_views) {
  for (int dt = 0; dt < 2; dt++) {
    double tol = dt ? 1e-12 : 1e-5;
    dlt_tensor *a = rnd(dt, 2, (int64_t[]){7, 5}, 1), *b = rnd(dt, 2, (int64_t[]){5, 9}, 2);
    check_mm(a, b, tol, "contiguous");
    dlt_tensor *at0 = rnd(dt, 2, (int64_t[]){5, 7}, 3), *bt0 = rnd(dt, 2, (int64_t[]){9, 5}, 4);
    dlt_tensor *at = dlt_transpose(at0, 0, 1), *bt = dlt_transpose(bt0, 0, 1); /* strides (1, rows) */
    check_mm(at, b, tol, "transposed a");
    check_mm(a, bt, tol, "transposed b");
    check_mm(at, bt, tol, "both transposed");
    dlt_tensor *big = rnd(dt, 2, (int64_t[]){10, 12}, 5);
    dlt_tensor *sl = dlt_narrow(big, 1, 2, 5); /* rows with a leading dimension of 12 */
    dlt_tensor *sl2 = dlt_narrow(big, 0, 1, 5);
    dlt_tensor *sl3 = dlt_narrow(sl2, 1, 3, 9);
    check_mm(sl, b, tol, "narrowed a (ld 12)");
    check_mm(a, sl3, tol, "narrowed b");
    dlt_tensor *wide = rnd(dt, 2, (int64_t[]){7, 10}, 6);
    dlt_tensor *ev = dlt_alias(wide); /* every other column: BLAS cannot read it, so it is copied */
    ev->shape[1] = 5;
    ev->stride[1] = 2;
    check_mm(ev, b, tol, "column-strided a");
    /* sizes past BLAS's blocking, with ragged edges */
    dlt_tensor *la = rnd(dt, 2, (int64_t[]){67, 129}, 22), *lb0 = rnd(dt, 2, (int64_t[]){33, 129}, 23);
    dlt_tensor *lbt = dlt_transpose(lb0, 0, 1);
    check_mm(la, lbt, dt ? 1e-12 : 1e-4, "67x129 @ (33x129)^T");
    dlt_release(la);
    dlt_release(lb0);
    dlt_release(lbt);
    dlt_tensor *rs[] = {a, b, at0, bt0, at, bt, big, sl, sl2, sl3, wide, ev};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
  }
}

Test(core_blas, gemm_alpha_beta_and_transposes) {
  dlt_tensor *a = rnd(DLT_FLOAT64, 2, (int64_t[]){4, 3}, 7), *b = rnd(DLT_FLOAT64, 2, (int64_t[]){5, 4}, 8);
  dlt_tensor *c = rnd(DLT_FLOAT64, 2, (int64_t[]){3, 5}, 9), *c0 = dlt_clone(c);
  /* C = 2 A^T B^T + 0.5 C */
  cr_assert_eq(dlt_gemm(true, true, 2, a, b, 0.5, c), 0);
  dlt_tensor *at = dlt_transpose(a, 0, 1), *bt = dlt_transpose(b, 0, 1);
  double want[15];
  naive_mm(at, bt, want);
  for (int i = 0; i < 15; i++) want[i] = 2 * want[i] + 0.5 * dlt_get_flat(c0, i);
  expect_values(c, want, 15, 1e-12, 1e-12, "gemm");
  /* a transposed output is computed in a copy and written back */
  dlt_tensor *ct0 = dlt_zeros(2, (int64_t[]){5, 3}, DLT_FLOAT64), *ct = dlt_transpose(ct0, 0, 1);
  cr_assert_eq(dlt_gemm(true, true, 2, a, b, 0, ct), 0);
  for (int i = 0; i < 15; i++) want[i] = (want[i] - 0.5 * dlt_get_flat(c0, i));
  expect_values(ct, want, 15, 1e-12, 1e-12, "gemm into a transposed view");
  cr_assert_eq(dlt_gemm(false, false, 1, a, b, 0, c), -1);
  cr_assert_str_eq(dlt_error(), "gemm: shapes {4,3} and {5,4} cannot be multiplied into {3,5}");
  dlt_tensor *rs[] = {a, b, c, c0, at, bt, ct0, ct};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_blas, matmul_vectors_as_torch) {
  dlt_tensor *v = rnd(DLT_FLOAT64, 1, (int64_t[]){4}, 10), *w = rnd(DLT_FLOAT64, 1, (int64_t[]){4}, 11);
  dlt_tensor *m = rnd(DLT_FLOAT64, 2, (int64_t[]){4, 3}, 12), *mt = rnd(DLT_FLOAT64, 2, (int64_t[]){3, 4}, 13);
  dlt_tensor *d = dlt_matmul(v, w), *d2 = dlt_dot(v, w);
  cr_assert_eq(d->ndim, 0);
  double s = 0;
  for (int i = 0; i < 4; i++) s += dlt_get_flat(v, i) * dlt_get_flat(w, i);
  cr_assert(close_to(dlt_item(d), s, 1e-14, 0));
  cr_assert(close_to(dlt_item(d2), s, 1e-14, 0));
  dlt_tensor *vm = dlt_matmul(v, m), *mv = dlt_matmul(mt, v);
  expect_shape(vm, 3);
  expect_shape(mv, 3);
  for (int j = 0; j < 3; j++) {
    double a = 0, b = 0;
    for (int i = 0; i < 4; i++) {
      a += dlt_get_flat(v, i) * dlt_get(m, (int64_t[]){i, j});
      b += dlt_get(mt, (int64_t[]){j, i}) * dlt_get_flat(v, i);
    }
    cr_assert(close_to(dlt_get_flat(vm, j), a, 1e-14, 1e-15));
    cr_assert(close_to(dlt_get_flat(mv, j), b, 1e-14, 1e-15));
  }
  dlt_tensor *rs[] = {v, w, m, mt, d, d2, vm, mv};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

/* batch b of r against a naive product of the broadcast slices */
static void check_batch(const dlt_tensor *r, const dlt_tensor *a3, const dlt_tensor *b3, int64_t ia, int64_t ib, int64_t ir) {
  dlt_tensor *as = dlt_select((dlt_tensor *)a3, 0, ia), *bs = dlt_select((dlt_tensor *)b3, 0, ib);
  dlt_tensor *rs = dlt_select((dlt_tensor *)r, 0, ir);
  double want[64];
  naive_mm(as, bs, want);
  char what[64];
  snprintf(what, sizeof what, "batched slice a[%lld] b[%lld] r[%lld]", (long long)ia, (long long)ib, (long long)ir);
  expect_values(rs, want, dlt_numel(rs), 1e-5, 1e-5, what);
  dlt_release(as);
  dlt_release(bs);
  dlt_release(rs);
}

Test(core_blas, batched_matmul_broadcasts_batch_dims) {
  dlt_tensor *a = rnd(DLT_FLOAT32, 3, (int64_t[]){2, 3, 4}, 14), *b = rnd(DLT_FLOAT32, 3, (int64_t[]){1, 4, 5}, 15);
  dlt_tensor *r = dlt_matmul(a, b);
  cr_assert(r, "%s", dlt_error());
  expect_shape(r, 2, 3, 5);
  check_batch(r, a, b, 0, 0, 0);
  check_batch(r, a, b, 1, 0, 1);
  /* (2,1,3,4) @ (3,4,2) -> (2,3,3,2); b given as a transposed view of (3,2,4) */
  dlt_tensor *a4 = rnd(DLT_FLOAT32, 4, (int64_t[]){2, 1, 3, 4}, 16), *b0 = rnd(DLT_FLOAT32, 3, (int64_t[]){3, 2, 4}, 17);
  dlt_tensor *bt = dlt_transpose(b0, 1, 2);
  dlt_tensor *r4 = dlt_matmul(a4, bt);
  cr_assert(r4, "%s", dlt_error());
  expect_shape(r4, 2, 3, 3, 2);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++) {
      dlt_tensor *ai = dlt_select(a4, 0, i), *ri = dlt_select(r4, 0, i);
      check_batch(ri, ai, bt, 0, j, j);
      dlt_release(ai);
      dlt_release(ri);
    }
  /* 3-D @ 2-D folds the batch; 3-D @ 1-D; 1-D @ 3-D */
  dlt_tensor *m = rnd(DLT_FLOAT32, 2, (int64_t[]){4, 6}, 18), *rf = dlt_matmul(a, m);
  expect_shape(rf, 2, 3, 6);
  dlt_tensor *m3 = dlt_unsqueeze(m, 0);
  check_batch(rf, a, m3, 1, 0, 1);
  dlt_tensor *v = rnd(DLT_FLOAT32, 1, (int64_t[]){4}, 19), *av = dlt_matmul(a, v), *va = dlt_matmul(v, b);
  expect_shape(av, 2, 3);
  expect_shape(va, 1, 5);
  double s = 0;
  for (int k = 0; k < 4; k++) s += dlt_get(a, (int64_t[]){1, 2, k}) * dlt_get_flat(v, k);
  cr_assert(close_to(dlt_get(av, (int64_t[]){1, 2}), s, 1e-5, 1e-6));
  dlt_tensor *rs[] = {a, b, r, a4, b0, bt, r4, m, rf, m3, v, av, va};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_blas, mixed_dtypes_promote) {
  dlt_tensor *a = rnd(DLT_FLOAT32, 2, (int64_t[]){3, 4}, 20), *b = rnd(DLT_FLOAT64, 2, (int64_t[]){4, 2}, 21);
  dlt_tensor *r = dlt_matmul(a, b);
  cr_assert_eq(r->dtype, DLT_FLOAT64);
  check_mm(a, b, 1e-12, "float32 @ float64");
  dlt_release(a);
  dlt_release(b);
  dlt_release(r);
}

Test(core_blas, shape_errors_name_the_shapes) {
  dlt_tensor *a = dlt_zeros(2, (int64_t[]){3, 4}, DLT_FLOAT32), *b = dlt_zeros(2, (int64_t[]){5, 2}, DLT_FLOAT32);
  cr_assert_null(dlt_matmul(a, b));
  cr_assert_str_eq(dlt_error(), "matmul: shapes {3,4} and {5,2} cannot be multiplied");
  cr_assert_null(dlt_mm(a, b));
  cr_assert_str_eq(dlt_error(), "mm: shapes {3,4} and {5,2} cannot be multiplied");
  dlt_tensor *v = dlt_zeros(1, (int64_t[]){3}, DLT_FLOAT32), *s = dlt_scalar(1, DLT_FLOAT32);
  cr_assert_null(dlt_matmul(a, v));
  cr_assert_str_eq(dlt_error(), "matmul: shapes {3,4} and {3} cannot be multiplied");
  cr_assert_null(dlt_matmul(s, a));
  cr_assert_str_eq(dlt_error(), "matmul: both arguments need at least 1 dimension, got shapes {} and {3,4}");
  cr_assert_null(dlt_mm(v, a));
  cr_assert_str_eq(dlt_error(), "mm: expected 2-D tensors, got shapes {3} and {3,4}");
  dlt_tensor *a3 = dlt_zeros(3, (int64_t[]){2, 3, 4}, DLT_FLOAT32), *b3 = dlt_zeros(3, (int64_t[]){3, 4, 2}, DLT_FLOAT32);
  cr_assert_null(dlt_matmul(a3, b3));
  cr_assert_str_eq(dlt_error(), "matmul: shapes {2} and {3} cannot be broadcast (dimension 1: 2 vs 3)");
  dlt_tensor *rs[] = {a, b, v, s, a3, b3};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_blas, empty_inner_dimension_gives_zeros) {
  dlt_tensor *a = dlt_zeros(2, (int64_t[]){3, 0}, DLT_FLOAT32), *b = dlt_zeros(2, (int64_t[]){0, 2}, DLT_FLOAT32);
  dlt_tensor *r = dlt_matmul(a, b);
  expect_shape(r, 3, 2);
  expect_values(r, ((double[]){0, 0, 0, 0, 0, 0}), 6, 0, 0, "empty k");
  dlt_release(a);
  dlt_release(b);
  dlt_release(r);
}
