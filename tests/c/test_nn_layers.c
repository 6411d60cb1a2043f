/* test_nn_layers.c: the fused layer ops against closed forms and their Jacobians
 * (float64 central differences via autograd's gradcheck), and their error messages. */
#include "nn/module.h"
#include "test_nn_util.h"

static dlt_tensor *f_linear(void *ud, dlt_tensor *const *in, int n) {
  return dlt_fused_linear("linear", in[0], in[1], n > 2 ? in[2] : NULL, *(dlt_act *)ud);
}

Test(linear, forward_and_grads_match_loops) {
  dlt_manual_seed(1);
  int64_t xs[2] = {3, 4}, ws[2] = {2, 4}, bs[1] = {2};
  dlt_tensor *x = randn(2, xs, 0, true), *W = randn(2, ws, 0, true), *b = randn(1, bs, 0, true);
  dlt_tensor *y = dlt_fused_linear("Linear", x, W, b, DLT_ACT_NONE);
  cr_assert(y, "%s", dlt_error());
  for (int i = 0; i < 3; i++)
    for (int o = 0; o < 2; o++) {
      double s = at(b, o);
      for (int c = 0; c < 4; c++) s += at(x, i * 4 + c) * at(W, o * 4 + c);
      cr_assert(near(at(y, i * 2 + o), s, 1e-12, 1e-12), "y[%d,%d]", i, o);
    }
  /* loss = sum(y): dW[o,c] = sum_i x[i,c], db[o] = 3, dx[i,c] = sum_o W[o,c] */
  dlt_tensor *ones = dlt_full(2, y->shape, 1, DLT_FLOAT64);
  cr_assert_eq(dlt_backward(y, ones, false), 0, "%s", dlt_error());
  for (int o = 0; o < 2; o++) {
    cr_assert(near(at(b->grad, o), 3, 1e-12, 0));
    for (int c = 0; c < 4; c++)
      cr_assert(near(at(W->grad, o * 4 + c), at(x, c) + at(x, 4 + c) + at(x, 8 + c), 1e-12, 1e-12));
  }
  for (int i = 0; i < 3; i++)
    for (int c = 0; c < 4; c++) cr_assert(near(at(x->grad, i * 4 + c), at(W, c) + at(W, 4 + c), 1e-12, 1e-12));
  dlt_release(ones);
  dlt_release(y);
  dlt_release(x);
  dlt_release(W);
  dlt_release(b);
}

Test(linear, gradients_accumulate_into_grad) {
  int64_t xs[2] = {2, 3}, ws[2] = {1, 3}, bs[1] = {1};
  dlt_tensor *x = randn(2, xs, 0, false), *W = randn(2, ws, 0, true), *b = randn(1, bs, 0, true);
  for (int k = 0; k < 2; k++) {
    dlt_tensor *y = dlt_fused_linear("Linear", x, W, b, DLT_ACT_NONE);
    dlt_tensor *ones = dlt_full(2, y->shape, 1, DLT_FLOAT64);
    cr_assert_eq(dlt_backward(y, ones, false), 0, "%s", dlt_error());
    dlt_release(ones);
    dlt_release(y);
  }
  cr_assert(near(at(b->grad, 0), 4, 1e-12, 0), "two backwards of sum over 2 rows give 4, got %g", at(b->grad, 0));
  cr_assert(near(at(W->grad, 0), 2 * (at(x, 0) + at(x, 3)), 1e-12, 1e-12));
  dlt_release(x);
  dlt_release(W);
  dlt_release(b);
}

Test(linear, jacobian) {
  int64_t xs[2] = {4, 3}, ws[2] = {5, 3}, bs[1] = {5}, x3[3] = {2, 2, 3};
  dlt_tensor *in[3] = {randn(2, xs, 0, true), randn(2, ws, 0, true), randn(1, bs, 0, true)};
  dlt_act none = DLT_ACT_NONE, relu = DLT_ACT_RELU;
  expect_gradcheck(f_linear, &none, in, 3);
  expect_gradcheck(f_linear, &none, in, 2);
  expect_gradcheck(f_linear, &relu, in, 3);
  dlt_release(in[0]);
  in[0] = randn(3, x3, 0, true); /* leading dims flatten into the batch */
  expect_gradcheck(f_linear, &relu, in, 3);
  for (int i = 0; i < 3; i++) dlt_release(in[i]);
}

