/* reducer.h: DistributedDataParallel's gradient reducer: the parameters grouped into
 * buckets (last parameter first, as gradients arrive), each bucket summed across the
 * ranks (by a nonblocking MPI call as soon as all its gradients are final during
 * backward, or through shared memory when the backward ends if the ranks share one
 * machine), then averaged into .grad when the backward ends. */
#ifndef DLT_DIST_REDUCER_H
#define DLT_DIST_REDUCER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tensor.h"

typedef struct dlt_reducer dlt_reducer;

/* Buckets of at most cap bytes (the first, summed earliest, of first_cap) over the n
 * parameters (retained). overlap false sums every bucket when the backward ends. */
dlt_reducer *dlt_reducer_new(dlt_tensor *const *params, int n, size_t first_cap, size_t cap, bool overlap);
void dlt_reducer_free(dlt_reducer *r);
/* The next backward averages the gradients (DDP's forward calls this unless no_sync). */
void dlt_reducer_prepare(dlt_reducer *r);
/* true from prepare until the backward that averages ends */
bool dlt_reducer_pending(const dlt_reducer *r);

/* for printing and tests */
int dlt_reducer_nbuckets(const dlt_reducer *r);
int dlt_reducer_nparams(const dlt_reducer *r);
/* the 0-based parameter indices of bucket b into idx (room for n), returning their count */
int dlt_reducer_bucket(const dlt_reducer *r, int b, int *idx);
/* true when the ranks sum through shared memory (all on one machine) */
bool dlt_reducer_shared(const dlt_reducer *r);
/* buckets whose sum started before the backward ended, over the run */
long dlt_reducer_early_launches(const dlt_reducer *r);

#endif
