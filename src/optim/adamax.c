/* adamax.c: Adamax as torch.optim.Adamax (single-tensor form):
 *   g += wd*p; m = b1*m + (1-b1)*g; u = max(b2*u, |g| + eps);
 *   p -= lr/(1-b1^t) * m/u */
#include <math.h>

#include "optim/optim.h"

/* p, g, m, u are (n,) of type T */
#define ADAMAX_KERNEL(T, FABS, NAME)                                               \
  static void NAME(T *p, const T *g, T *m, T *u, int64_t n, int64_t t,            \
                   const dlt_adamax_opts *o) {                                    \
    const T b1 = (T)o->beta1, b2 = (T)o->beta2, wd = (T)o->weight_decay;          \
    const T c1 = (T)(1 - o->beta1), eps = (T)o->eps;                              \
    const T negclr = (T)(-(o->lr / (1 - pow(o->beta1, (double)t))));              \
    for (int64_t i = 0; i < n; i++) {                                              \
      T gi = o->maximize ? -g[i] : g[i];                                           \
      if (o->weight_decay != 0) gi = gi + wd * p[i];                               \
      m[i] = m[i] * b1;                                                            \
      m[i] = m[i] + c1 * gi;                                                       \
      T a = u[i] * b2, b = FABS(gi) + eps;                                         \
      /* torch.amax propagates NaN */                                              \
      u[i] = (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);              \
      p[i] = p[i] + negclr * (m[i] / u[i]);                                        \
    }                                                                              \
  }

ADAMAX_KERNEL(float, fabsf, adamax_f32)
ADAMAX_KERNEL(double, fabs, adamax_f64)

int dlt_adamax_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *exp_avg, dlt_tensor *exp_inf,
                    int64_t step, const dlt_adamax_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {exp_avg, exp_inf};
  if (!exp_avg || !exp_inf) return dlt_failn("Adamax.step: missing state");
  if (dlt_optim_begin("Adamax.step", p, g, st, 2, &io) < 0) return -1;
  if (p->dtype == DLT_FLOAT64) adamax_f64(io.pd, io.gd, dlt_data(exp_avg), dlt_data(exp_inf), io.n, step, o);
  else adamax_f32(io.pd, io.gd, dlt_data(exp_avg), dlt_data(exp_inf), io.n, step, o);
  dlt_optim_end(&io);
  return 0;
}
