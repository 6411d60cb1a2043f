/* rmsprop.c: RMSprop as torch.optim.RMSprop: g += wd*p; s = a*s + (1-a)*g*g;
 * centered: ga = a*ga + (1-a)*g, avg = sqrt(s - ga*ga) + eps, else sqrt(s) + eps;
 * momentum: buf = mom*buf + g/avg, p -= lr*buf; otherwise p -= lr*g/avg. */
#include <math.h>

#include "optim/optim.h"

/* p, g, s, buf, ga are (n,) of type T; buf NULL when momentum is 0, ga unless centered */
#define RMSPROP_KERNEL(T, SQRT, NAME)                                              \
  static void NAME(T *p, const T *g, T *s, T *buf, T *ga, int64_t n,              \
                   const dlt_rmsprop_opts *o) {                                   \
    const T a = (T)o->alpha, c = (T)(1 - o->alpha), wd = (T)o->weight_decay;      \
    const T eps = (T)o->eps, mom = (T)o->momentum, neglr = (T)(-o->lr);           \
    for (int64_t i = 0; i < n; i++) {                                              \
      T gi = o->maximize ? -g[i] : g[i];                                           \
      if (o->weight_decay != 0) gi = gi + wd * p[i];                               \
      s[i] = s[i] * a;                                                             \
      s[i] = s[i] + c * gi * gi;                                                   \
      T avg;                                                                       \
      if (ga) {                                                                    \
        ga[i] = ga[i] * a;                                                         \
        ga[i] = ga[i] + c * gi;                                                    \
        avg = SQRT(s[i] + (T)(-1) * ga[i] * ga[i]);                                \
      } else {                                                                     \
        avg = SQRT(s[i]);                                                          \
      }                                                                            \
      avg = avg + eps;                                                             \
      if (buf) {                                                                   \
        buf[i] = buf[i] * mom;                                                     \
        buf[i] = buf[i] + gi / avg;                                                \
        p[i] = p[i] + neglr * buf[i];                                              \
      } else {                                                                     \
        p[i] = p[i] + neglr * gi / avg;                                            \
      }                                                                            \
    }                                                                              \
  }

RMSPROP_KERNEL(float, sqrtf, rmsprop_f32)
RMSPROP_KERNEL(double, sqrt, rmsprop_f64)

int dlt_rmsprop_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *square_avg,
                     dlt_tensor *buf, dlt_tensor *grad_avg, const dlt_rmsprop_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[3] = {square_avg, buf, grad_avg};
  if (!square_avg) return dlt_failn("RMSprop.step: missing state");
  if (o->momentum > 0 && !buf) return dlt_failn("RMSprop.step: missing momentum buffer");
  if (o->centered && !grad_avg) return dlt_failn("RMSprop.step: missing grad_avg");
  if (dlt_optim_begin("RMSprop.step", p, g, st, 3, &io) < 0) return -1;
  void *b = o->momentum > 0 ? dlt_data(buf) : NULL;
  void *ga = o->centered ? dlt_data(grad_avg) : NULL;
  if (p->dtype == DLT_FLOAT64) rmsprop_f64(io.pd, io.gd, dlt_data(square_avg), b, ga, io.n, o);
  else rmsprop_f32(io.pd, io.gd, dlt_data(square_avg), b, ga, io.n, o);
  dlt_optim_end(&io);
  return 0;
}
