/* pool.c: max, average and adaptive average pooling over planes (bodies in pool.inc,
 * once per element type). */
#pragma GCC optimize("O3")

#include <math.h>
#include <string.h>

#include "core/pool.h"

#define R float
#define S(name) name##_f32
#include "core/pool.inc"
#undef R
#undef S
#define R double
#define S(name) name##_f64
#include "core/pool.inc"
#undef R
#undef S

/* out = floor((in + 2p - d(k-1) - 1 [+ s-1 with ceil_mode]) / s) + 1, less one when
 * ceil_mode's last window would start past the input and its left padding */
int64_t dlt_pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t span = in + 2 * p - d * (k - 1) - 1;
  if (span < 0) return 0;
  int64_t out = (span + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (out - 1) * s >= in + p) out--;
  return out;
}

void dlt_maxpool_fwd(bool f32, void *y, int32_t *idx, const void *x, const dlt_pool_geom *g) {
  if (f32) maxpool_fwd_f32(y, idx, x, g);
  else maxpool_fwd_f64(y, idx, x, g);
}

void dlt_maxpool_bwd(bool f32, void *dx, const void *dy, const int32_t *idx, const dlt_pool_geom *g) {
  if (f32) maxpool_bwd_f32(dx, dy, idx, g);
  else maxpool_bwd_f64(dx, dy, idx, g);
}

void dlt_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g) {
  if (f32) avgpool_fwd_f32(y, x, g);
  else avgpool_fwd_f64(y, x, g);
}

void dlt_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g) {
  if (f32) avgpool_bwd_f32(dx, dy, g);
  else avgpool_bwd_f64(dx, dy, g);
}

void dlt_adaptive_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g) {
  if (f32) adaptive_fwd_f32(y, x, g);
  else adaptive_fwd_f64(y, x, g);
}

void dlt_adaptive_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g) {
  if (f32) adaptive_bwd_f32(dx, dy, g);
  else adaptive_bwd_f64(dx, dy, g);
}
