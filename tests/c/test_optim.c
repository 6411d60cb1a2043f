/* test_optim.c: the fused optimizer kernels against closed forms of their updates
 * (first steps, constant gradients), float32 against float64, strided parameters,
 * version bumps, and the errors for mismatched gradients and state. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/tensor.h"
#include "optim/optim.h"

static dlt_tensor *vec(const double *v, int64_t n, dlt_dtype dt) {
  return dlt_from_doubles(v, 1, &n, dt);
}

/* p with a gradient g attached (p owns the gradient's reference) */
static dlt_tensor *param(const double *p, const double *g, int64_t n, dlt_dtype dt) {
  dlt_tensor *t = vec(p, n, dt);
  t->requires_grad = true;
  t->grad = vec(g, n, dt);
  return t;
}

static void expect_close(const dlt_tensor *t, const double *want, double rtol, const char *what) {
  for (int64_t i = 0; i < dlt_numel(t); i++) {
    double got = dlt_get_flat(t, i);
    cr_expect(fabs(got - want[i]) <= rtol * fabs(want[i]) + 1e-300,
              "%s: element %lld is %.17g, expected %.17g", what, (long long)i, got, want[i]);
  }
}

Test(optim, sgd_plain_step_is_p_minus_lr_g) {
  double p0[] = {1, 2}, g[] = {0.5, -1};
  for (int d = 0; d < 2; d++) {
    dlt_tensor *p = param(p0, g, 2, d ? DLT_FLOAT64 : DLT_FLOAT32);
    dlt_sgd_opts o = {.lr = 0.1};
    cr_assert_eq(dlt_sgd_step(p, p->grad, NULL, false, &o), 0, "%s", dlt_error());
    double want[] = {0.95, 2.1};
    expect_close(p, want, d ? 1e-15 : 1e-7, "sgd");
    dlt_release(p);
  }
}

Test(optim, sgd_momentum_constant_gradient_is_a_geometric_sum) {
  /* buf_k = g (1 + m + ... + m^(k-1)); p_k = p0 - lr sum_j buf_j */
  double p0[] = {1.0}, g[] = {0.3}, m = 0.9, lr = 0.05;
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64), *buf = dlt_optim_state(p, 0);
  dlt_sgd_opts o = {.lr = lr, .momentum = m};
  double want = p0[0], b = 0;
  for (int k = 1; k <= 6; k++) {
    cr_assert_eq(dlt_sgd_step(p, p->grad, buf, k == 1, &o), 0);
    b = b * m + g[0];
    want -= lr * b;
    expect_close(p, &want, 1e-14, "momentum");
    expect_close(buf, &b, 1e-14, "buffer");
  }
  dlt_release(buf);
  dlt_release(p);
}

Test(optim, sgd_nesterov_and_dampening) {
  double p0[] = {1.0}, g[] = {0.3}, m = 0.8, lr = 0.1;
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64), *buf = dlt_optim_state(p, 0);
  dlt_sgd_opts o = {.lr = lr, .momentum = m, .nesterov = true};
  double want = p0[0], b = 0;
  for (int k = 1; k <= 4; k++) {
    cr_assert_eq(dlt_sgd_step(p, p->grad, buf, k == 1, &o), 0);
    b = k == 1 ? g[0] : b * m + g[0];
    want -= lr * (g[0] + m * b);
    expect_close(p, &want, 1e-14, "nesterov");
  }
  /* dampening scales the new gradient after the first step: buf = m buf + (1-damp) g */
  dlt_tensor *q = param(p0, g, 1, DLT_FLOAT64), *qb = dlt_optim_state(q, 0);
  dlt_sgd_opts od = {.lr = lr, .momentum = m, .dampening = 0.5};
  dlt_sgd_step(q, q->grad, qb, true, &od);
  dlt_sgd_step(q, q->grad, qb, false, &od);
  double wb = g[0] * m + 0.5 * g[0];
  expect_close(qb, &wb, 1e-15, "dampened buffer");
  dlt_release(buf);
  dlt_release(p);
  dlt_release(qb);
  dlt_release(q);
}

