/* rmsprop.c: RMSprop as torch.optim.RMSprop: g += wd*p; s = a*s + (1-a)*g*g;
 * centered: ga = a*ga + (1-a)*g, avg = sqrt(s - ga*ga) + eps, else sqrt(s) + eps;
 * momentum: buf = mom*buf + g/avg, p -= lr*buf; otherwise p -= lr*g/avg. */
#include <math.h>

#include "optim/optim.h"

/* rmsprop_f32/f64 */
#define OPTIM_BODY "optim/rmsprop.inc"
#include "optim/per_dtype.inc"

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
