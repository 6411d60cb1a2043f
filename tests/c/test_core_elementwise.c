/* test_core_elementwise.c: broadcasting, each binary and unary op against PyTorch,
 * dtype promotion, number operands, strided views, in-place ops and their versions. */
#include "fixtures_core.h"
#include "test_core_util.h"

Test(core_elementwise, broadcast_shape_follows_numpy) {
  int64_t out[DLT_MAXDIM];
  const int64_t a[] = {8, 1, 6, 1}, b[] = {7, 1, 5};
  cr_assert_eq(dlt_broadcast_shape("add", 4, a, 3, b, out), 4);
  cr_assert(out[0] == 8 && out[1] == 7 && out[2] == 6 && out[3] == 5);
  const int64_t c[] = {3}, d[] = {4};
  cr_assert_eq(dlt_broadcast_shape("add", 1, c, 1, d, out), -1);
  cr_assert_str_eq(dlt_error(), "add: shapes {3} and {4} cannot be broadcast (dimension 1: 3 vs 4)");
  cr_assert_eq(dlt_broadcast_shape("mul", 0, NULL, 2, a, out), 2);
}

Test(core_elementwise, each_binary_op_matches_torch_with_broadcasting) {
  for (int dt = 0; dt < 2; dt++) {
    dlt_tensor *a = mk(dt, binary_a, 2, (int64_t[]){3, 1}), *b = mk(dt, binary_b, 1, (int64_t[]){4});
    for (size_t k = 0; k < sizeof binary_cases / sizeof binary_cases[0]; k++) {
      dlt_tensor *r = dlt_binary(binary_cases[k].op, a, b);
      cr_assert(r, "%s", dlt_error());
      expect_shape(r, 3, 4);
      /* comparisons give bool, as torch.eq and friends do */
      bool cmp = binary_cases[k].op >= DLT_EQ && binary_cases[k].op <= DLT_GE;
      cr_assert_eq(r->dtype, cmp ? DLT_BOOL : (dlt_dtype)dt);
      expect_values(r, binary_cases[k].want, 12, dt ? 1e-15 : 1e-6, 0, dlt_binop_name(binary_cases[k].op));
      /* the scalar form agrees with the kernel */
      cr_assert(close_to(dlt_binop_apply(binary_cases[k].op, binary_a[1], binary_b[2]), binary_cases[k].want[6], 1e-15, 0));
      dlt_release(r);
    }
    dlt_release(a);
    dlt_release(b);
  }
}

Test(core_elementwise, each_unary_op_matches_torch) {
  for (size_t k = 0; k < sizeof unary_cases / sizeof unary_cases[0]; k++) {
    int op = unary_cases[k].op;
    dlt_tensor *x64 = mk(DLT_FLOAT64, unary_x, 1, (int64_t[]){N_UNARY_X});
    dlt_tensor *x32 = mk(DLT_FLOAT32, unary_x, 1, (int64_t[]){N_UNARY_X});
    dlt_tensor *r64 = dlt_unary(op, x64), *r32 = dlt_unary(op, x32);
    cr_assert(r64 && r32);
    /* isnan and isinf give bool, as in torch */
    cr_assert_eq(r32->dtype, op == DLT_ISNAN || op == DLT_ISINF ? DLT_BOOL : DLT_FLOAT32);
    expect_values(r64, unary_cases[k].want, N_UNARY_X, 1e-14, 1e-15, dlt_unop_name(op));
    expect_values(r32, unary_cases[k].want_f32, N_UNARY_X, 2e-6, 2e-7, dlt_unop_name(op));
    for (int i = 0; i < N_UNARY_X; i++)
      cr_assert(close_to(dlt_unop_apply(op, unary_x[i]), unary_cases[k].want[i], 1e-14, 1e-15), "%s apply", dlt_unop_name(op));
    dlt_release(x64);
    dlt_release(x32);
    dlt_release(r64);
    dlt_release(r32);
  }
}

Test(core_elementwise, sigmoid_and_softplus_are_stable_at_extremes) {
  cr_assert_eq(dlt_unop_apply(DLT_SIGMOID, -1000), 0.0);
  cr_assert_eq(dlt_unop_apply(DLT_SIGMOID, 1000), 1.0);
  cr_assert_eq(dlt_unop_apply(DLT_SOFTPLUS, 1000), 1000.0);
  cr_assert(close_to(dlt_unop_apply(DLT_SOFTPLUS, -800), 0.0, 0, 1e-300));
  /* GELU(x) = x Phi(x); SiLU(x) = x sigmoid(x) */
  cr_assert(close_to(dlt_unop_apply(DLT_GELU, 1.0), 0.5 * (1 + erf(1 / sqrt(2.0))), 1e-15, 0));
  cr_assert(close_to(dlt_unop_apply(DLT_SILU, 2.0), 2.0 / (1 + exp(-2.0)), 1e-15, 0));
}

