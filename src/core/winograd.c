/* winograd.c: float32 3x3 convolutions with stride 1 and padding 1 by Winograd's F(2x2,3x3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 *
 * A 2x2 block of output is Y = A^T [(G g G^T) . (B^T d B)] A for its 4x4 input patch d and
 * 3x3 kernel g: 16 multiplies where the direct sum has 36. Summed over input channels, the
 * 16 elementwise products of the transformed tiles are 16 GEMMs (one per point xi of the
 * 4x4 transform), left to OpenBLAS:
 *
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 *
 * The input gradient is the same convolution of dy with the kernels turned by 180 degrees
 * and their channel axes swapped. The weight gradient differentiates the formula above:
 * dU = sum over tiles of (A dY A^T) . (B^T d B), then dg = G^T dU G. The coefficients are
 * 0, +-1 and +-1/2, so results differ from the direct sum by a few float32 roundings;
 * float64 keeps the direct path of conv.c, which the 1e-9 PyTorch fixtures check. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/ops.h"
#include "core/scratch.h"
#include "core/strided.h"
#include "core/winograd.h"
#include "core/worker.h"

enum { NX = 16,          /* points of the 4x4 transform */
       BLOCK_TILES = 64, /* tiles per block: the block's transformed tiles stay in L2 */
       VL = 8 /* tiles side by side in the vector loops */ };

bool dlt_winograd_applies(bool f32, const dlt_conv_geom *g) {
  return f32 && g->KH == 3 && g->KW == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->ph == 1 &&
         g->pw == 1 && g->OH == g->H && g->OW == g->W && g->G == 1 && g->C >= 4 && g->OC >= 4;
}

/* A plane's tiles: TH x TW of them, 2x2 output each (the last row or column of tiles
 * half outside the plane when H or W is odd); nb samples' tiles make a block of T, stored
 * ld = T + VL apart (the vector loops below write up to VL - 1 tiles past a row of them). */
typedef struct {
  int64_t H, W, TH, TW, T1, nb, T, ld;
  int64_t L; /* a row of input_tiles' split planes: TW + 1 */
} tiling;

static tiling tiling_of(int64_t H, int64_t W) {
  tiling q = {.H = H, .W = W, .TH = (H + 1) / 2, .TW = (W + 1) / 2};
  q.T1 = q.TH * q.TW;
  q.nb = q.T1 >= BLOCK_TILES ? 1 : BLOCK_TILES / q.T1;
  q.T = q.nb * q.T1;
  q.ld = q.T + VL;
  q.L = q.TW + 1;
  return q;
}

/* the transforms' scratch: two split planes of 2 x (TH+1) rows of L, or four arrays of
 * T1, each with VL floats of slack */
static int64_t plane_floats(const tiling *q) {
  int64_t a = 2 * (2 * (q->TH + 1) * q->L + VL), b = 4 * (q->T1 + VL);
  return a > b ? a : b;
}

/* eight floats in vector lanes (two SSE registers where AVX2 is missing), loaded and
 * stored unaligned */
typedef float v8 __attribute__((vector_size(32)));
#pragma GCC diagnostic ignored "-Wpsabi" /* always inlined: no call passes a v8 */
__attribute__((always_inline)) static inline v8 ld8(const float *p) {
  v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}
__attribute__((always_inline)) static inline void st8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

/* V[xi*ldx + c*ldc + t] = (B^T d B)[xi] for tile t of plane c of x (C,H,W), d its 4x4 patch
 * at rows 2i-1.. and columns 2j-1.. (zeros outside). The padded plane is split by row
 * and column parity (pe: even columns, po: odd; rows of L = TW+1, the odd rows QS after
 * the even), so that patch row k, column l of eight tiles side by side is one load; a
 * row of tiles goes VL at a time (what the last VL writes past it, the next row or
 * ld's slack takes). */
