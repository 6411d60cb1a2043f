/* gradcheck.h: checks the analytic gradients of a function of tensors against central
 * finite differences in float64, as torch.autograd.gradcheck. */
#ifndef DLT_GRADCHECK_H
#define DLT_GRADCHECK_H

#include "core/tensor.h"

/* The function under test: returns a new reference to its output, or NULL with
 * dlt_error() set (a Lua callback that raised), which makes the check fail cleanly. */
typedef dlt_tensor *(*dlt_gradcheck_fn)(void *ud, dlt_tensor *const *inputs, int n);

typedef struct {
  double eps;        /* finite-difference step, 1e-6 */
  double atol, rtol; /* |analytic - numeric| <= atol + rtol |numeric|: 1e-5, 1e-3 */
  bool per_element;  /* compare the full Jacobian (each output element) instead of
                          the gradient of sum(output * random weights) */
} dlt_gradcheck_opts;

void dlt_gradcheck_defaults(dlt_gradcheck_opts *o);

/* Runs fn on float64 copies of inputs (those with requires_grad are checked). Returns 0,
 * or -1 with dlt_error() naming the input (1-based), the worst element (1-based index)
 * and both values. opts may be NULL for the defaults. Grad mode is restored on return. */
int dlt_gradcheck(dlt_gradcheck_fn fn, void *ud, dlt_tensor *const *inputs, int n, const dlt_gradcheck_opts *opts);

#endif
