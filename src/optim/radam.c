/* radam.c: RAdam as torch.optim.RAdam (single-tensor form): Adam's moments, and with
 *   rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2^t/(1-b2^t):
 *   rho_t > 5: r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)),
 *              p -= m/(1-b1^t) * lr * sqrt(1-b2^t)/(sqrt(v)+eps) * r
 *   else:      p -= m/(1-b1^t) * lr */
#include <math.h>

#include "optim/optim.h"

/* radam_f32/f64 */
#define OPTIM_BODY "optim/radam.inc"
#include "optim/per_dtype.inc"

int dlt_radam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *exp_avg, dlt_tensor *exp_avg_sq,
                   int64_t step, const dlt_radam_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {exp_avg, exp_avg_sq};
  if (!exp_avg || !exp_avg_sq) return dlt_failn("RAdam.step: missing state");
  if (dlt_optim_begin("RAdam.step", p, g, st, 2, &io) < 0) return -1;
  double t = (double)step, b2t = pow(o->beta2, t);
  double bc1 = 1 - pow(o->beta1, t), bc2 = 1 - b2t;
  double rho_inf = 2 / (1 - o->beta2) - 1;
  double rho_t = rho_inf - 2 * t * b2t / bc2, rect = 0;
  if (rho_t > 5.) rect = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
  if (p->dtype == DLT_FLOAT64) radam_f64(io.pd, io.gd, dlt_data(exp_avg), dlt_data(exp_avg_sq), io.n, bc1, bc2, rect, o);
  else radam_f32(io.pd, io.gd, dlt_data(exp_avg), dlt_data(exp_avg_sq), io.n, bc1, bc2, rect, o);
  dlt_optim_end(&io);
  return 0;
}
