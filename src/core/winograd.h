/* winograd.h: float32 3x3 convolutions with stride 1 and padding 1 by Winograd's
 * F(2x2,3x3) or, from 512 channel pairs (in x out) on, F(4x4,3x3): forward, input
 * gradient and weight gradient, 2.25x or up to 4x fewer multiply-adds. */
#ifndef DLT_CORE_WINOGRAD_H
#define DLT_CORE_WINOGRAD_H

#include <stdbool.h>

#include "core/conv.h"

/* true for the convolutions these kernels serve: float32, 3x3, stride and dilation 1,
 * padding 1 (the output as large as the input), one group, at least 4 channels on both
 * sides (with one input channel the 16 products are outer products, and the direct sum
 * is 1.7x faster; from 4 channels on, measured down to 4 -> 4, Winograd is faster), on
 * planes of at most 2^25 2x2 tiles */
bool dlt_winograd_applies(bool f32, const dlt_conv_geom *g);
/* as dlt_conv_fwd, dlt_conv_bwd_data and dlt_conv_bwd_weight (without the bias gradient)
 * for float32 where dlt_winograd_applies; 0, -1 with the error set, or 1 when a result
 * is not finite (an inf or NaN among the inputs, or an overflow in the transforms): its
 * transforms mix a tile's values, so an inf would be NaN over a whole tile where the
 * direct sum keeps it to the outputs it touches. Then the caller computes the result
 * again on the direct path; the weight gradient leaves dw untouched. */
int dlt_winograd_fwd(float *y, const float *x, const float *w, const float *b, const dlt_conv_geom *g);
int dlt_winograd_bwd_data(float *dx, const float *dy, const float *w, const float *b, const dlt_conv_geom *g);
int dlt_winograd_bwd_weight(float *dw, const float *dy, const float *x, const dlt_conv_geom *g);

#endif
