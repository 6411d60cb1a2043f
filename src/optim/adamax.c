/* adamax.c: Adamax as torch.optim.Adamax (single-tensor form):
 *   g += wd*p; m = b1*m + (1-b1)*g; u = max(b2*u, |g| + eps);
 *   p -= lr/(1-b1^t) * m/u */
#include <math.h>

#include "optim/optim.h"

/* adamax_f32/f64 */
#define OPTIM_BODY "optim/adamax.inc"
#include "optim/per_dtype.inc"

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
