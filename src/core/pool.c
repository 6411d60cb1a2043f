/* pool.c: max, average and adaptive average pooling over planes (bodies in pool.inc,
 * once per element type), split over two threads when two are set. */
#include <math.h>
#include <string.h>

#include "core/ops.h"
#include "core/pool.h"
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "core/worker.h"

/* lane lists for pool.inc's POOL_MAXN */
#define POOL_EVEN4 0, 2, 4, 6
#define POOL_ODD4 1, 3, 5, 7
#define POOL_ZERO4 0, 0, 0, 0
#define POOL_EVEN8 0, 2, 4, 6, 8, 10, 12, 14
#define POOL_ODD8 1, 3, 5, 7, 9, 11, 13, 15
#define POOL_ZERO8 0, 0, 0, 0, 0, 0, 0, 0

#define R float
#define RI int32_t /* an integer as wide as R, for masks */
#define S(name) name##_f32
#include "core/pool.inc"
#undef R
#undef RI
#undef S
#define R double
#define RI int64_t
#define S(name) name##_f64
#include "core/pool.inc"
#undef R
#undef RI
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

/* The planes are independent: with two threads set and enough of them, the helper
 * thread of core/worker.c takes the upper half of the planes. */
typedef enum { MAX_FWD,
               MAX_BWD,
               AVG_FWD,
               AVG_BWD,
               ADA_FWD,
               ADA_BWD } pool_kind;

typedef struct {
  pool_kind kind;
  bool f32;
  void *out;
  const void *in;
  int32_t *idx;
  dlt_pool_geom g; /* B is this part's plane count */
} pool_job;

static void run_pool(void *p) {
  pool_job *j = p;
  const dlt_pool_geom *g = &j->g;
  if (g->B == 0) return;
  switch (j->kind) {
  case MAX_FWD:
    if (j->f32) maxpool_fwd_f32(j->out, j->idx, j->in, g);
    else maxpool_fwd_f64(j->out, j->idx, j->in, g);
    break;
  case MAX_BWD:
    if (j->f32) maxpool_bwd_f32(j->out, j->in, j->idx, g);
    else maxpool_bwd_f64(j->out, j->in, j->idx, g);
    break;
  case AVG_FWD:
    if (j->f32) avgpool_fwd_f32(j->out, j->in, g);
    else avgpool_fwd_f64(j->out, j->in, g);
    break;
  case AVG_BWD:
    if (j->f32) avgpool_bwd_f32(j->out, j->in, g);
    else avgpool_bwd_f64(j->out, j->in, g);
    break;
  case ADA_FWD:
    if (j->f32) adaptive_fwd_f32(j->out, j->in, g);
    else adaptive_fwd_f64(j->out, j->in, g);
    break;
  case ADA_BWD:
    if (j->f32) adaptive_bwd_f32(j->out, j->in, g);
    else adaptive_bwd_f64(j->out, j->in, g);
    break;
  }
}

/* runs a kernel over all planes, split in two when worth it; fwd: out is the pooled side */
static void run(pool_kind kind, bool f32, void *out, const void *in, int32_t *idx, const dlt_pool_geom *g) {
  pool_job a = {kind, f32, out, in, idx, *g};
  bool fwd = kind == MAX_FWD || kind == AVG_FWD || kind == ADA_FWD;
  if (dlt_blas_num_threads() < 2 || g->B < 2 || g->B * g->H * g->W < (1 << 16)) {
    run_pool(&a);
    return;
  }
  size_t es = f32 ? sizeof(float) : sizeof(double);
  int64_t top = g->B / 2, HW = g->H * g->W, OP = g->OH * g->OW;
  int64_t out_per = fwd ? OP : HW, in_per = fwd ? HW : OP;
  pool_job b = a;
  a.g.B = top;
  b.g.B = g->B - top;
  b.out = (char *)out + es * (size_t)(top * out_per);
  b.in = (const char *)in + es * (size_t)(top * in_per);
  if (idx) b.idx = idx + top * OP;
  dlt_worker_run2(run_pool, &b, &a);
}

void dlt_maxpool_fwd(bool f32, void *y, int32_t *idx, const void *x, const dlt_pool_geom *g) {
  run(MAX_FWD, f32, y, x, idx, g);
}

void dlt_maxpool_bwd(bool f32, void *dx, const void *dy, const int32_t *idx, const dlt_pool_geom *g) {
  run(MAX_BWD, f32, dx, dy, (int32_t *)idx, g);
}

void dlt_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g) { run(AVG_FWD, f32, y, x, NULL, g); }
void dlt_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g) { run(AVG_BWD, f32, dx, dy, NULL, g); }
void dlt_adaptive_avgpool_fwd(bool f32, void *y, const void *x, const dlt_pool_geom *g) { run(ADA_FWD, f32, y, x, NULL, g); }
void dlt_adaptive_avgpool_bwd(bool f32, void *dx, const void *dy, const dlt_pool_geom *g) { run(ADA_BWD, f32, dx, dy, NULL, g); }