DLT_VEC_CLONES static void input_tiles(float *V, int64_t ldx, int64_t ldc, const float *x, int64_t C,
                                       const tiling *q, float *r) {
  int64_t H = q->H, W = q->W, TW = q->TW, L = q->L, QS = (q->TH + 1) * L, np = 2 * QS + VL;
  float *pe = r, *po = r + np;
  for (int64_t k = 2 * QS; k < np; k++) pe[k] = po[k] = 0; /* read past the plane, into unused lanes */
  for (int64_t c = 0; c < C; c++) {
    const float *xc = x + c * H * W;
    for (int64_t row = 0; row < 2 * q->TH + 2; row++) { /* padded row `row` is image row row-1 */
      float *e = pe + (row & 1) * QS + (row >> 1) * L, *o = po + (e - pe);
      const float *xr = xc + (row - 1) * W;
      if (row < 1 || row > H) {
        for (int64_t j = 0; j < L; j++) e[j] = o[j] = 0;
        continue;
      }
      e[0] = 0;
      o[0] = xr[0];
      for (int64_t j = 1; j < TW; j++) {
        e[j] = xr[2 * j - 1];
        o[j] = xr[2 * j];
      }
      e[TW] = 2 * TW - 1 < W ? xr[2 * TW - 1] : 0;
      o[TW] = 0;
    }
    for (int64_t i = 0; i < q->TH; i++)
      for (int64_t j0 = 0; j0 < TW; j0 += VL) {
        v8 d[4][4], u[4][4];
        for (int k = 0; k < 4; k++) { /* padded row 2i+k, columns 2j..2j+3 */
          int64_t at = (k & 1) * QS + (i + (k >> 1)) * L + j0;
          d[k][0] = ld8(pe + at), d[k][1] = ld8(po + at), d[k][2] = ld8(pe + at + 1), d[k][3] = ld8(po + at + 1);
        }
        for (int l = 0; l < 4; l++) { /* B^T over rows */
          u[0][l] = d[0][l] - d[2][l];
          u[1][l] = d[1][l] + d[2][l];
          u[2][l] = d[2][l] - d[1][l];
          u[3][l] = d[1][l] - d[3][l];
        }
        float *v = V + c * ldc + i * TW + j0;
        for (int m = 0; m < 4; m++) { /* B over columns */
          st8(v + (4 * m) * ldx, u[m][0] - u[m][2]);
          st8(v + (4 * m + 1) * ldx, u[m][1] + u[m][2]);
          st8(v + (4 * m + 2) * ldx, u[m][2] - u[m][1]);
          st8(v + (4 * m + 3) * ldx, u[m][1] - u[m][3]);
        }
      }
  }
}

/* y (CO,H,W) = A^T m A + b[o] for each tile t, m[xi] = M[xi*ldx + o*ldc + t]: the four
 * outputs of VL tiles at a time (s: four arrays of T1 and slack), then put in place */
DLT_VEC_CLONES static void output_tiles(float *y, const float *M, int64_t ldx, int64_t ldc, const float *b,
                                        int64_t CO, const tiling *q, float *s) {
  int64_t H = q->H, W = q->W, TW = q->TW, T1 = q->T1, S = T1 + VL, jn = W / 2; /* jn tiles whole across */
  float *y00 = s, *y01 = s + S, *y10 = s + 2 * S, *y11 = s + 3 * S;
  for (int64_t o = 0; o < CO; o++) {
    v8 bo = {0};
    bo += b ? b[o] : 0;
    const float *m = M + o * ldc;
    for (int64_t t = 0; t < T1; t += VL) {
      v8 a[4], e[4];
      for (int l = 0; l < 4; l++) { /* A^T over rows */
        v8 m0 = ld8(m + l * ldx + t), m1 = ld8(m + (4 + l) * ldx + t), m2 = ld8(m + (8 + l) * ldx + t),
           m3 = ld8(m + (12 + l) * ldx + t);
        a[l] = m0 + m1 + m2;
        e[l] = m1 - m2 - m3;
      }
      st8(y00 + t, a[0] + a[1] + a[2] + bo); /* A over columns */
      st8(y01 + t, a[1] - a[2] - a[3] + bo);
      st8(y10 + t, e[0] + e[1] + e[2] + bo);
      st8(y11 + t, e[1] - e[2] - e[3] + bo);
    }
    float *yo = y + o * H * W;
    for (int64_t i = 0; i < q->TH; i++) {
      float *r0 = yo + 2 * i * W, *r1 = r0 + W;
      const float *p = y00 + i * TW, *pq = y01 + i * TW, *c = y10 + i * TW, *d = y11 + i * TW;
      for (int64_t j = 0; j < jn; j++) r0[2 * j] = p[j], r0[2 * j + 1] = pq[j];
      if (jn < TW) r0[2 * jn] = p[jn];
      if (2 * i + 1 >= H) continue;
      for (int64_t j = 0; j < jn; j++) r1[2 * j] = c[j], r1[2 * j + 1] = d[j];
      if (jn < TW) r1[2 * jn] = c[jn];
    }
  }
}

