/* rprop.c: Rprop as torch.optim.Rprop (single-tensor form): per element, with
 * s = sign(g * prev): the step grows by etaplus where s > 0, shrinks by etaminus where
 * s < 0 (and that gradient is taken as 0), is clamped to [min, max];
 * p -= sign(g) * step; prev = g. */
#include "optim/optim.h"

/* p, g, prev, st are (n,) of type T */
#define RPROP_KERNEL(T, NAME)                                                      \
  static void NAME(T *p, const T *g, T *prev, T *st, int64_t n,                   \
                   const dlt_rprop_opts *o) {                                     \
    const T up = (T)o->etaplus, down = (T)o->etaminus;                            \
    const T lo = (T)o->step_size_min, hi = (T)o->step_size_max;                   \
    for (int64_t i = 0; i < n; i++) {                                              \
      T gi = o->maximize ? -g[i] : g[i];                                           \
      T prod = gi * prev[i];                                                       \
      /* NaN stays NaN, as torch.sign and the masked assignments leave it */       \
      T f = prod > 0 ? up : prod < 0 ? down : prod == 0 ? (T)1 : prod;             \
      T s = st[i] * f;                                                             \
      s = s < lo ? lo : s;                                                         \
      s = s > hi ? hi : s;                                                         \
      st[i] = s;                                                                   \
      if (f == down) gi = 0;                                                       \
      T sg = gi > 0 ? (T)1 : gi < 0 ? (T)-1 : gi;                                  \
      p[i] = p[i] + (T)(-1) * sg * s;                                              \
      prev[i] = gi;                                                                \
    }                                                                              \
  }

RPROP_KERNEL(float, rprop_f32)
RPROP_KERNEL(double, rprop_f64)

int dlt_rprop_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *prev, dlt_tensor *step_size,
                   const dlt_rprop_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {prev, step_size};
  if (!prev || !step_size) return dlt_failn("Rprop.step: missing state");
  if (dlt_optim_begin("Rprop.step", p, g, st, 2, &io) < 0) return -1;
  if (p->dtype == DLT_FLOAT64) rprop_f64(io.pd, io.gd, dlt_data(prev), dlt_data(step_size), io.n, o);
  else rprop_f32(io.pd, io.gd, dlt_data(prev), dlt_data(step_size), io.n, o);
  dlt_optim_end(&io);
  return 0;
}
