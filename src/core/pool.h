/* pool.h: pooling kernels (no graph) on contiguous float32/float64 planes: max, average
 * and adaptive average, forward and backward side by side. */
#ifndef DLT_CORE_POOL_H
#define DLT_CORE_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* One 2-D pooling window over B planes (N*C) of H x W giving OH x OW (1-D is H = KH = 1).
 * Window (oh, ow) covers rows oh*sh - ph + kh*dh, columns likewise. */
typedef struct dlt_pool_geom {
  int64_t B, H, W, OH, OW;
  int64_t KH, KW, sh, sw, ph, pw, dh, dw;
  bool count_include_pad; /* avg */
  int64_t divisor;        /* avg: divisor_override, 0 for none */
} dlt_pool_geom;

/* Output length of a pooling window as PyTorch computes it (ceil_mode: the last window may
 * start in the right padding but not past it); < 1 when the input is too small. */
int64_t dlt_pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode);

/* y (B,OH,OW) the max of each window (NaN wins, padding never does); idx (B,OH,OW) its
 * position in the plane (ih*W + iw), -1 for a window wholly in the padding (y is -inf) */
void dlt_maxpool_fwd(bool f32, void *y, int32_t *idx, const void *x, const dlt_pool_geom *g);
/* dx (B,H,W) = dy scattered to idx, overwritten */
void dlt_maxpool_bwd(bool f32, void *dx, const void *dy, const int32_t *idx, const dlt_pool_geom *g);
/* y = the mean of each window (PyTorch's divisor rules: count_include_pad, divisor) */
void dlt_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g);
void dlt_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g);
/* adaptive: window o spans [floor(o*H/OH), ceil((o+1)*H/OH)) (K, s, p unused) */
void dlt_adaptive_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g);
void dlt_adaptive_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g);

#endif