/* Z[xi*ldx + o*ldc + t] = (A D A^T)[xi] for the 2x2 block D of plane o of dy (OC,H,W) at
 * tile t (zeros past an odd edge), A = [1 0; 1 1; 1 -1; 0 -1]: the blocks' four corners
 * gathered into arrays of T1 (s, with slack), then VL tiles at a time (what the last VL
 * writes past T1, the next sample or ld's slack takes) */
DLT_VEC_CLONES static void grad_tiles(float *Z, int64_t ldx, int64_t ldc, const float *dy, int64_t OC,
                                      const tiling *q, float *s) {
  int64_t H = q->H, W = q->W, TW = q->TW, T1 = q->T1, S = T1 + VL, jn = W / 2;
  float *a = s, *b = s + S, *c = s + 2 * S, *e = s + 3 * S;
  for (int64_t k = T1; k < S; k++) a[k] = b[k] = c[k] = e[k] = 0; /* read into unused lanes */
  for (int64_t o = 0; o < OC; o++) {
    for (int64_t i = 0; i < q->TH; i++) {
      const float *r0 = dy + (o * H + 2 * i) * W, *r1 = 2 * i + 1 < H ? r0 + W : NULL;
      float *ai = a + i * TW, *bi = b + i * TW, *ci = c + i * TW, *ei = e + i * TW;
      for (int64_t j = 0; j < jn; j++) ai[j] = r0[2 * j], bi[j] = r0[2 * j + 1];
      for (int64_t j = 0; j < jn; j++) ci[j] = r1 ? r1[2 * j] : 0, ei[j] = r1 ? r1[2 * j + 1] : 0;
      if (jn < TW) ai[jn] = r0[2 * jn], ci[jn] = r1 ? r1[2 * jn] : 0, bi[jn] = ei[jn] = 0;
    }
    float *z = Z + o * ldc;
    for (int64_t t = 0; t < T1; t += VL) {
      v8 at = ld8(a + t), bt = ld8(b + t), ct = ld8(c + t), et = ld8(e + t);
      v8 p[4] = {at, at + ct, at - ct, -ct}, r[4] = {bt, bt + et, bt - et, -et}; /* A over rows */
      for (int k = 0; k < 4; k++) {                                              /* A over columns */
        st8(z + (4 * k) * ldx + t, p[k]);
        st8(z + (4 * k + 1) * ldx + t, p[k] + r[k]);
        st8(z + (4 * k + 2) * ldx + t, p[k] - r[k]);
        st8(z + (4 * k + 3) * ldx + t, -r[k]);
      }
    }
  }
}

/* U[xi][o][c] = (G g G^T)[xi] for the kernels g = w[o][c] of w (OC,C,3,3), in double and
 * rounded once. flip: the input gradient's kernels, g[a][b] = w[o][c][2-a][2-b] stored as
 * U[xi][c][o] (a convolution from OC channels to C). */