Test(linear, fused_relu_equals_relu_of_linear) {
  int64_t xs[2] = {6, 3}, ws[2] = {4, 3};
  dlt_tensor *x = randn(2, xs, 0, false), *W = randn(2, ws, 0, false);
  dlt_tensor *a = dlt_fused_linear("Linear", x, W, NULL, DLT_ACT_RELU), *l = dlt_fused_linear("Linear", x, W, NULL, DLT_ACT_NONE);
  for (int i = 0; i < 24; i++) cr_assert_eq(at(a, i), at(l, i) > 0 ? at(l, i) : 0);
  dlt_release(a);
  dlt_release(l);
  dlt_release(x);
  dlt_release(W);
}

Test(linear, errors_name_the_numbers) {
  int64_t xs[2] = {3, 5}, ws[2] = {64, 2};
  dlt_tensor *x = randn(2, xs, 0, false), *W = randn(2, ws, 0, false);
  expect_error(dlt_fused_linear("Linear", x, W, NULL, DLT_ACT_NONE), "Linear: input has 5 features, expected 2");
  dlt_tensor *xf = dlt_zeros(2, (int64_t[]){3, 2}, DLT_FLOAT32);
  expect_error(dlt_fused_linear("Linear", xf, W, NULL, DLT_ACT_NONE), "Linear: input is float32 but the weight is float64");
  dlt_release(x);
  dlt_release(W);
  dlt_release(xf);
}

typedef struct {
  bool stats;
  dlt_tensor *rm, *rv;
} bn_ud;

static dlt_tensor *f_bn(void *ud, dlt_tensor *const *in, int n) {
  bn_ud *u = ud;
  return dlt_fused_batch_norm("BatchNorm1d", in[0], u->rm, u->rv, n > 1 ? in[1] : NULL, n > 2 ? in[2] : NULL, u->stats, 0.1, 1e-5);
}

Test(batch_norm, jacobian_train_and_eval) {
  int64_t xs[2] = {5, 3}, x3[3] = {4, 3, 2}, cs[1] = {3};
  dlt_tensor *in[3] = {randn(2, xs, 1, true), randn(1, cs, 1, true), randn(1, cs, 0, true)};
  bn_ud train = {true, NULL, NULL};
  expect_gradcheck(f_bn, &train, in, 3);
  expect_gradcheck(f_bn, &train, in, 1);
  dlt_tensor *rm = randn(1, cs, 0, false), *rv = dlt_full(1, cs, 2.5, DLT_FLOAT64);
  bn_ud eval = {false, rm, rv};
  expect_gradcheck(f_bn, &eval, in, 3);
  dlt_release(in[0]);
  in[0] = randn(3, x3, 0, true);
  expect_gradcheck(f_bn, &train, in, 3);
  expect_gradcheck(f_bn, &eval, in, 3);
  for (int i = 0; i < 3; i++) dlt_release(in[i]);
  dlt_release(rm);
  dlt_release(rv);
}

Test(batch_norm, running_stats_and_eval_output) {
  /* one channel, batch {1,2,3,4}: mean 2.5, biased var 1.25, unbiased 5/3 */
  double xv[4] = {1, 2, 3, 4};
  int64_t xs[2] = {4, 1}, cs[1] = {1};
  dlt_tensor *x = vals(xv, 2, xs, false), *rm = dlt_zeros(1, cs, DLT_FLOAT64), *rv = dlt_full(1, cs, 1, DLT_FLOAT64);
  dlt_tensor *y = dlt_fused_batch_norm("BatchNorm1d", x, rm, rv, NULL, NULL, true, 0.1, 1e-5);
  cr_assert(y, "%s", dlt_error());
  cr_assert(near(at(rm, 0), 0.25, 1e-15, 0), "running_mean %g", at(rm, 0));
  cr_assert(near(at(rv, 0), 0.9 + 0.1 * 5.0 / 3.0, 1e-15, 0), "running_var %g", at(rv, 0));
  cr_assert(near(at(y, 0), -1.5 / sqrt(1.25 + 1e-5), 1e-12, 0));
  dlt_tensor *e = dlt_fused_batch_norm("BatchNorm1d", x, rm, rv, NULL, NULL, false, 0.1, 1e-5);
  double r = 1 / sqrt(at(rv, 0) + 1e-5);
  for (int i = 0; i < 4; i++) cr_assert(near(at(e, i), (xv[i] - 0.25) * r, 1e-12, 0));
  dlt_release(y);
  dlt_release(e);
  dlt_release(x);
  dlt_release(rm);
  dlt_release(rv);
}

