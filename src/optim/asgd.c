/* asgd.c: averaged SGD as torch.optim.ASGD (single-tensor form):
 *   g += wd*p; p *= 1 - lambd*eta; p -= eta*g; ax += (p - ax)*mu (ax = p when mu is 1);
 *   then eta = lr / (1 + lambd*lr*t)^alpha and mu = 1/max(1, t - t0). */
#include <math.h>

#include "optim/optim.h"

/* x rounded to the dtype of PyTorch's 0-dim state tensors (the default dtype) */
static double state_round(double x) {
  return dlt_default_dtype() == DLT_FLOAT64 ? x : (double)(float)x;
}

double dlt_asgd_initial_eta(double lr) { return state_round(lr); }

/* asgd_f32/f64 */
#define OPTIM_BODY "optim/asgd.inc"
#include "optim/per_dtype.inc"

int dlt_asgd_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *ax, int64_t step, double *eta,
                  double *mu, const dlt_asgd_opts *o) {
  dlt_optim_io io;
  if (!ax) return dlt_failn("ASGD.step: missing state");
  if (dlt_optim_begin("ASGD.step", p, g, &ax, 1, &io) < 0) return -1;
  if (p->dtype == DLT_FLOAT64) asgd_f64(io.pd, io.gd, dlt_data(ax), io.n, *eta, *mu, o);
  else asgd_f32(io.pd, io.gd, dlt_data(ax), io.n, *eta, *mu, o);
  double t = (double)step;
  *eta = state_round(o->lr / pow(1 + o->lambd * o->lr * t, o->alpha));
  *mu = state_round(1 / fmax(1, t - o->t0));
  dlt_optim_end(&io);
  return 0;
}