static void weight_tiles(float *U, const float *w, int64_t OC, int64_t C, bool flip) {
  for (int64_t o = 0; o < OC; o++)
    for (int64_t c = 0; c < C; c++) {
      const float *k = w + (o * C + c) * 9;
      double g[3][3], t[4][3];
      for (int a = 0; a < 3; a++)
        for (int e = 0; e < 3; e++) g[a][e] = flip ? k[(2 - a) * 3 + 2 - e] : k[a * 3 + e];
      for (int e = 0; e < 3; e++) {
        t[0][e] = g[0][e];
        t[1][e] = 0.5 * (g[0][e] + g[1][e] + g[2][e]);
        t[2][e] = 0.5 * (g[0][e] - g[1][e] + g[2][e]);
        t[3][e] = g[2][e];
      }
      float *u = U + (flip ? c * OC + o : o * C + c);
      int64_t ld = OC * C;
      for (int p = 0; p < 4; p++) {
        u[(4 * p) * ld] = (float)t[p][0];
        u[(4 * p + 1) * ld] = (float)(0.5 * (t[p][0] + t[p][1] + t[p][2]));
        u[(4 * p + 2) * ld] = (float)(0.5 * (t[p][0] - t[p][1] + t[p][2]));
        u[(4 * p + 3) * ld] = (float)t[p][2];
      }
    }
}

/* dw[o][c] += G^T dU[o][c] G (3x3 from 4x4), dU (16, OC, C) */
static void weight_grad(float *dw, const float *dU, int64_t OC, int64_t C) {
  int64_t ld = OC * C;
  for (int64_t o = 0; o < OC; o++)
    for (int64_t c = 0; c < C; c++) {
      double x[4][4], t[3][4];
      for (int xi = 0; xi < NX; xi++) x[xi / 4][xi % 4] = dU[xi * ld + o * C + c];
      for (int l = 0; l < 4; l++) {
        t[0][l] = x[0][l] + 0.5 * (x[1][l] + x[2][l]);
        t[1][l] = 0.5 * (x[1][l] - x[2][l]);
        t[2][l] = 0.5 * (x[1][l] + x[2][l]) + x[3][l];
      }
      float *d = dw + (o * C + c) * 9;
      for (int a = 0; a < 3; a++) {
        d[a * 3] += (float)(t[a][0] + 0.5 * (t[a][1] + t[a][2]));
        d[a * 3 + 1] += (float)(0.5 * (t[a][1] - t[a][2]));
        d[a * 3 + 2] += (float)(0.5 * (t[a][1] + t[a][2]) + t[a][3]);
      }
    }
}

/* One thread's share of a call: samples n0..n1-1, block by block */
typedef struct {
  bool grad;              /* the weight gradient, else a convolution */
  float *out;             /* y (N,CO,H,W), or the thread's dU (16,CO,CI) */
  const float *in, *dy;   /* the convolution's input (N,CI,H,W); the weight gradient's dy */
  const float *U, *b;     /* transformed kernels (16,CO,CI), bias (CO) or NULL */
  int64_t CI, CO, n0, n1; /* channels in and out; for the weight gradient CO is dy's */
  tiling q;
  float *V, *M, *planes; /* transformed inputs (16,CI,T), products or dy tiles (16,CO,T), the transforms' planes */
} wjob;

static void run_block(wjob *j, int64_t n0, int64_t nn) {
  const tiling *q = &j->q;
  int64_t HW = q->H * q->W, ld = q->ld, Tn = nn * q->T1;
  for (int64_t s = 0; s < nn; s++) /* in order: a sample's overrun is the next one's to write */
    input_tiles(j->V + s * q->T1, j->CI * ld, ld, j->in + (n0 + s) * j->CI * HW, j->CI, q, j->planes);
  if (j->grad) {
    for (int64_t s = 0; s < nn; s++)
      grad_tiles(j->M + s * q->T1, j->CO * ld, ld, j->dy + (n0 + s) * j->CO * HW, j->CO, q, j->planes);
    for (int xi = 0; xi < NX; xi++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->CO, (int)j->CI, (int)Tn, 1, j->M + xi * j->CO * ld,
                  (int)ld, j->V + xi * j->CI * ld, (int)ld, 1, j->out + xi * j->CO * j->CI, (int)j->CI);
    return;
  }
  for (int xi = 0; xi < NX; xi++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)j->CO, (int)Tn, (int)j->CI, 1, j->U + xi * j->CO * j->CI,
                (int)j->CI, j->V + xi * j->CI * ld, (int)ld, 0, j->M + xi * j->CO * ld, (int)ld);
  for (int64_t s = 0; s < nn; s++)
    output_tiles(j->out + (n0 + s) * j->CO * HW, j->M + s * q->T1, j->CO * ld, ld, j->b, j->CO, q, j->planes);
}

