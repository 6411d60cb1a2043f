/* conv.c: convolution by im2col and OpenBLAS GEMMs (bodies in conv.inc, once per type).
 * With two threads set (dlt.num_threads) a batch is split between the caller and the
 * helper thread of core/worker.c, each with its own patch buffer; the helper's weight
 * gradient goes to a buffer of its own that the caller adds after both are done. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/conv.h"
#include "core/ops.h"
#include "core/scratch.h"
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "core/winograd.h"
#include "core/worker.h"

/* 1x1 kernels with stride 1 and no padding read the image as the patch matrix itself */
static bool is_pointwise(const dlt_conv_geom *g) {
  return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 && g->OH == g->H &&
         g->OW == g->W;
}

/* C (m x n) = alpha op(A) op(B) + beta C, row-major. On a split batch each thread calls
 * single-threaded OpenBLAS itself; otherwise core/blas.c chooses the threads. */
static void gemm(bool f32, bool split, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a, int64_t lda,
                 const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (!split) {
    dlt_gemm_rows(f32, ta, tb, (int)m, (int)n, (int)k, 1, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    return;
  }
  enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if (f32)
    cblas_sgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1, a, (int)lda, b, (int)ldb, (float)beta, c, (int)ldc);
  else
    cblas_dgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

#define R float
#define S(name) name##_f32
#include "core/conv.inc"
#undef R
#undef S
#define R double
#define S(name) name##_f64
#include "core/conv.inc"
#undef R
#undef S

/* The patch buffers, one per thread of a split batch */
static dlt_scratch scratch[2];

static void *get_scratch(int k, size_t bytes) { return dlt_scratch_get(&scratch[k], bytes); }

/* a thread's scratch: the patches of one sample's group (K, P), kept in cache between
 * im2col and the GEMM that reads them (conv2 of the shared CNN: 288 x 196, 225 KB) */
static size_t col_bytes(bool f32, const dlt_conv_geom *g) {
  size_t es = f32 ? sizeof(float) : sizeof(double);
  if (is_pointwise(g)) return 0;
  return es * (size_t)(g->OH * g->OW) * (size_t)(g->C / g->G * g->KH * g->KW);
}

/* Split the batch when two threads are set and each half has at least ~0.5M multiply-adds
 * (below that, waking the helper costs more than it saves). */
static bool want_split(const dlt_conv_geom *g) {
  double macs = (double)g->N * g->OC * g->OH * g->OW * (g->C / g->G) * g->KH * g->KW;
  return dlt_blas_num_threads() > 1 && g->N >= 2 && macs >= 1e6;
}

typedef enum { JOB_FWD,
               JOB_BWD_DATA,
               JOB_BWD_WEIGHT } job_kind;

typedef struct {
  job_kind kind;
  bool f32, split;
  void *out, *out2;       /* y / dx / dw, and db */
  const void *in, *w, *b; /* x or dy, the weight, the bias */
  const void *x;          /* bwd_weight's image */
  const dlt_conv_geom *g;
  int64_t n0, n1;
  void *col;
} conv_job;

static void run_job(void *p) {
  conv_job *j = p;
  const dlt_conv_geom *g = j->g;
  if (j->n0 >= j->n1) return;
  switch (j->kind) {
  case JOB_FWD:
    if (j->f32) conv_fwd_f32(j->out, j->in, j->w, j->b, g, j->n0, j->n1, j->col, j->split);
    else conv_fwd_f64(j->out, j->in, j->w, j->b, g, j->n0, j->n1, j->col, j->split);
    break;
  case JOB_BWD_DATA:
    if (j->f32) conv_bwd_data_f32(j->out, j->in, j->w, j->b, g, j->n0, j->n1, j->col, j->split);
    else conv_bwd_data_f64(j->out, j->in, j->w, j->b, g, j->n0, j->n1, j->col, j->split);
    break;
  case JOB_BWD_WEIGHT:
    if (j->f32) conv_bwd_weight_f32(j->out, j->out2, j->in, j->x, g, j->n0, j->n1, j->col, j->split);
    else conv_bwd_weight_f64(j->out, j->out2, j->in, j->x, g, j->n0, j->n1, j->col, j->split);
    break;
  }
}

/* runs job over the whole batch, split over two threads when worth it; extra_bytes of
 * the helper's scratch follow its patch buffer (bwd_weight's private sums) */
static int run(conv_job *job, size_t extra_bytes, void **extra) {
  const dlt_conv_geom *g = job->g;
  /* a bias gradient alone (after Winograd's weight gradient) reads no patches */
  size_t cb = job->kind == JOB_BWD_WEIGHT && !job->out ? 0 : col_bytes(job->f32, g);
  bool split = want_split(g);
  job->n0 = 0;
  job->n1 = g->N;
  job->split = split;
  if (!(job->col = get_scratch(0, cb))) return -1;
  if (!split) {
    run_job(job);
    return 0;
  }
  size_t cb_al = (cb + 63) / 64 * 64;
  void *s1 = get_scratch(1, cb_al + extra_bytes);
  if (!s1) return -1;
  conv_job lo = *job;
  lo.n0 = g->N / 2; /* the helper takes the upper half of the batch */
  job->n1 = lo.n0;
  lo.col = s1;
  if (extra) {
    *extra = (char *)s1 + cb_al;
    memset(*extra, 0, extra_bytes);
  }
  if (extra_bytes) { /* bwd_weight: the helper sums into its own dw (then db) */
    size_t es = job->f32 ? sizeof(float) : sizeof(double);
    int64_t nw = g->OC * (g->C / g->G) * g->KH * g->KW;
    lo.out = job->out ? *extra : NULL;
    lo.out2 = job->out2 ? (char *)*extra + es * (size_t)nw : NULL;
  }
  dlt_worker_run2(run_job, &lo, job);
  return 0;
}

/* Winograd's result stands unless it returned 1 (an output that is not finite): then
 * the direct path below computes it again, as PyTorch, whose inf stays an inf of the
 * pixels it touches where Winograd's transforms would spread NaN over a tile */
int dlt_conv_fwd(bool f32, void *y, const void *x, const void *w, const void *b, const dlt_conv_geom *g) {
  int rc = dlt_winograd_applies(f32, g) ? dlt_winograd_fwd(y, x, w, b, g) : 1;
  if (rc <= 0) return rc;
  conv_job j = {.kind = JOB_FWD, .f32 = f32, .out = y, .in = x, .w = w, .b = b, .g = g};
  return run(&j, 0, NULL);
}

int dlt_conv_bwd_data(bool f32, void *dx, const void *dy, const void *w, const void *b, const dlt_conv_geom *g) {
  int rc = dlt_winograd_applies(f32, g) ? dlt_winograd_bwd_data(dx, dy, w, b, g) : 1;
  if (rc <= 0) return rc;
  conv_job j = {.kind = JOB_BWD_DATA, .f32 = f32, .out = dx, .in = dy, .w = w, .b = b, .g = g};
  return run(&j, 0, NULL);
}

int dlt_conv_bwd_weight(bool f32, void *dw, void *db, const void *dy, const void *x, const dlt_conv_geom *g) {
  int rc = dw && dlt_winograd_applies(f32, g) ? dlt_winograd_bwd_weight(dw, dy, x, g) : 1;
  if (rc < 0) return -1;
  if (rc == 0) { /* then the bias gradient alone below */
    if (!db) return 0;
    dw = NULL;
  }
  conv_job j = {.kind = JOB_BWD_WEIGHT, .f32 = f32, .out = dw, .out2 = db, .in = dy, .x = x, .g = g};
  size_t es = f32 ? sizeof(float) : sizeof(double);
  int64_t nw = g->OC * (g->C / g->G) * g->KH * g->KW;
  void *extra = NULL;
  if (run(&j, es * (size_t)(nw + g->OC), &extra)) return -1;
  if (!j.split) return 0;
  /* the helper's partial sums, added once both halves are done */
  if (f32) {
    float *a = extra, *ow = dw, *ob = db;
    for (int64_t i = 0; ow && i < nw; i++) ow[i] += a[i];
    for (int64_t i = 0; ob && i < g->OC; i++) ob[i] += a[nw + i];
  } else {
    double *a = extra, *ow = dw, *ob = db;
    for (int64_t i = 0; ow && i < nw; i++) ow[i] += a[i];
    for (int64_t i = 0; ob && i < g->OC; i++) ob[i] += a[nw + i];
  }
  return 0;
}

void dlt_conv_bias_bwd(bool f32, void *db, const void *dy, int64_t N, int64_t C, int64_t L) {
  if (f32) bias_bwd_f32(db, dy, N, C, L);
  else bias_bwd_f64(db, dy, N, C, L);
}
