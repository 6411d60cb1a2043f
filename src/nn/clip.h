/* clip.h: nn.utils.clip_grad_norm_ and clip_grad_value_ over the .grad of parameters
 * (parameters without a gradient are skipped, as in PyTorch). */
#ifndef DLT_NN_CLIP_H
#define DLT_NN_CLIP_H

#include "core/tensor.h"

/* Scales every gradient by max_norm / (total + 1e-6) when that is below 1, where *total
 * is the norm_type-norm (INFINITY for max) of all gradients together. Returns 0, or -1
 * with an error (with error_if_nonfinite, when the total is not finite). */
int dlt_clip_grad_norm(dlt_tensor *const *params, int n, double max_norm, double norm_type, bool error_if_nonfinite,
                       double *total);
/* Clamps every gradient element into [-clip, clip]. */
int dlt_clip_grad_value(dlt_tensor *const *params, int n, double clip);

#endif
