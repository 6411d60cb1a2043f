/* functions.h: differentiable collectives, for layers whose forward needs the whole
 * global batch (SyncBatchNorm's statistics). */
#ifndef DLT_DIST_FUNCTIONS_H
#define DLT_DIST_FUNCTIONS_H

#include "core/tensor.h"

/* A new tensor: x summed over the ranks. Recorded by autograd when x requires grad;
 * its backward sums the incoming gradient over the ranks the same way (every rank's
 * loss depends on every rank's x). Every rank must call it, in the same order. */
dlt_tensor *dlt_dist_all_reduce_sum(const dlt_tensor *x);

#endif
