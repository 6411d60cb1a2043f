/* conv.h: convolution kernels (no graph) on contiguous float32/float64 arrays: forward,
 * input gradient and weight gradient side by side, by im2col and OpenBLAS GEMMs. */
#ifndef DLT_CORE_CONV_H
#define DLT_CORE_CONV_H

#include <stdbool.h>
#include <stdint.h>

/* One 2-D convolution (1-D is H = KH = 1). The image side is a convolution's input and a
 * transposed convolution's output; the patch side the other. Weight is (OC, C/G, KH, KW).
 * Patch (oh, ow) reads image rows oh*sh - ph + kh*dh and columns ow*sw - pw + kw*dw;
 * reads outside the image are zeros (so padding below/right is implied by OH, OW). */
typedef struct dlt_conv_geom {
  int64_t N, C, H, W; /* image: x is (N,C,H,W) */
  int64_t OC, OH, OW; /* patches: y is (N,OC,OH,OW) */
  int64_t KH, KW, sh, sw, ph, pw, dh, dw, G;
} dlt_conv_geom;

/* y (N,OC,OH,OW) = conv(x, w) + b; b (OC) may be NULL. f32 selects float, else double.
 * Returns 0, or -1 with the error set when scratch memory cannot be had. */
int dlt_conv_fwd(bool f32, void *y, const void *x, const void *w, const void *b, const dlt_conv_geom *g);
/* dx (N,C,H,W) = the adjoint of conv applied to dy (N,OC,OH,OW), overwritten; then b (C),
 * when given, is added per image channel (a transposed convolution's bias). */
int dlt_conv_bwd_data(bool f32, void *dx, const void *dy, const void *w, const void *b, const dlt_conv_geom *g);
/* dw (OC,C/G,KH,KW) += dy (x) x patches; db (OC) += dy summed over N, OH, OW; either NULL */
int dlt_conv_bwd_weight(bool f32, void *dw, void *db, const void *dy, const void *x, const dlt_conv_geom *g);
/* db (C) += dy (N,C,L) summed over N and L */
void dlt_conv_bias_bwd(bool f32, void *db, const void *dy, int64_t N, int64_t C, int64_t L);

#endif