Test(batch_norm, errors) {
  int64_t one[2] = {1, 64}, five[2] = {8, 5}, cs[1] = {64};
  dlt_tensor *x1 = randn(2, one, 0, false), *x5 = randn(2, five, 0, false), *w = dlt_full(1, cs, 1, DLT_FLOAT64);
  expect_error(dlt_fused_batch_norm("BatchNorm1d", x1, NULL, NULL, w, NULL, true, 0.1, 1e-5),
               "BatchNorm1d: expected more than 1 value per channel when training, got input of shape {1,64}");
  expect_error(dlt_fused_batch_norm("BatchNorm1d", x5, NULL, NULL, w, NULL, true, 0.1, 1e-5),
               "BatchNorm1d: input has 5 features, expected 64");
  dlt_release(x1);
  dlt_release(x5);
  dlt_release(w);
}

typedef struct {
  bool stats;
  double p;
} bnr_ud;

static dlt_tensor *f_bn_relu(void *ud, dlt_tensor *const *in, int n) {
  bnr_ud *u = ud;
  dlt_manual_seed(11); /* the same dropout mask on every evaluation */
  return dlt_fused_batch_norm_relu("BatchNorm1d", in[0], NULL, NULL, in[1], in[2], u->stats, 0.1, 1e-5, u->p);
}

Test(batch_norm, fused_relu_dropout_jacobian_and_values) {
  int64_t xs[2] = {6, 4}, cs[1] = {4};
  dlt_tensor *in[3] = {randn(2, xs, 0, true), randn(1, cs, 1, true), randn(1, cs, 0.5, true)};
  bnr_ud plain = {true, 0}, drop = {true, 0.4};
  expect_gradcheck(f_bn_relu, &plain, in, 3);
  expect_gradcheck(f_bn_relu, &drop, in, 3);
  /* relu(batch_norm) with the mask of a separate dropout drawn from the same seed */
  dlt_tensor *bn = dlt_fused_batch_norm("BatchNorm1d", in[0], NULL, NULL, in[1], in[2], true, 0.1, 1e-5);
  dlt_tensor *r = dlt_fused_act("ReLU", bn, DLT_ACT_RELU, 0);
  dlt_manual_seed(11);
  dlt_tensor *d = dlt_fused_dropout("Dropout", r, 0.4, true), *f = f_bn_relu(&drop, in, 3);
  for (int i = 0; i < 24; i++) cr_assert_eq(at(f, i), at(d, i), "element %d", i);
  dlt_release(bn);
  dlt_release(r);
  dlt_release(d);
  dlt_release(f);
  for (int i = 0; i < 3; i++) dlt_release(in[i]);
}

