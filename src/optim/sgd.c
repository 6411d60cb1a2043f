/* sgd.c: SGD with momentum, dampening, weight decay and Nesterov momentum, as
 * torch.optim.SGD: d = g + wd*p; buf = m*buf + (1-damp)*d (buf = d at first);
 * d = nesterov ? d + m*buf : buf; p -= lr*d. Each rounding as PyTorch's ops do. */
#include "optim/optim.h"

/* sgd_f32/f64 */
#define OPTIM_BODY "optim/sgd.inc"
#include "optim/per_dtype.inc"

int dlt_sgd_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *buf, bool first,
                 const dlt_sgd_opts *o) {
  dlt_optim_io io;
  if (dlt_optim_begin("SGD.step", p, g, &buf, 1, &io) < 0) return -1;
  void *b = buf ? dlt_data(buf) : NULL;
  if (p->dtype == DLT_FLOAT64) sgd_f64(io.pd, io.gd, b, io.n, first, o);
  else sgd_f32(io.pd, io.gd, b, io.n, first, o);
  dlt_optim_end(&io);
  return 0;
}
