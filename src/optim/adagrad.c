/* adagrad.c: Adagrad and Adadelta, as torch.optim:
 *   Adagrad:  g += wd*p; sum += g*g; p -= lr/(1 + (t-1)*lr_decay) * g/(sqrt(sum) + eps)
 *   Adadelta: g += wd*p; s = rho*s + (1-rho)*g*g;
 *             d = sqrt(acc + eps)/sqrt(s + eps) * g; acc = rho*acc + (1-rho)*d*d; p -= lr*d */
#include <math.h>

#include "optim/optim.h"

/* p, g, sum are (n,) of type T */
#define ADAGRAD_KERNEL(T, SQRT, NAME)                                              \
  static void NAME(T *p, const T *g, T *sum, int64_t n, double clr,               \
                   const dlt_adagrad_opts *o) {                                   \
    const T wd = (T)o->weight_decay, eps = (T)o->eps, negclr = (T)(-clr);         \
    for (int64_t i = 0; i < n; i++) {                                              \
      T gi = o->maximize ? -g[i] : g[i];                                           \
      if (o->weight_decay != 0) gi = gi + wd * p[i];                               \
      sum[i] = sum[i] + (T)1 * gi * gi;                                            \
      T std = SQRT(sum[i]) + eps;                                                  \
      p[i] = p[i] + negclr * gi / std;                                             \
    }                                                                              \
  }

ADAGRAD_KERNEL(float, sqrtf, adagrad_f32)
ADAGRAD_KERNEL(double, sqrt, adagrad_f64)

int dlt_adagrad_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *sum, int64_t step,
                     const dlt_adagrad_opts *o) {
  dlt_optim_io io;
  if (!sum) return dlt_failn("Adagrad.step: missing state");
  if (dlt_optim_check_step("Adagrad.step", step) < 0) return -1;
  if (dlt_optim_begin("Adagrad.step", p, g, &sum, 1, &io) < 0) return -1;
  double clr = o->lr / (1 + (double)(step - 1) * o->lr_decay);
  if (p->dtype == DLT_FLOAT64) adagrad_f64(io.pd, io.gd, dlt_data(sum), io.n, clr, o);
  else adagrad_f32(io.pd, io.gd, dlt_data(sum), io.n, clr, o);
  dlt_optim_end(&io);
  return 0;
}

/* p, g, s, acc are (n,) of type T */
#define ADADELTA_KERNEL(T, SQRT, NAME)                                             \
  static void NAME(T *p, const T *g, T *s, T *acc, int64_t n,                     \
                   const dlt_adadelta_opts *o) {                                  \
    const T rho = (T)o->rho, c = (T)(1 - o->rho), wd = (T)o->weight_decay;        \
    const T eps = (T)o->eps, neglr = (T)(-o->lr);                                 \
    for (int64_t i = 0; i < n; i++) {                                              \
      T gi = o->maximize ? -g[i] : g[i];                                           \
      if (o->weight_decay != 0) gi = gi + wd * p[i];                               \
      s[i] = s[i] * rho;                                                           \
      s[i] = s[i] + c * gi * gi;                                                   \
      T std = SQRT(s[i] + eps);                                                    \
      T delta = SQRT(acc[i] + eps) / std * gi;                                     \
      acc[i] = acc[i] * rho;                                                       \
      acc[i] = acc[i] + c * delta * delta;                                         \
      p[i] = p[i] + neglr * delta;                                                 \
    }                                                                              \
  }

ADADELTA_KERNEL(float, sqrtf, adadelta_f32)
ADADELTA_KERNEL(double, sqrt, adadelta_f64)

int dlt_adadelta_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *square_avg,
                      dlt_tensor *acc_delta, const dlt_adadelta_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {square_avg, acc_delta};
  if (!square_avg || !acc_delta) return dlt_failn("Adadelta.step: missing state");
  if (dlt_optim_begin("Adadelta.step", p, g, st, 2, &io) < 0) return -1;
  if (p->dtype == DLT_FLOAT64) adadelta_f64(io.pd, io.gd, dlt_data(square_avg), dlt_data(acc_delta), io.n, o);
  else adadelta_f32(io.pd, io.gd, dlt_data(square_avg), dlt_data(acc_delta), io.n, o);
  dlt_optim_end(&io);
  return 0;
}