Test(fused, output_buffer_is_reused_only_when_free) {
  int64_t xs[2] = {3, 2}, ws[2] = {4, 2};
  dlt_tensor *x = randn(2, xs, 0, false), *W = randn(2, ws, 0, true);
  dlt_bufset *bs = dlt_bufset_new();
  dlt_tensor *y1 = dlt_fused_linear_buf("Linear", x, W, NULL, DLT_ACT_NONE, bs);
  dlt_tensor *y2 = dlt_fused_linear_buf("Linear", x, W, NULL, DLT_ACT_NONE, bs);
  cr_assert_neq(y1, y2, "y1 is still held: a new buffer");
  double first = at(y2, 0);
  dlt_tensor *ones = dlt_full(2, y2->shape, 1, DLT_FLOAT64);
  cr_assert_eq(dlt_backward(y2, ones, false), 0);
  dlt_release(y2);
  dlt_tensor *y3 = dlt_fused_linear_buf("Linear", x, W, NULL, DLT_ACT_NONE, bs);
  cr_assert_eq(y3, bs->t[0], "the free buffer is handed out again");
  cr_assert(at(y3, 0) == first && y3->grad_fn && y3->grad_fn->refcount == 1, "a fresh result with its own node");
  dlt_tensor *v = dlt_alias(y3), *old = y3;
  dlt_release(y3);
  dlt_tensor *y4 = dlt_fused_linear_buf("Linear", x, W, NULL, DLT_ACT_NONE, bs);
  cr_assert_neq(y4, old, "a view of it keeps it busy");
  cr_assert(at(v, 0) == first);
  dlt_release(v);
  dlt_release(y4);
  dlt_release(y1);
  dlt_bufset_drop(bs);
  dlt_release(ones);
  dlt_release(x);
  dlt_release(W);
}

typedef struct {
  int nd;
  int64_t shape[2];
} ln_ud;

static dlt_tensor *f_ln(void *ud, dlt_tensor *const *in, int n) {
  ln_ud *u = ud;
  return dlt_fused_layer_norm("LayerNorm", in[0], u->nd, u->shape, n > 1 ? in[1] : NULL, n > 2 ? in[2] : NULL, 1e-5);
}

Test(layer_norm, jacobian_and_rows_normalized) {
  int64_t xs[3] = {2, 3, 4}, ws[2] = {3, 4};
  dlt_tensor *in[3] = {randn(3, xs, 2, true), randn(1, ws + 1, 1, true), randn(1, ws + 1, 0, true)};
  ln_ud one = {1, {4}};
  expect_gradcheck(f_ln, &one, in, 3);
  expect_gradcheck(f_ln, &one, in, 1);
  dlt_tensor *y = f_ln(&one, in, 1);
  for (int r = 0; r < 6; r++) {
    double s = 0, ss = 0;
    for (int j = 0; j < 4; j++) s += at(y, r * 4 + j);
    for (int j = 0; j < 4; j++) ss += at(y, r * 4 + j) * at(y, r * 4 + j);
    cr_assert(near(s / 4, 0, 0, 1e-12) && near(ss / 4, 1, 2e-3, 0), "row %d: mean %g, var %g", r, s / 4, ss / 4);
  }
  dlt_release(y);
  dlt_release(in[1]);
  dlt_release(in[2]);
  in[1] = randn(2, ws, 1, true);
  in[2] = randn(2, ws, 0, true);
  ln_ud two = {2, {3, 4}};
  expect_gradcheck(f_ln, &two, in, 3);
  for (int i = 0; i < 3; i++) dlt_release(in[i]);
}

typedef struct {
  int64_t G;
  bool unbatched;
} gn_ud;

static dlt_tensor *f_gn(void *ud, dlt_tensor *const *in, int n) {
  gn_ud *u = ud;
  return dlt_fused_group_norm("GroupNorm", in[0], u->G, n > 1 ? in[1] : NULL, n > 2 ? in[2] : NULL, 1e-5, u->unbatched);
}

Test(group_norm, jacobian_groups_and_instances) {
  int64_t xs[3] = {2, 4, 3}, cs[1] = {4}, x2[2] = {5, 3}, c2[1] = {3}, us[2] = {4, 3};
  dlt_tensor *in[3] = {randn(3, xs, 1, true), randn(1, cs, 1, true), randn(1, cs, 0, true)};
  gn_ud g2 = {2, false}, inst = {0, false}, unb = {0, true};
  expect_gradcheck(f_gn, &g2, in, 3);
  expect_gradcheck(f_gn, &inst, in, 3);
  expect_gradcheck(f_gn, &inst, in, 1);
  dlt_tensor *u[1] = {randn(2, us, 0, true)};
  expect_gradcheck(f_gn, &unb, u, 1);
  dlt_release(u[0]);
  dlt_tensor *x2d[3] = {randn(2, x2, 0, true), randn(1, c2, 1, true), randn(1, c2, 0, true)};
  gn_ud g1 = {1, false};
  expect_gradcheck(f_gn, &g1, x2d, 3);
  for (int i = 0; i < 3; i++) {
    dlt_release(in[i]);
    dlt_release(x2d[i]);
  }
}