Test(optim, sgd_weight_decay_and_maximize) {
  double p0[] = {2.0}, g[] = {0.5};
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64);
  dlt_sgd_opts o = {.lr = 0.1, .weight_decay = 0.2, .maximize = true};
  dlt_sgd_step(p, p->grad, NULL, false, &o);
  double want = 2.0 - 0.1 * (-0.5 + 0.2 * 2.0);
  expect_close(p, &want, 1e-15, "maximize with weight decay");
  dlt_release(p);
}

Test(optim, adam_first_step_moves_by_lr_g_over_abs_g_plus_eps) {
  double p0[] = {1.0, -2.0, 0.5}, g[] = {0.2, -3.0, 1e-3};
  dlt_tensor *p = param(p0, g, 3, DLT_FLOAT64);
  dlt_tensor *m = dlt_optim_state(p, 0), *v = dlt_optim_state(p, 0);
  dlt_adam_opts o = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  cr_assert_eq(dlt_adam_step(p, p->grad, m, v, NULL, 1, &o), 0);
  double want[3];
  for (int i = 0; i < 3; i++) want[i] = p0[i] - 0.01 * g[i] / (fabs(g[i]) + 1e-8);
  expect_close(p, want, 1e-12, "adam step 1");
  double wm[3], wv[3];
  for (int i = 0; i < 3; i++) {
    wm[i] = 0.1 * g[i];
    wv[i] = 0.001 * g[i] * g[i];
  }
  expect_close(m, wm, 1e-14, "exp_avg");
  expect_close(v, wv, 1e-12, "exp_avg_sq");
  dlt_release(m);
  dlt_release(v);
  dlt_release(p);
}

Test(optim, adamw_decays_the_weights_not_the_gradient) {
  /* zero gradient: the moments stay 0 and only p *= 1 - lr*wd acts; Adam's L2 form
   * instead feeds wd*p into the moments and moves p by about lr */
  double p0[] = {3.0, -1.0}, g[] = {0, 0};
  dlt_tensor *p = param(p0, g, 2, DLT_FLOAT64);
  dlt_tensor *m = dlt_optim_state(p, 0), *v = dlt_optim_state(p, 0);
  dlt_adam_opts o = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.5, .decoupled = true};
  dlt_adam_step(p, p->grad, m, v, NULL, 1, &o);
  double want[] = {3.0 * 0.95, -1.0 * 0.95};
  expect_close(p, want, 1e-15, "adamw");
  dlt_tensor *q = param(p0, g, 2, DLT_FLOAT64);
  dlt_tensor *qm = dlt_optim_state(q, 0), *qv = dlt_optim_state(q, 0);
  o.decoupled = false;
  dlt_adam_step(q, q->grad, qm, qv, NULL, 1, &o);
  double wq[] = {3.0 - 0.1, -1.0 + 0.1};
  expect_close(q, wq, 1e-7, "adam l2");
  dlt_release(m);
  dlt_release(v);
  dlt_release(p);
  dlt_release(qm);
  dlt_release(qv);
  dlt_release(q);
}

Test(optim, amsgrad_keeps_the_running_maximum) {
  double p0[] = {0.0}, g[] = {10.0};
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64);
  dlt_tensor *m = dlt_optim_state(p, 0), *v = dlt_optim_state(p, 0), *vm = dlt_optim_state(p, 0);
  dlt_adam_opts o = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.9, .eps = 1e-8, .amsgrad = true};
  dlt_adam_step(p, p->grad, m, v, vm, 1, &o);
  double peak = dlt_item(v);
  ((double *)dlt_data(p->grad))[0] = 0.01;
  for (int k = 2; k <= 5; k++) dlt_adam_step(p, p->grad, m, v, vm, k, &o);
  cr_expect(dlt_item(v) < peak, "exp_avg_sq decays");
  cr_expect_eq(dlt_item(vm), peak, "max_exp_avg_sq stays %.17g, is %.17g", peak, dlt_item(vm));
  dlt_release(m);
  dlt_release(v);
  dlt_release(vm);
  dlt_release(p);
}

