/* functions_common.h (internal to src/autograd): helpers shared by the functions_*.c
 * files: finishing a recorded op, bringing gradients back to an input's shape and dtype,
 * and the flat elementwise loop the backward formulas are written with. */
#ifndef DLT_FUNCTIONS_COMMON_H
#define DLT_FUNCTIONS_COMMON_H

#include "autograd/functions.h"

/* true when backward must produce a gradient for input i */
static inline bool dlt_agi_wants(const dlt_node *n, int i) { return n->next[i].node || n->next[i].leaf; }

/* Attaches n (may be NULL) to out and runs the forward anomaly check naming fwd.
 * Consumes n; on failure releases out and returns NULL. */
dlt_tensor *dlt_agi_finish(dlt_tensor *out, dlt_node *n, const char *fwd);

/* Saves t in n, storing its slot in *slot (a field of the op's context, -1 while not
 * saved). Returns 0 or -1. */
int dlt_agi_save(dlt_node *n, int *slot, const dlt_tensor *t);
/* The tensor saved in slot, version-checked (NULL with the error set; an error too when
 * slot is -1). */
const dlt_tensor *dlt_agi_saved(dlt_node *n, int slot);
/* *t = the tensor in slot, or NULL when slot is -1 (nothing was saved there). Returns 0,
 * or -1 with the error set when the saved tensor was freed or modified. */
int dlt_agi_saved_opt(dlt_node *n, int slot, const dlt_tensor **t);

/* g summed down to input i's recorded shape and cast to its dtype. Consumes g (which may
 * be NULL after a failed computation, giving NULL). */
dlt_tensor *dlt_agi_to_input(dlt_node *n, int i, dlt_tensor *g);

/* The gradient of a reduction over dim (DLT_ALLDIMS: all) of input i, expanded back to
 * the input's shape (a stride-0 view). */
dlt_tensor *dlt_agi_unreduce(const dlt_node *n, int i, const dlt_tensor *g, int dim, bool keepdim);

/* number of elements of input i reduced into each output element */
int64_t dlt_agi_reduced_count(const dlt_node *n, int i, int dim);

/* out[k] = f(g[k], x[k], y[k], p) over g's shape, x and y (either may be NULL) broadcast
 * to it; computed in double, stored in dtype. */
typedef double (*dlt_agi_fn)(double g, double x, double y, const double *p);
dlt_tensor *dlt_agi_map(dlt_agi_fn f, const double *p, const dlt_tensor *g, const dlt_tensor *x,
                        const dlt_tensor *y, dlt_dtype dtype);

#endif