Test(group_norm, bad_groups) {
  int64_t xs[3] = {2, 5, 3};
  dlt_tensor *x = randn(3, xs, 0, false);
  expect_error(dlt_fused_group_norm("GroupNorm", x, 2, NULL, NULL, 1e-5, false), "GroupNorm: 5 channels cannot be split into 2 groups");
  dlt_release(x);
}

static dlt_tensor *f_act(void *ud, dlt_tensor *const *in, int n) {
  return dlt_fused_act("act", in[0], *(dlt_act *)ud, 0.07);
}

Test(activations, jacobians) {
  int64_t xs[2] = {3, 5};
  dlt_tensor *in[1] = {randn(2, xs, 0, true)};
  dlt_act acts[] = {DLT_ACT_RELU, DLT_ACT_LEAKY_RELU, DLT_ACT_TANH, DLT_ACT_SIGMOID, DLT_ACT_GELU, DLT_ACT_GELU_TANH, DLT_ACT_SILU};
  for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) expect_gradcheck(f_act, &acts[k], in, 1);
  dlt_release(in[0]);
}

typedef struct {
  dlt_act act;
  double p[DLT_ACT_NPARAM];
} act_p_ud;

static dlt_tensor *f_act_p(void *ud, dlt_tensor *const *in, int n) {
  (void)n;
  const act_p_ud *u = ud;
  return dlt_fused_act_p("act", in[0], u->act, u->p);
}

/* ELU (and CELU's input scale), Softplus (beta), Mish, Hardtanh and Hardswish: no draw of
 * this seed sits within the finite-difference step of a kink (0, Hardswish's +-3; the
 * Hardtanh bounds +-5 and the Softplus threshold lie outside the draws) */
Test(activations, parametric_jacobians) {
  int64_t xs[2] = {3, 5};
  dlt_tensor *in[1] = {randn(2, xs, 0, true)};
  act_p_ud uds[] = {{DLT_ACT_ELU, {0.7, 1, 1, 1}}, {DLT_ACT_ELU, {0.5, 1, 2, 2}}, {DLT_ACT_SOFTPLUS, {2, 20, 0, 0}}, {DLT_ACT_MISH, {0, 0, 0, 0}}, {DLT_ACT_HARDTANH, {-5, 5, 0, 0}}, {DLT_ACT_HARDSWISH, {0, 0, 0, 0}}};
  for (size_t k = 0; k < sizeof uds / sizeof uds[0]; k++) expect_gradcheck(f_act_p, &uds[k], in, 1);
  dlt_release(in[0]);
}

Test(activations, closed_forms) {
  double xv[3] = {-2, 0.5, 3};
  int64_t s[1] = {3};
  dlt_tensor *x = vals(xv, 1, s, false);
  dlt_tensor *g = dlt_fused_act("GELU", x, DLT_ACT_GELU, 0), *si = dlt_fused_act("SiLU", x, DLT_ACT_SILU, 0);
  dlt_tensor *lr = dlt_fused_act("LeakyReLU", x, DLT_ACT_LEAKY_RELU, 0.01);
  for (int i = 0; i < 3; i++) {
    cr_assert(near(at(g, i), xv[i] * 0.5 * (1 + erf(xv[i] / sqrt(2))), 1e-15, 1e-300));
    cr_assert(near(at(si, i), xv[i] / (1 + exp(-xv[i])), 1e-15, 0));
    cr_assert(near(at(lr, i), xv[i] > 0 ? xv[i] : 0.01 * xv[i], 1e-15, 0));
  }
  dlt_release(g);
  dlt_release(si);
  dlt_release(lr);
  dlt_release(x);
}

typedef struct {
  int dim;
  bool log;
} sm_ud;

static dlt_tensor *f_sm(void *ud, dlt_tensor *const *in, int n) {
  sm_ud *u = ud;
  return dlt_fused_softmax("Softmax", in[0], u->dim, u->log);
}