static void run_job(void *p) {
  wjob *j = p;
  if (j->grad) memset(j->out, 0, sizeof(float) * (size_t)(NX * j->CO * j->CI));
  for (int64_t n = j->n0; n < j->n1; n += j->q.nb) run_block(j, n, j->n1 - n < j->q.nb ? j->n1 - n : j->q.nb);
}

/* Scratch: 0 the transformed kernels or the caller's dU; 1 and 2 each thread's tiles and
 * planes (and the helper's dU) */
static dlt_scratch scratch[3];

static float *get_scratch(int k, size_t floats) { return dlt_scratch_get(&scratch[k], sizeof(float) * floats); }

/* a thread's tiles: V (16,CI,ld), M (16,CO,ld), the transforms' planes, and extra floats */
static int thread_scratch(wjob *j, int k, size_t extra, float **ex) {
  size_t v = (size_t)(NX * j->CI * j->q.ld), m = (size_t)(NX * j->CO * j->q.ld), r = (size_t)plane_floats(&j->q);
  float *p = get_scratch(k, v + m + r + extra);
  if (!p) return -1;
  j->V = p;
  j->M = p + v;
  j->planes = p + v + m;
  if (ex) *ex = p + v + m + r;
  return 0;
}

/* runs job over N samples, the upper half on the helper thread when two threads are set;
 * the helper's dU (weight gradient) goes to *helper_dU */
static int run(wjob *job, int64_t N, float **helper_dU) {
  size_t du = job->grad ? (size_t)(NX * job->CO * job->CI) : 0;
  job->n0 = 0;
  job->n1 = N;
  if (thread_scratch(job, 1, 0, NULL)) return -1;
  if (dlt_blas_num_threads() < 2 || N < 2) {
    run_job(job);
    return 0;
  }
  wjob hi = *job;
  if (thread_scratch(&hi, 2, du, helper_dU)) return -1;
  hi.n0 = job->n1 = N / 2;
  if (job->grad) hi.out = *helper_dU;
  dlt_worker_run2(run_job, &hi, job);
  return 0;
}

static int conv(float *y, const float *x, const float *w, const float *b, int64_t N, int64_t CI, int64_t CO,
                int64_t H, int64_t W, bool flip) {
  float *U = get_scratch(0, (size_t)(NX * CO * CI));
  if (!U) return -1;
  /* flip: w is (CI,CO,3,3), the forward's weight of a convolution from CO to CI channels */
  if (flip) weight_tiles(U, w, CI, CO, true);
  else weight_tiles(U, w, CO, CI, false);
  wjob j = {.out = y, .in = x, .U = U, .b = b, .CI = CI, .CO = CO, .q = tiling_of(H, W)};
  return run(&j, N, NULL);
}

int dlt_winograd_fwd(float *y, const float *x, const float *w, const float *b, const dlt_conv_geom *g) {
  return conv(y, x, w, b, g->N, g->C, g->OC, g->H, g->W, false);
}

int dlt_winograd_bwd_data(float *dx, const float *dy, const float *w, const float *b, const dlt_conv_geom *g) {
  return conv(dx, dy, w, b, g->N, g->OC, g->C, g->H, g->W, true);
}

int dlt_winograd_bwd_weight(float *dw, const float *dy, const float *x, const dlt_conv_geom *g) {
  float *dU = get_scratch(0, (size_t)(NX * g->OC * g->C)), *helper = NULL;
  if (!dU) return -1;
  wjob j = {.grad = true, .out = dU, .in = x, .dy = dy, .CI = g->C, .CO = g->OC, .q = tiling_of(g->H, g->W)};
  if (run(&j, g->N, &helper)) return -1;
  for (int64_t i = 0; helper && i < NX * g->OC * g->C; i++) dU[i] += helper[i];
  weight_grad(dw, dU, g->OC, g->C);
  return 0;
}
