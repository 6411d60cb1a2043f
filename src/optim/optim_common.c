/* optim_common.c: what every update kernel shares: checking a parameter against its
 * gradient and state, state creation, and the rare strided (non-contiguous) case. */
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "optim/optim.h"

dlt_tensor *dlt_optim_state(const dlt_tensor *p, double v) {
  return dlt_full(p->ndim, p->shape, v, p->dtype);
}

/* Copies between a strided tensor's elements and a packed buffer, in row-major order
 * (to_packed: tensor -> buf). An odometer over the multi-index: no recursion. */
static void strided_copy(const dlt_tensor *t, void *buf, bool to_packed) {
  size_t es = dlt_dtype_size(t->dtype);
  char *base = (char *)t->storage->data;
  int64_t idx[DLT_MAXDIM] = {0}, n = dlt_numel(t), off = t->offset;
  for (int64_t k = 0; k < n; k++) {
    char *e = base + (size_t)off * es, *b = (char *)buf + (size_t)k * es;
    if (to_packed) memcpy(b, e, es);
    else memcpy(e, b, es);
    for (int d = t->ndim - 1; d >= 0; d--) {
      off += t->stride[d];
      if (++idx[d] < t->shape[d]) break;
      off -= t->stride[d] * t->shape[d];
      idx[d] = 0;
    }
  }
}

static void *packed_copy(const dlt_tensor *t) {
  size_t bytes;
  if (!dlt_mul_size((size_t)dlt_numel(t), dlt_dtype_size(t->dtype), &bytes)) return NULL;
  void *buf = dlt_malloc(bytes ? bytes : 1);
  if (buf) strided_copy(t, buf, true);
  return buf;
}

static int check_like(const char *fn, const char *what, const dlt_tensor *p, const dlt_tensor *t) {
  char a[96], b[96];
  if (!dlt_same_shape(p, t))
    return dlt_failn("%s: %s of shape %s for a parameter of shape %s", fn, what,
                     dlt_shape_str(t, a, sizeof a), dlt_shape_str(p, b, sizeof b));
  if (t->dtype != p->dtype)
    return dlt_failn("%s: %s is %s but the parameter is %s", fn, what,
                     dlt_dtype_name(t->dtype), dlt_dtype_name(p->dtype));
  return 0;
}

int dlt_optim_check_step(const char *fn, int64_t step) {
  if (step < 1 || step > DLT_OPTIM_MAX_STEP)
    return dlt_failn("%s: step %lld is out of range [1, 2^53] (state 'step' set by hand?)", fn, (long long)step);
  return 0;
}

int dlt_optim_begin(const char *fn, dlt_tensor *p, const dlt_tensor *g,
                    dlt_tensor *const *state, int nstate, dlt_optim_io *io) {
  memset(io, 0, sizeof *io);
  if (!g) return dlt_failn("%s: the parameter has no gradient", fn);
  if (check_like(fn, "gradient", p, g) < 0) return -1;
  /* an expanded parameter would get every element's update written to one address */
  if (dlt_check_overlap(fn, p, NULL) < 0) return -1;
  for (int k = 0; k < nstate; k++) {
    if (!state[k]) continue;
    if (check_like(fn, "state", p, state[k]) < 0) return -1;
    if (!dlt_is_contiguous(state[k])) return dlt_failn("%s: state tensor is not contiguous", fn);
  }
  io->p = p;
  io->n = dlt_numel(p);
  if (dlt_is_contiguous(p)) io->pd = dlt_data(p);
  else if (!(io->pd = io->pscratch = packed_copy(p))) return -1;
  if (dlt_is_contiguous(g)) io->gd = dlt_data(g);
  else if (!(io->gd = io->gscratch = packed_copy(g))) {
    free(io->pscratch);
    return -1;
  }
  return 0;
}

void dlt_optim_end(dlt_optim_io *io) {
  if (io->pscratch) strided_copy(io->p, io->pscratch, false);
  free(io->pscratch);
  free(io->gscratch);
  io->pscratch = io->gscratch = NULL;
  dlt_bump_version(io->p);
}