Test(softmax, jacobian_over_each_dim) {
  int64_t xs[3] = {2, 3, 4};
  dlt_tensor *in[1] = {randn(3, xs, 0, true)};
  for (int d = -1; d < 3; d++) {
    sm_ud a = {d, false}, b = {d, true};
    expect_gradcheck(f_sm, &a, in, 1);
    expect_gradcheck(f_sm, &b, in, 1);
  }
  dlt_tensor *y = f_sm(&(sm_ud){1, false}, in, 1);
  double s = at(y, 0) + at(y, 4) + at(y, 8);
  cr_assert(near(s, 1, 1e-14, 0), "column sums to %g", s);
  dlt_release(y);
  expect_error(dlt_fused_softmax("Softmax", in[0], 3, false), "Softmax: dimension 4 out of range");
  dlt_release(in[0]);
}

static dlt_tensor *f_drop(void *ud, dlt_tensor *const *in, int n) {
  dlt_manual_seed(7); /* the same mask on every evaluation */
  return dlt_fused_dropout("Dropout", in[0], *(double *)ud, true);
}

Test(dropout, scaling_rate_and_jacobian) {
  int64_t xs[1] = {20000};
  dlt_tensor *x = dlt_full(1, xs, 1, DLT_FLOAT64);
  dlt_manual_seed(3);
  dlt_tensor *y = dlt_fused_dropout("Dropout", x, 0.3, true);
  int64_t kept = 0;
  for (int64_t i = 0; i < xs[0]; i++) {
    double v = at(y, i);
    cr_assert(v == 0 || near(v, 1 / 0.7, 1e-15, 0), "element %lld is %g", (long long)i, v);
    kept += v != 0;
  }
  /* 20000 Bernoulli(0.7) draws: std of the rate is 0.0032, so 5 sigma is 0.016 */
  cr_assert(fabs((double)kept / 20000 - 0.7) < 0.016, "kept %lld of 20000", (long long)kept);
  dlt_tensor *e = dlt_fused_dropout("Dropout", x, 0.3, false);
  cr_assert_eq(e, x, "eval mode is the identity");
  dlt_release(e);
  dlt_release(y);
  dlt_release(x);
  int64_t s[2] = {4, 5};
  dlt_tensor *in[1] = {randn(2, s, 0, true)};
  double p = 0.4;
  expect_gradcheck(f_drop, &p, in, 1);
  expect_error(dlt_fused_dropout("Dropout", in[0], 1.5, true), "Dropout: dropout probability has to be between 0 and 1, but got 1.5");
  dlt_release(in[0]);
}