Test(optim, adagrad_constant_gradient_with_lr_decay) {
  double p0[] = {1.0}, g[] = {0.5}, lr = 0.1, decay = 0.2, eps = 1e-10;
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64), *sum = dlt_optim_state(p, 0.25);
  dlt_adagrad_opts o = {.lr = lr, .lr_decay = decay, .eps = eps};
  double want = p0[0], s = 0.25;
  for (int k = 1; k <= 5; k++) {
    cr_assert_eq(dlt_adagrad_step(p, p->grad, sum, k, &o), 0);
    s += g[0] * g[0];
    want -= lr / (1 + (k - 1) * decay) * g[0] / (sqrt(s) + eps);
    expect_close(p, &want, 1e-14, "adagrad");
  }
  dlt_release(sum);
  dlt_release(p);
}

Test(optim, rmsprop_and_adadelta_first_steps) {
  double p0[] = {1.0}, g[] = {0.4};
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64), *s = dlt_optim_state(p, 0);
  dlt_rmsprop_opts o = {.lr = 0.01, .alpha = 0.99, .eps = 1e-8};
  dlt_rmsprop_step(p, p->grad, s, NULL, NULL, &o);
  double want = 1.0 - 0.01 * 0.4 / (sqrt(0.01 * 0.16) + 1e-8);
  expect_close(p, &want, 1e-14, "rmsprop");
  /* centered: avg = sqrt(s - ga^2) + eps with ga = (1-alpha) g */
  dlt_tensor *q = param(p0, g, 1, DLT_FLOAT64), *qs = dlt_optim_state(q, 0), *ga = dlt_optim_state(q, 0);
  o.centered = true;
  dlt_rmsprop_step(q, q->grad, qs, NULL, ga, &o);
  double wq = 1.0 - 0.01 * 0.4 / (sqrt(0.01 * 0.16 - 0.004 * 0.004) + 1e-8);
  expect_close(q, &wq, 1e-13, "centered rmsprop");
  dlt_tensor *r = param(p0, g, 1, DLT_FLOAT64);
  dlt_tensor *sa = dlt_optim_state(r, 0), *acc = dlt_optim_state(r, 0);
  dlt_adadelta_opts od = {.lr = 1.0, .rho = 0.9, .eps = 1e-6};
  dlt_adadelta_step(r, r->grad, sa, acc, &od);
  double wr = 1.0 - sqrt(1e-6) / sqrt(0.1 * 0.16 + 1e-6) * 0.4;
  expect_close(r, &wr, 1e-14, "adadelta");
  dlt_release(s);
  dlt_release(p);
  dlt_release(qs);
  dlt_release(ga);
  dlt_release(q);
  dlt_release(sa);
  dlt_release(acc);
  dlt_release(r);
}

Test(optim, nadam_rounds_mu_product_like_a_float32_tensor) {
  double p0[] = {1.0}, g[] = {0.3};
  dlt_tensor *p = param(p0, g, 1, DLT_FLOAT64);
  dlt_tensor *m = dlt_optim_state(p, 0), *v = dlt_optim_state(p, 0);
  dlt_nadam_opts o = {.lr = 2e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .momentum_decay = 4e-3};
  double mp = 1.0;
  cr_assert_eq(dlt_nadam_step(p, p->grad, m, v, 1, &mp, &o), 0);
  double mu = 0.9 * (1 - 0.5 * pow(0.96, 4e-3));
  cr_expect_eq(mp, (double)(float)(float)mu, "mu_product %.17g", mp);
  dlt_release(m);
  dlt_release(v);
  dlt_release(p);
}

