/* adam.c: Adam, AdamW and NAdam, as torch.optim (single-tensor form):
 *   Adam:  g += wd*p (AdamW instead p *= 1 - lr*wd); m = b1*m + (1-b1)*g;
 *          v = b2*v + (1-b2)*g*g; vmax = max(vmax, v) with amsgrad;
 *          p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   NAdam: mu_t = b1*(1 - 0.5*0.96^(t*psi)); m, v as Adam; d = sqrt(v/(1-b2^t)) + eps;
 *          p -= lr*(1-mu_t)/(1-prod mu) * g/d + lr*mu_{t+1}/(1-prod mu*mu_{t+1}) * m/d */
#include <math.h>

#include "core/strided.h" /* DLT_VEC_CLONES */
#include "optim/optim.h"

/* pow(b, t) for the bias corrections, remembered per slot: every parameter tensor of a
 * step asks for the same two powers */
static double pow_cached(int slot, double b, int64_t t) {
  static double base[2], value[2];
  static int64_t power[2] = {-1, -1};
  if (power[slot] != t || base[slot] != b) {
    base[slot] = b;
    power[slot] = t;
    value[slot] = pow(b, (double)t);
  }
  return value[slot];
}

/* adam_f32/f64 and nadam_f32/f64 */
#define T float
#define S(name) name##_f32
#define SQRT sqrtf
#include "optim/adam.inc"
#undef T
#undef S
#undef SQRT
#define T double
#define S(name) name##_f64
#define SQRT sqrt
#include "optim/adam.inc"
#undef T
#undef S
#undef SQRT

int dlt_adam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                  dlt_tensor *vmax, int64_t step, const dlt_adam_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[3] = {m, v, vmax};
  const char *fn = o->decoupled ? "AdamW.step" : "Adam.step";
  if (!m || !v) return dlt_failn("%s: missing state", fn);
  if (dlt_optim_check_step(fn, step) < 0) return -1;
  if (dlt_optim_begin(fn, p, g, st, 3, &io) < 0) return -1;
  void *x = vmax ? dlt_data(vmax) : NULL;
  if (p->dtype == DLT_FLOAT64) adam_f64(io.pd, io.gd, dlt_data(m), dlt_data(v), x, io.n, step, o);
  else adam_f32(io.pd, io.gd, dlt_data(m), dlt_data(v), x, io.n, step, o);
  dlt_optim_end(&io);
  return 0;
}

/* x rounded to the dtype of PyTorch's 0-dim state tensors (the default dtype) */
static double state_round(double x) {
  return dlt_default_dtype() == DLT_FLOAT64 ? x : (double)(float)x;
}

int dlt_nadam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                   int64_t step, double *mu_product, const dlt_nadam_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {m, v};
  if (!m || !v) return dlt_failn("NAdam.step: missing state");
  if (dlt_optim_check_step("NAdam.step", step) < 0) return -1;
  if (dlt_optim_begin("NAdam.step", p, g, st, 2, &io) < 0) return -1;
  double t = (double)step;
  double bc2 = 1 - pow(o->beta2, t);
  double mu = o->beta1 * (1. - 0.5 * pow(0.96, t * o->momentum_decay));
  double mu_next = o->beta1 * (1. - 0.5 * pow(0.96, (t + 1) * o->momentum_decay));
  /* mu_product is a 0-dim tensor: each product rounds to its dtype, the scalar too */
  double prod = state_round(*mu_product * state_round(mu));
  double prod_next = state_round(state_round(prod * state_round(mu)) * state_round(mu_next));
  double a = -o->lr * (1. - mu) / (1. - prod);
  double b = -o->lr * mu_next / (1. - prod_next);
  if (p->dtype == DLT_FLOAT64) nadam_f64(io.pd, io.gd, dlt_data(m), dlt_data(v), io.n, bc2, a, b, o);
  else nadam_f32(io.pd, io.gd, dlt_data(m), dlt_data(v), io.n, bc2, a, b, o);
  *mu_product = prod;
  dlt_optim_end(&io);
  return 0;
}