Test(module, printout_and_defaults) {
  dlt_module m;
  char buf[256];
  dlt_module_init(&m, DLT_M_LINEAR);
  m.in = 2;
  m.out = 64;
  cr_assert_eq(dlt_module_setup(&m, DLT_FLOAT32), 0);
  cr_assert_str_eq(dlt_module_extra_repr(&m, buf, sizeof buf), "in_features=2, out_features=64, bias=True");
  double bound = 1 / sqrt(2.0);
  for (int i = 0; i < 128; i++) cr_assert(fabs(at(m.t[DLT_P_WEIGHT], i)) <= bound);
  for (int i = 0; i < 64; i++) cr_assert(fabs(at(m.t[DLT_P_BIAS], i)) <= bound);
  dlt_module_clear(&m);
  dlt_module_init(&m, DLT_M_BATCHNORM1D);
  m.in = 64;
  cr_assert_eq(dlt_module_setup(&m, DLT_FLOAT32), 0);
  cr_assert_str_eq(dlt_module_extra_repr(&m, buf, sizeof buf), "64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
  dlt_module_clear(&m);
  dlt_module_init(&m, DLT_M_DROPOUT);
  m.p = 0.3;
  cr_assert_str_eq(dlt_module_extra_repr(&m, buf, sizeof buf), "p=0.3, inplace=False");
  dlt_module_init(&m, DLT_M_LAYERNORM);
  m.norm_ndim = 1;
  m.norm_shape[0] = 10;
  cr_assert_str_eq(dlt_module_extra_repr(&m, buf, sizeof buf), "(10,), eps=1e-05, elementwise_affine=True");
  cr_assert_str_eq(dlt_py_float(1.0, buf, sizeof buf), "1.0");
  cr_assert_str_eq(dlt_py_float(1e-8, buf, sizeof buf), "1e-08");
  cr_assert_str_eq(dlt_py_float(0.0001, buf, sizeof buf), "0.0001");
  cr_assert_str_eq(dlt_py_float(100000.0, buf, sizeof buf), "100000.0");
}

/* The kinds table is complete: every kind has a name, ends its field list, and has a
 * forward (layers), a loss (losses) or neither (the container). */
Test(module, every_kind_has_a_table_entry) {
  for (int k = 0; k < DLT_M_NKINDS; k++) {
    const dlt_module_kind_info *K = dlt_module_kind_of((dlt_module_kind)k);
    cr_assert(K->name && K->fields, "kind %d", k);
    bool loss = K->flags & DLT_K_LOSS, container = K->flags & DLT_K_CONTAINER;
    cr_assert(loss ? K->loss && !K->forward : container ? !K->forward
                                                        : K->forward != NULL,
              "%s", K->name);
    int n = 0;
    for (const dlt_module_field *f = K->fields; f->name; f++, n++)
      cr_assert(f->type != DLT_FT_ENUM || f->choices, "%s.%s", K->name, f->name);
    cr_assert(n <= DLT_MAX_FIELDS, "%s has %d fields", K->name, n);
  }
}

/* The planner fuses Linear+ReLU and BatchNorm1d+ReLU(+Dropout) and says so in the plan,
 * without touching the modules; running the children gives the same values as one by one. */
Test(module, sequential_plan_and_run_match_one_by_one) {
  dlt_module lin, bn, relu, drop, tanh_;
  dlt_module_init(&lin, DLT_M_LINEAR);
  lin.in = 3;
  lin.out = 4;
  dlt_module_init(&bn, DLT_M_BATCHNORM1D);
  bn.in = 4;
  dlt_module_init(&relu, DLT_M_RELU);
  dlt_module_init(&drop, DLT_M_DROPOUT);
  drop.p = 0.25;
  dlt_module_init(&tanh_, DLT_M_TANH);
  cr_assert_eq(dlt_module_setup(&lin, DLT_FLOAT64), 0);
  cr_assert_eq(dlt_module_setup(&bn, DLT_FLOAT64), 0);
  dlt_module *kids[] = {&lin, &relu, &bn, &relu, &drop, &tanh_, NULL};
  dlt_fusion_plan plan;
  cr_assert_eq(dlt_plan_fusion(kids, 0, 6, &plan), 2);
  cr_assert_eq(plan.act, DLT_ACT_RELU);
  cr_assert_eq(dlt_plan_fusion(kids, 2, 6, &plan), 3);
  cr_assert(plan.act == DLT_ACT_RELU && plan.p == 0.25);
  cr_assert_eq(dlt_plan_fusion(kids, 2, 4, &plan), 2, "no Dropout within n");
  cr_assert_eq(dlt_plan_fusion(kids, 5, 6, &plan), 1);
  cr_assert_eq(plan.act, DLT_ACT_NONE);
  drop.training = false; /* eval: Dropout is the identity, so results are deterministic */
  bn.training = false;
  int64_t s[2] = {5, 3};
  dlt_tensor *x = randn(2, s, 0, false);
  int64_t i = 0;
  dlt_tensor *y = dlt_sequential_run(kids, 7, &i, x, false);
  cr_assert(y && i == 6, "stops at the NULL (Lua) child, i = %lld", (long long)i);
  dlt_tensor *a = dlt_retain(x);
  for (int k = 0; k < 6; k++) {
    dlt_tensor *b = dlt_module_forward(kids[k], a);
    dlt_release(a);
    a = b;
  }
  for (int64_t e = 0; e < 20; e++) cr_assert_float_eq(at(y, e), at(a, e), 1e-12);
  dlt_release(a);
  dlt_release(y);
  dlt_release(x);
  dlt_module_clear(&lin);
  dlt_module_clear(&bn);
}
