/* adagrad.c: Adagrad and Adadelta, as torch.optim:
 *   Adagrad:  g += wd*p; sum += g*g; p -= lr/(1 + (t-1)*lr_decay) * g/(sqrt(sum) + eps)
 *   Adadelta: g += wd*p; s = rho*s + (1-rho)*g*g;
 *             d = sqrt(acc + eps)/sqrt(s + eps) * g; acc = rho*acc + (1-rho)*d*d; p -= lr*d */
#include <math.h>

#include "optim/optim.h"

/* adagrad_f32/f64 and adadelta_f32/f64 */
#define OPTIM_BODY "optim/adagrad.inc"
#include "optim/per_dtype.inc"

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