Test(core_elementwise, mixed_dtypes_promote_to_float64) {
  dlt_tensor *a = dlt_full(1, (int64_t[]){3}, 0.1, DLT_FLOAT32), *b = dlt_full(1, (int64_t[]){3}, 0.1, DLT_FLOAT64);
  dlt_tensor *r = dlt_binary(DLT_ADD, a, b), *r2 = dlt_binary(DLT_ADD, b, a);
  cr_assert_eq(r->dtype, DLT_FLOAT64);
  cr_assert_eq(r2->dtype, DLT_FLOAT64);
  cr_assert_eq(dlt_get_flat(r, 1), (double)0.1f + 0.1); /* the float32 value widened exactly */
  /* a number keeps the tensor's dtype, rounded to it */
  dlt_tensor *s = dlt_binary_scalar(DLT_ADD, a, 1e-10, false);
  cr_assert_eq(s->dtype, DLT_FLOAT32);
  cr_assert_eq(dlt_get_flat(s, 0), (double)0.1f);
  dlt_tensor *l = dlt_binary_scalar(DLT_SUB, a, 1.0, true); /* 1 - a */
  cr_assert_eq(dlt_get_flat(l, 2), (double)(1.0f - 0.1f));
  dlt_tensor *p = dlt_binary_scalar(DLT_POW, b, 2, false), *q = dlt_binary_scalar(DLT_POW, b, 2, true);
  cr_assert(close_to(dlt_get_flat(p, 0), 0.01, 1e-15, 0));
  cr_assert(close_to(dlt_get_flat(q, 0), pow(2, 0.1), 1e-15, 0));
  dlt_tensor *c = dlt_binary_scalar(DLT_GT, b, 0.05, false); /* comparisons give bool, as in torch */
  cr_assert_eq(c->dtype, DLT_BOOL);
  cr_assert_eq(dlt_get_flat(c, 0), 1.0);
  dlt_tensor *rs[] = {a, b, r, r2, s, l, p, q, c};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_elementwise, strided_views_read_and_write_shared_memory) {
  dlt_tensor *base = iota(DLT_FLOAT32, 2, (int64_t[]){3, 4});
  dlt_tensor *tr = dlt_transpose(base, 0, 1); /* (4,3), strides (1,4) */
  dlt_tensor *r = dlt_binary(DLT_MUL, tr, tr);
  expect_shape(r, 4, 3);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) cr_assert_eq(dlt_get(r, (int64_t[]){i, j}), (double)((j * 4 + i) * (j * 4 + i)));
  /* column 2 of base, written in place through a narrow view */
  dlt_tensor *col = dlt_narrow(base, 1, 2, 1);
  uint32_t v0 = base->storage->version;
  cr_assert_eq(dlt_binary_scalar_(DLT_ADD, col, 100), 0);
  cr_assert_gt(base->storage->version, v0);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(dlt_get(base, (int64_t[]){i, 2}), i * 4 + 2 + 100.0);
    cr_assert_eq(dlt_get(base, (int64_t[]){i, 1}), i * 4 + 1.0);
  }
  /* an expanded (stride 0) operand and a transposed one in one op */
  dlt_tensor *row = iota(DLT_FLOAT32, 2, (int64_t[]){1, 3});
  dlt_tensor *ex = dlt_expand(row, 2, (int64_t[]){4, 3});
  dlt_tensor *s = dlt_binary(DLT_SUB, tr, ex);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++)
      cr_assert_eq(dlt_get(s, (int64_t[]){i, j}), dlt_get(tr, (int64_t[]){i, j}) - j);
  dlt_tensor *rs[] = {base, tr, r, col, row, ex, s};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_elementwise, in_place_ops_broadcast_and_bump_version) {
  dlt_tensor *d = iota(DLT_FLOAT64, 2, (int64_t[]){2, 3});
  dlt_tensor *src = mk(DLT_FLOAT32, (double[]){10, 20, 30}, 1, (int64_t[]){3});
  uint32_t v0 = d->storage->version;
  cr_assert_eq(dlt_binary_(DLT_ADD, d, src), 0);
  cr_assert_eq(d->storage->version, v0 + 1);
  expect_values(d, ((double[]){10, 21, 32, 13, 24, 35}), 6, 0, 0, "add_");
  /* src cannot grow dst */
  dlt_tensor *big = dlt_zeros(2, (int64_t[]){4, 3}, DLT_FLOAT64);
  cr_assert_eq(dlt_binary_(DLT_ADD, d, big), -1);
  cr_assert_str_eq(dlt_error(), "add: shapes {2,3} and {4,3} cannot be broadcast (dimension 1: 2 vs 4)");
  cr_assert_eq(dlt_unary_(DLT_NEG, d), 0);
  cr_assert_eq(dlt_get_flat(d, 5), -35.0);
  cr_assert_eq(dlt_axpy_(d, 0.5, src), 0);
  cr_assert_eq(dlt_get_flat(d, 0), -5.0);
  cr_assert_eq(dlt_fill_(d, 2.5), 0);
  cr_assert_eq(dlt_get_flat(d, 4), 2.5);
  cr_assert_eq(d->storage->version, v0 + 4);
  dlt_release(d);
  dlt_release(src);
  dlt_release(big);
}

