/* rprop.c: Rprop as torch.optim.Rprop (single-tensor form): per element, with
 * s = sign(g * prev): the step grows by etaplus where s > 0, shrinks by etaminus where
 * s < 0 (and that gradient is taken as 0), is clamped to [min, max];
 * p -= sign(g) * step; prev = g. */
#include "optim/optim.h"

/* rprop_f32/f64 */
#define OPTIM_BODY "optim/rprop.inc"
#include "optim/per_dtype.inc"

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
