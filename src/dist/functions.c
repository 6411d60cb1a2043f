/* functions.c: differentiable all_reduce (sum), as torch.distributed.nn.all_reduce:
 * y = sum_r x_r on every rank, and dL/dx_r = sum_r' dL_r'/dy, one more sum in backward. */
#include <string.h>

#include "autograd/node.h"
#include "core/ops.h"
#include "dist/comm.h"
#include "dist/functions.h"

/* a contiguous copy of t summed over the ranks */
static dlt_tensor *summed_copy(const char *fn, const dlt_tensor *t) {
  dlt_tensor *c = dlt_empty(t->ndim, t->shape, t->dtype);
  if (!c) return NULL;
  if (dlt_copy_(c, t) || dlt_comm_allreduce(fn, dlt_data(c), dlt_numel(c), c->dtype, DLT_REDUCE_SUM)) {
    dlt_release(c);
    return NULL;
  }
  return c;
}

/* gout is y's shape; gin[0] = gout summed over the ranks */
static int all_reduce_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  (void)n;
  gin[0] = summed_copy("all_reduce (backward)", gout);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_dist_all_reduce_sum(const dlt_tensor *x) {
  int64_t meta[2] = {dlt_numel(x), x->dtype};
  static const char *const what[2] = {"a tensor of numel", "dtype number"};
  if (dlt_comm_agree("all_reduce", what, meta, 2)) return NULL;
  dlt_tensor *y = summed_copy("all_reduce", x);
  if (!y) return NULL;
  int err;
  dlt_node *n = dlt_node_new("AllReduceBackward", all_reduce_backward, 1, &x, &err);
  if (err) {
    dlt_release(y);
    return NULL;
  }
  dlt_node_attach(n, y);
  return y;
}
