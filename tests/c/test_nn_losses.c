/* test_nn_losses.c: the fused losses against closed forms and their Jacobians, class
 * target checks, nn.init's fans and gains, and gradient clipping. */
#include "nn/clip.h"
#include "nn/init.h"
#include "test_nn_util.h"

typedef struct {
  dlt_pointwise_loss kind;
  dlt_reduction red;
} pw_ud;

static dlt_tensor *f_pw(void *ud, dlt_tensor *const *in, int n) {
  pw_ud *u = ud;
  return dlt_fused_pointwise_loss("loss", u->kind, in[0], in[1], u->red);
}

Test(losses, pointwise_closed_forms) {
  double xv[3] = {0.2, 0.7, 0.9}, tv[3] = {0, 1, 0.5};
  int64_t s[1] = {3};
  dlt_tensor *x = vals(xv, 1, s, false), *t = vals(tv, 1, s, false);
  double mse = 0, l1 = 0, bce = 0, bcel = 0;
  for (int i = 0; i < 3; i++) {
    double d = xv[i] - tv[i];
    mse += d * d / 3;
    l1 += fabs(d) / 3;
    bce -= (tv[i] * log(xv[i]) + (1 - tv[i]) * log(1 - xv[i])) / 3;
    double sg = 1 / (1 + exp(-xv[i]));
    bcel -= (tv[i] * log(sg) + (1 - tv[i]) * log(1 - sg)) / 3;
  }
  dlt_pointwise_loss kinds[4] = {DLT_LOSS_MSE, DLT_LOSS_L1, DLT_LOSS_BCE, DLT_LOSS_BCE_LOGITS};
  double want[4] = {mse, l1, bce, bcel};
  for (int k = 0; k < 4; k++) {
    dlt_tensor *l = dlt_fused_pointwise_loss("loss", kinds[k], x, t, DLT_REDUCTION_MEAN);
    cr_assert(l && l->ndim == 0, "%s", dlt_error());
    cr_assert(near(dlt_item(l), want[k], 1e-14, 0), "loss %d: %.17g, want %.17g", k, dlt_item(l), want[k]);
    dlt_release(l);
    l = dlt_fused_pointwise_loss("loss", kinds[k], x, t, DLT_REDUCTION_SUM);
    cr_assert(near(dlt_item(l), 3 * want[k], 1e-14, 0));
    dlt_release(l);
  }
  dlt_release(x);
  dlt_release(t);
}

Test(losses, pointwise_jacobians_for_input_and_target) {
  int64_t s[2] = {3, 2};
  dlt_tensor *in[2] = {randn(2, s, 0, true), randn(2, s, 0, true)};
  dlt_reduction reds[3] = {DLT_REDUCTION_MEAN, DLT_REDUCTION_SUM, DLT_REDUCTION_NONE};
  for (int r = 0; r < 3; r++) {
    pw_ud a = {DLT_LOSS_MSE, reds[r]}, b = {DLT_LOSS_L1, reds[r]}, c = {DLT_LOSS_BCE_LOGITS, reds[r]}, d = {DLT_LOSS_BCE, reds[r]};
    expect_gradcheck(f_pw, &a, in, 2);
    expect_gradcheck(f_pw, &b, in, 2);
    expect_gradcheck(f_pw, &c, in, 2);
    double pv[6] = {0.1, 0.3, 0.5, 0.6, 0.8, 0.95}, tv[6] = {0, 1, 0.2, 1, 0.4, 0};
    dlt_tensor *p[2] = {vals(pv, 2, s, true), vals(tv, 2, s, true)};
    expect_gradcheck(f_pw, &d, p, 2);
    dlt_release(p[0]);
    dlt_release(p[1]);
  }
  dlt_release(in[0]);
  dlt_release(in[1]);
}

Test(losses, bce_with_logits_is_stable) {
  double xv[2] = {800, -800}, tv[2] = {1, 0};
  int64_t s[1] = {2};
  dlt_tensor *x = vals(xv, 1, s, false), *t = vals(tv, 1, s, false);
  dlt_tensor *l = dlt_fused_pointwise_loss("BCEWithLogitsLoss", DLT_LOSS_BCE_LOGITS, x, t, DLT_REDUCTION_SUM);
  cr_assert_eq(dlt_item(l), 0, "log-sum-exp form: no overflow, got %g", dlt_item(l));
  dlt_release(l);
  dlt_release(x);
  dlt_release(t);
}