Test(core_elementwise, copy_broadcasts_converts_and_handles_strides) {
  dlt_tensor *src = iota(DLT_FLOAT64, 2, (int64_t[]){2, 3});
  dlt_tensor *dst = dlt_zeros(2, (int64_t[]){3, 2}, DLT_FLOAT32);
  dlt_tensor *tr = dlt_transpose(src, 0, 1);
  cr_assert_eq(dlt_copy_(dst, tr), 0);
  expect_values(dst, ((double[]){0, 3, 1, 4, 2, 5}), 6, 0, 0, "copy_ transposed");
  dlt_tensor *row = mk(DLT_FLOAT64, (double[]){7, 8}, 1, (int64_t[]){2});
  cr_assert_eq(dlt_copy_(dst, row), 0);
  expect_values(dst, ((double[]){7, 8, 7, 8, 7, 8}), 6, 0, 0, "copy_ broadcast");
  cr_assert_eq(dlt_copy_(row, dst), -1);
  cr_assert_str_eq(dlt_error(), "copy_: cannot broadcast shape {3,2} to {2}");
  dlt_tensor *c = dlt_clone(tr);
  cr_assert(dlt_is_contiguous(c));
  cr_assert_neq(c->storage, src->storage);
  expect_values(c, ((double[]){0, 3, 1, 4, 2, 5}), 6, 0, 0, "clone");
  dlt_tensor *rs[] = {src, dst, tr, row, c};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_elementwise, where_masked_fill_clamp_leaky_relu) {
  dlt_tensor *x = mk(DLT_FLOAT32, (double[]){-2, -0.5, 0.5, 2, NAN, 3}, 2, (int64_t[]){2, 3});
  dlt_tensor *cond = mk(DLT_FLOAT32, (double[]){1, 0, 1}, 1, (int64_t[]){3});
  dlt_tensor *zero = dlt_scalar(0, DLT_FLOAT64);
  dlt_tensor *w = dlt_where(cond, x, zero);
  cr_assert_eq(w->dtype, DLT_FLOAT64);
  expect_values(w, ((double[]){-2, 0, 0.5, 2, 0, 3}), 6, 0, 0, "where");
  dlt_tensor *m = dlt_masked_fill(x, cond, -9);
  expect_values(m, ((double[]){-9, -0.5, -9, -9, NAN, -9}), 6, 0, 0, "masked_fill");
  dlt_tensor *c = dlt_clamp(x, -1, 1);
  expect_values(c, ((double[]){-1, -0.5, 0.5, 1, NAN, 1}), 6, 0, 0, "clamp");
  dlt_tensor *lo = dlt_clamp(x, 0, NAN);
  expect_values(lo, ((double[]){0, 0, 0.5, 2, NAN, 3}), 6, 0, 0, "clamp min only");
  dlt_tensor *l = dlt_leaky_relu(x, 0.1);
  expect_values(l, ((double[]){-0.2, -0.05, 0.5, 2, NAN, 3}), 6, 1e-7, 0, "leaky_relu");
  dlt_tensor *bad = dlt_zeros(1, (int64_t[]){4}, DLT_FLOAT32);
  cr_assert_null(dlt_where(bad, x, zero));
  cr_assert_str_eq(dlt_error(), "where: shapes {4} and {2,3} cannot be broadcast (dimension 2: 4 vs 3)");
  dlt_tensor *rs[] = {x, cond, zero, w, m, c, lo, l, bad};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_elementwise, empty_and_scalar_tensors) {
  dlt_tensor *e = dlt_zeros(2, (int64_t[]){0, 3}, DLT_FLOAT32), *row = dlt_zeros(1, (int64_t[]){3}, DLT_FLOAT32);
  dlt_tensor *r = dlt_binary(DLT_ADD, e, row);
  expect_shape(r, 0, 3);
  dlt_tensor *s = dlt_scalar(2, DLT_FLOAT32), *t = dlt_binary(DLT_MUL, s, s);
  cr_assert_eq(t->ndim, 0);
  cr_assert_eq(dlt_item(t), 4.0);
  dlt_tensor *rs[] = {e, row, r, s, t};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) dlt_release(rs[i]);
}

Test(core_elementwise, names_of_ops) {
  cr_assert_str_eq(dlt_binop_name(DLT_POW), "pow");
  cr_assert_str_eq(dlt_unop_name(DLT_GELU), "gelu");
}