Test(optim, float32_follows_float64) {
  double p0[8], g[8];
  for (int i = 0; i < 8; i++) {
    p0[i] = sin(i + 1.0);
    g[i] = cos(2.0 * i);
  }
  dlt_tensor *a = param(p0, g, 8, DLT_FLOAT32), *b = param(p0, g, 8, DLT_FLOAT64);
  dlt_tensor *am = dlt_optim_state(a, 0), *av = dlt_optim_state(a, 0);
  dlt_tensor *bm = dlt_optim_state(b, 0), *bv = dlt_optim_state(b, 0);
  dlt_adam_opts o = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01};
  for (int k = 1; k <= 20; k++) {
    dlt_adam_step(a, a->grad, am, av, NULL, k, &o);
    dlt_adam_step(b, b->grad, bm, bv, NULL, k, &o);
  }
  for (int i = 0; i < 8; i++)
    cr_expect(fabs(dlt_get_flat(a, i) - dlt_get_flat(b, i)) < 1e-5, "element %d", i);
  dlt_release(am);
  dlt_release(av);
  dlt_release(bm);
  dlt_release(bv);
  dlt_release(a);
  dlt_release(b);
}

Test(optim, strided_parameter_is_updated_through_its_view) {
  /* w is the transpose of a (2,3) base; its update must land in the base */
  double v[] = {1, 2, 3, 4, 5, 6};
  int64_t shape[] = {2, 3};
  dlt_tensor *base = dlt_from_doubles(v, 2, shape, DLT_FLOAT64);
  dlt_tensor *w = dlt_transpose(base, 0, 1);
  cr_assert(w && !dlt_is_contiguous(w));
  int64_t gs[] = {3, 2};
  double gv[] = {1, 2, 3, 4, 5, 6}; /* g[i][j] for w's (3,2) layout */
  w->grad = dlt_from_doubles(gv, 2, gs, DLT_FLOAT64);
  uint32_t ver = base->storage->version;
  dlt_sgd_opts o = {.lr = 0.5};
  cr_assert_eq(dlt_sgd_step(w, w->grad, NULL, false, &o), 0, "%s", dlt_error());
  /* w[i][j] = base[j][i] -= 0.5 g[i][j] */
  double want[] = {1 - 0.5, 2 - 1.5, 3 - 2.5, 4 - 1.0, 5 - 2.0, 6 - 3.0};
  expect_close(base, want, 1e-15, "base");
  cr_expect_gt(base->storage->version, ver, "version bumped");
  dlt_release(w);
  dlt_release(base);
}

Test(optim, mismatched_gradient_or_state_is_an_error) {
  double p0[] = {1, 2}, g3[] = {1, 2, 3};
  dlt_tensor *p = param(p0, p0, 2, DLT_FLOAT64);
  dlt_tensor *bad = vec(g3, 3, DLT_FLOAT64);
  dlt_sgd_opts o = {.lr = 0.1};
  cr_expect_eq(dlt_sgd_step(p, bad, NULL, false, &o), -1);
  cr_expect(strstr(dlt_error(), "SGD.step: gradient of shape {3} for a parameter of shape {2}"),
            "%s", dlt_error());
  dlt_tensor *f32 = vec(p0, 2, DLT_FLOAT32);
  cr_expect_eq(dlt_sgd_step(p, f32, NULL, false, &o), -1);
  cr_expect(strstr(dlt_error(), "gradient is float32 but the parameter is float64"), "%s", dlt_error());
  cr_expect_eq(dlt_sgd_step(p, NULL, NULL, false, &o), -1);
  cr_expect(strstr(dlt_error(), "SGD.step: the parameter has no gradient"), "%s", dlt_error());
  dlt_tensor *m = vec(g3, 3, DLT_FLOAT64), *v = dlt_optim_state(p, 0);
  dlt_adam_opts ao = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8};
  cr_expect_eq(dlt_adam_step(p, p->grad, m, v, NULL, 1, &ao), -1);
  cr_expect(strstr(dlt_error(), "Adam.step: state of shape {3}"), "%s", dlt_error());
  double want[] = {1, 2};
  expect_close(p, want, 0, "untouched after errors");
  dlt_release(bad);
  dlt_release(f32);
  dlt_release(m);
  dlt_release(v);
  dlt_release(p);
}