typedef struct {
  bool ce;
  dlt_reduction red;
  dlt_tensor *t;
} cl_ud;

static dlt_tensor *f_cl(void *ud, dlt_tensor *const *in, int n) {
  cl_ud *u = ud;
  return dlt_fused_class_loss("loss", u->ce, in[0], u->t, u->red);
}

Test(losses, cross_entropy_closed_form_and_jacobian) {
  double xv[6] = {1, 2, 3, 0.5, -1, 0}, tv[2] = {3, 1};
  int64_t xs[2] = {2, 3}, ts[1] = {2};
  dlt_tensor *x = vals(xv, 2, xs, true), *t = vals(tv, 1, ts, false);
  dlt_tensor *l = dlt_fused_class_loss("CrossEntropyLoss", true, x, t, DLT_REDUCTION_MEAN);
  double l0 = log(exp(1) + exp(2) + exp(3)) - 3, l1 = log(exp(0.5) + exp(-1) + exp(0)) - 0.5;
  cr_assert(near(dlt_item(l), (l0 + l1) / 2, 1e-14, 0), "got %.17g", dlt_item(l));
  dlt_release(l);
  dlt_reduction reds[3] = {DLT_REDUCTION_MEAN, DLT_REDUCTION_SUM, DLT_REDUCTION_NONE};
  for (int r = 0; r < 3; r++) {
    cl_ud ce = {true, reds[r], t}, nll = {false, reds[r], t};
    dlt_tensor *in[1] = {x};
    expect_gradcheck(f_cl, &ce, in, 1);
    expect_gradcheck(f_cl, &nll, in, 1);
  }
  double pv[6] = {0.2, 0.3, 0.5, 1, 0, 0};
  dlt_tensor *p = vals(pv, 2, xs, false), *in[1] = {x};
  cl_ud prob = {true, DLT_REDUCTION_MEAN, p};
  expect_gradcheck(f_cl, &prob, in, 1);
  dlt_release(p);
  dlt_release(x);
  dlt_release(t);
}

Test(losses, errors) {
  double xv[6] = {0}, bad[2] = {4, 1}, frac[2] = {1.5, 1};
  int64_t xs[2] = {2, 3}, ts[1] = {2}, t3[1] = {3};
  dlt_tensor *x = vals(xv, 2, xs, false), *tb = vals(bad, 1, ts, false), *tf = vals(frac, 1, ts, false);
  dlt_tensor *t3v = dlt_zeros(1, t3, DLT_FLOAT64);
  expect_error(dlt_fused_class_loss("CrossEntropyLoss", true, x, tb, DLT_REDUCTION_MEAN),
               "CrossEntropyLoss: target 4 at element 1 is out of range: classes are 1..3");
  expect_error(dlt_fused_class_loss("NLLLoss", false, x, tf, DLT_REDUCTION_MEAN), "NLLLoss: target 1.5 at element 1 is not a class index");
  expect_error(dlt_fused_class_loss("CrossEntropyLoss", true, x, t3v, DLT_REDUCTION_MEAN),
               "CrossEntropyLoss: input shape {2,3} and target shape {3} do not match");
  expect_error(dlt_fused_pointwise_loss("MSELoss", DLT_LOSS_MSE, x, tb, DLT_REDUCTION_MEAN),
               "MSELoss: input shape {2,3} and target shape {2} differ");
  double big[6] = {0.5, 1.5, 0, 0, 0, 0};
  dlt_tensor *xb = vals(big, 2, xs, false);
  expect_error(dlt_fused_pointwise_loss("BCELoss", DLT_LOSS_BCE, xb, x, DLT_REDUCTION_MEAN),
               "BCELoss: all elements of input should be between 0 and 1, got 1.5 at element 2");
  dlt_release(x);
  dlt_release(tb);
  dlt_release(tf);
  dlt_release(t3v);
  dlt_release(xb);
}

Test(init, fans_and_gains) {
  int64_t s[3] = {8, 4, 3};
  dlt_tensor *w = dlt_zeros(3, s, DLT_FLOAT64);
  int64_t fi, fo;
  cr_assert_eq(dlt_init_fans("f", w, &fi, &fo), 0);
  cr_assert(fi == 12 && fo == 24);
  cr_assert(near(dlt_init_gain("relu", NAN), sqrt(2.0), 1e-15, 0));
  cr_assert(near(dlt_init_gain("tanh", NAN), 5.0 / 3, 1e-15, 0));
  cr_assert(near(dlt_init_gain("leaky_relu", sqrt(5.0)), sqrt(1.0 / 3), 1e-15, 0));
  cr_assert(near(dlt_init_gain("leaky_relu", NAN), sqrt(2 / 1.0001), 1e-15, 0));
  cr_assert(isnan(dlt_init_gain("swish", NAN)));
  cr_assert(strstr(dlt_error(), "unsupported nonlinearity 'swish'"));
  /* xavier_uniform bound sqrt(6/(12+24)); kaiming_uniform(relu) bound sqrt(6/12) */
  cr_assert_eq(dlt_init_xavier(w, 1, false), 0);
  double mx = 0;
  for (int i = 0; i < 96; i++) mx = fmax(mx, fabs(at(w, i)));
  cr_assert(mx <= sqrt(6.0 / 36) && mx > 0.5 * sqrt(6.0 / 36));
  cr_assert_eq(dlt_init_kaiming(w, 0, DLT_FAN_IN, "relu", false), 0);
  mx = 0;
  for (int i = 0; i < 96; i++) mx = fmax(mx, fabs(at(w, i)));
  cr_assert(mx <= sqrt(0.5) && mx > 0.5 * sqrt(0.5));
  dlt_tensor *v = dlt_zeros(1, s, DLT_FLOAT64);
  cr_assert_eq(dlt_init_xavier(v, 1, true), -1);
  cr_assert(strstr(dlt_error(), "fewer than 2 dimensions"));
  dlt_release(w);
  dlt_release(v);
}

Test(init, orthogonal_rows_and_columns) {
  int64_t shapes[2][2] = {{3, 5}, {5, 3}};
  for (int k = 0; k < 2; k++) {
    dlt_tensor *w = dlt_zeros(2, shapes[k], DLT_FLOAT64);
    cr_assert_eq(dlt_init_orthogonal(w, 2), 0, "%s", dlt_error());
    int64_t r = shapes[k][0], c = shapes[k][1];
    bool by_rows = r <= c; /* the smaller side is orthonormal (times the gain) */
    int64_t n = by_rows ? r : c, len = by_rows ? c : r;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) {
        double d = 0;
        for (int64_t q = 0; q < len; q++)
          d += by_rows ? at(w, i * c + q) * at(w, j * c + q) : at(w, q * c + i) * at(w, q * c + j);
        cr_assert(near(d, i == j ? 4 : 0, 1e-12, 1e-12), "shape %lldx%lld: <%lld,%lld> = %g", (long long)r, (long long)c,
                  (long long)i, (long long)j, d);
      }
    dlt_release(w);
  }
}

Test(clip, norm_and_value) {
  int64_t s[1] = {2};
  double g1[2] = {3, 0}, g2[2] = {0, 4};
  dlt_tensor *p1 = dlt_zeros(1, s, DLT_FLOAT64), *p2 = dlt_zeros(1, s, DLT_FLOAT64), *p3 = dlt_zeros(1, s, DLT_FLOAT64);
  p1->grad = vals(g1, 1, s, false);
  p2->grad = vals(g2, 1, s, false);
  dlt_tensor *ps[3] = {p1, p2, p3};
  double total;
  cr_assert_eq(dlt_clip_grad_norm(ps, 3, 1, 2, false, &total), 0);
  cr_assert(near(total, 5, 1e-15, 0));
  cr_assert(near(at(p1->grad, 0), 3 / (5 + 1e-6), 1e-15, 0) && near(at(p2->grad, 1), 4 / (5 + 1e-6), 1e-15, 0));
  cr_assert_eq(dlt_clip_grad_norm(ps, 3, 10, INFINITY, false, &total), 0);
  cr_assert(near(total, 4 / (5 + 1e-6), 1e-15, 0), "max norm %g", total);
  cr_assert_eq(dlt_clip_grad_value(ps, 3, 0.5), 0);
  cr_assert(at(p1->grad, 0) == 0.5 && at(p2->grad, 1) == 0.5 && at(p2->grad, 0) == 0);
  dlt_release(p1);
  dlt_release(p2);
  dlt_release(p3);
}
