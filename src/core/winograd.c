/* winograd.c: float32 3x3 convolutions with stride 1 and padding 1 by Winograd's
 * F(2x2,3x3) and F(4x4,3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016).
 *
 * An m x m block of output is Y = A^T [(G g G^T) . (B^T d B)] A for its (m+2)x(m+2) input
 * patch d and 3x3 kernel g: (m+2)^2 multiplies where the direct sum has 9m^2. Summed over
 * input channels, the elementwise products of the transformed tiles are (m+2)^2 GEMMs
 * (one per point xi of the transform), left to OpenBLAS. F(2x2,3x3):
 *
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 *
 * (F(4x4,3x3)'s matrices are with its code below.) The input gradient is the same
 * convolution of dy with the kernels turned by 180 degrees and their channel axes
 * swapped. The weight gradient differentiates the formula above: dU = sum over tiles of
 * (A dY A^T) . (B^T d B), then dg = G^T dU G. F(2x2)'s coefficients are 0, +-1 and +-1/2,
 * so its results differ from the direct sum by a few float32 roundings; F(4x4)'s reach
 * 8 and 1/24, and its errors are about ten times larger (a few 1e-6 of the largest
 * value). float64 keeps the direct path of conv.c, which the 1e-9 PyTorch fixtures check. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/ops.h"
#include "core/scratch.h"
#include "core/strided.h"
#include "core/winograd.h"
#include "core/worker.h"

enum { NX = 16,          /* points of F(2x2)'s 4x4 transform */
       BLOCK_TILES = 64, /* tiles per block: the block's transformed tiles stay in L2 */
       VL = 8 /* tiles side by side in the vector loops */ };

/* (a plane's F(2x2) tiles are bounded so that a GEMM's dimensions, (m+2)^2 times a
 * block's tiles, fit OpenBLAS's int: 2^25 of them is a plane of 8192 x 16384) */
bool dlt_winograd_applies(bool f32, const dlt_conv_geom *g) {
  return f32 && g->KH == 3 && g->KW == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->ph == 1 &&
         g->pw == 1 && g->OH == g->H && g->OW == g->W && g->G == 1 && g->C >= 4 && g->OC >= 4 &&
         ((g->H + 1) / 2) * ((g->W + 1) / 2) <= (1 << 25);
}

/* A plane's tiles: TH x TW of them, m x m output each (the last row or column of tiles
 * partly outside the plane when m does not divide H or W); nb samples' tiles make a
 * block of T, stored ld = T + VL apart (the vector loops below write up to VL - 1 tiles
 * past a row of them). */
typedef struct {
  int m, nx; /* output tile m x m: F(2x2,3x3) or F(4x4,3x3); nx = (m+2)^2 transform points */
  int64_t H, W, TH, TW, T1, nb, T, ld;
  int64_t L; /* a row of input_tiles' split planes: TW + 1 */
} tiling;

static tiling tiling_of(int64_t H, int64_t W, int m) {
  tiling q = {.m = m, .nx = (m + 2) * (m + 2), .H = H, .W = W, .TH = (H + m - 1) / m, .TW = (W + m - 1) / m};
  q.T1 = q.TH * q.TW;
  q.nb = q.T1 >= BLOCK_TILES ? 1 : BLOCK_TILES / q.T1;
  q.T = q.nb * q.T1;
  q.ld = q.T + VL;
  q.L = q.TW + 1;
  return q;
}

/* the transforms' scratch: for F(2x2) two split planes of 2 x (TH+1) rows of L, or four
 * arrays of T1, each with VL floats of slack; for F(4x4) C padded planes */
static int64_t plane_floats(const tiling *q, int64_t C) {
  if (q->m == 4) return C * (4 * q->TH + 4) * (4 * q->TW + 2) + VL;
  int64_t a = 2 * (2 * (q->TH + 1) * q->L + VL), b = 4 * (q->T1 + VL);
  return a > b ? a : b;
}

/* eight floats in vector lanes (two SSE registers where AVX2 is missing), loaded and
 * stored unaligned */
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
#pragma GCC diagnostic ignored "-Wpsabi" /* always inlined: no call passes a v8 */
__attribute__((always_inline)) static inline v8 ld8(const float *p) {
  v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}
__attribute__((always_inline)) static inline void st8(float *p, v8 v) { memcpy(p, &v, sizeof v); }
/* NaN if a lane is NaN, else the lanes' sum (0 for the transforms' flags) */
__attribute__((always_inline)) static inline float lane_or(v8 v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

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
 * outputs of VL tiles at a time (s: four arrays of T1 and slack), then put in place.
 * Returns 0, or NaN when an output is not finite (see dlt_winograd_fwd). */
DLT_VEC_CLONES static float output_tiles(float *y, const float *M, int64_t ldx, int64_t ldc, const float *b,
                                         int64_t CO, const tiling *q, float *s) {
  int64_t H = q->H, W = q->W, TW = q->TW, T1 = q->T1, S = T1 + VL, jn = W / 2; /* jn tiles whole across */
  float *y00 = s, *y01 = s + S, *y10 = s + 2 * S, *y11 = s + 3 * S;
  v8 bad = {0}; /* 0 while every output is finite: inf*0 and NaN*0 are NaN */
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
      v8 r[4] = {a[0] + a[1] + a[2] + bo, a[1] - a[2] - a[3] + bo, e[0] + e[1] + e[2] + bo, e[1] - e[2] - e[3] + bo};
      st8(y00 + t, r[0]); /* A over columns */
      st8(y01 + t, r[1]);
      st8(y10 + t, r[2]);
      st8(y11 + t, r[3]);
      bad += (r[0] + r[1] + r[2] + r[3]) * 0;
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
  return lane_or(bad);
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

/* F(4x4,3x3): a 4x4 block of output from its 6x6 input patch, 36 multiplies where the
 * direct sum has 144 (Lavin and Gray's matrices; the points 0, +-1, +-2 and infinity):
 *
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 *
 * Its vector loops take VL tiles in the order of the plane's tiles, across tile rows (a
 * 14x14 plane has rows of 4 tiles): each tile's rows are loaded or stored whole and
 * turned between tiles-in-rows and tiles-in-lanes by shuffles. The planes go through a
 * copy padded to whole tiles (P), so no tile needs a test at the edges. */
#define SHUF __builtin_shufflevector

/* o = B^T d over six values */
__attribute__((always_inline)) static inline void bt6(v8 *o, const v8 *d) {
  v8 f = d[4] - 4 * d[2], g = d[3] - 4 * d[1], h = d[4] - d[2], k = 2 * (d[3] - d[1]);
  o[0] = 4 * d[0] - 5 * d[2] + d[4];
  o[1] = f + g;
  o[2] = f - g;
  o[3] = h + k;
  o[4] = h - k;
  o[5] = 4 * d[1] - 5 * d[3] + d[5];
}

/* o = A^T m over six values (four out) */
__attribute__((always_inline)) static inline void at6(v8 *o, const v8 *m) {
  v8 s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
  o[0] = m[0] + s12 + s34;
  o[1] = d12 + 2 * d34;
  o[2] = s12 + 4 * s34;
  o[3] = d12 + 8 * d34 + m[5];
}

/* o = A d over four values (six out) */
__attribute__((always_inline)) static inline void a4(v8 *o, const v8 *d) {
  v8 p = d[0] + d[2], q = d[1] + d[3], r = d[0] + 4 * d[2], s = 2 * d[1] + 8 * d[3];
  o[0] = d[0];
  o[1] = p + q;
  o[2] = p - q;
  o[3] = r + s;
  o[4] = r - s;
  o[5] = d[3];
}

/* r[k] = the k-th values of a[0..7] (an 8x8 transpose); r[6], r[7] unused */
__attribute__((always_inline)) static inline void transpose8(v8 *r, const v8 *a) {
  v8 t[8], s[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = SHUF(a[k], a[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[k + 1] = SHUF(a[k], a[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int k = 0; k < 8; k += 4) {
    s[k] = SHUF(t[k], t[k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    s[k + 1] = SHUF(t[k], t[k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    s[k + 2] = SHUF(t[k + 1], t[k + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    s[k + 3] = SHUF(t[k + 1], t[k + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int k = 0; k < 4; k++) {
    r[k] = SHUF(s[k], s[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[k + 4] = SHUF(s[k], s[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

/* the 4x8 turn: a[k] holds tiles k and k+4 in its halves (four values each); r[s] the s-th
 * values of the 8 tiles in lanes; and back, with the same shuffles */
__attribute__((always_inline)) static inline void turn4(v8 *r, const v8 *a) {
  v8 t0 = SHUF(a[0], a[1], 0, 8, 1, 9, 4, 12, 5, 13), t1 = SHUF(a[0], a[1], 2, 10, 3, 11, 6, 14, 7, 15);
  v8 t2 = SHUF(a[2], a[3], 0, 8, 1, 9, 4, 12, 5, 13), t3 = SHUF(a[2], a[3], 2, 10, 3, 11, 6, 14, 7, 15);
  r[0] = SHUF(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
  r[1] = SHUF(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
  r[2] = SHUF(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
  r[3] = SHUF(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
}

/* off[u]: where tile t0+u starts in a plane of rows ld padded to whole tiles; lanes past
 * T1 read tile 0, and write to `spare` */
static void lane_offsets(int64_t *off, int64_t t0, const tiling *q, int64_t ld, int64_t spare) {
  int64_t i = t0 / q->TW, j = t0 % q->TW;
  for (int u = 0; u < VL; u++, j = j + 1 < q->TW ? j + 1 : (i++, 0))
    off[u] = t0 + u < q->T1 ? i * 4 * ld + j * 4 : spare;
}

/* n floats from s to d, without a call to memcpy for a few */
__attribute__((always_inline)) static inline void copy_row(float *d, const float *s, int64_t n) {
  int64_t k = 0;
  for (; k + VL <= n; k += VL) st8(d + k, ld8(s + k));
  if (k + 4 <= n) memcpy(d + k, s + k, 16), k += 4;
  if (k + 2 <= n) memcpy(d + k, s + k, 8), k += 2;
  if (k < n) d[k] = s[k];
}

/* a plane of H rows of W into P (rows of PW) at row r0, column 1, with zeros around
 * to PW columns and `rows` rows */
__attribute__((always_inline)) static inline void pad_plane(float *P, const float *x, int64_t H, int64_t W, int64_t PW,
                                                            int64_t r0, int64_t rows) {
  for (int64_t k = 0; k < r0 * PW; k++) P[k] = 0;
  for (int64_t r = 0; r < H; r++) {
    float *p = P + (r0 + r) * PW;
    p[0] = 0;
    copy_row(p + 1, x + r * W, W);
    for (int64_t k = W + 1; k < PW; k++) p[k] = 0;
  }
  for (int64_t k = (r0 + H) * PW; k < rows * PW; k++) P[k] = 0;
}

/* V[xi*ldx + c*ldc + t] = (B^T d B)[xi] for tile t of plane c of x (C,H,W), d its 6x6
 * patch at rows 4i-1.. and columns 4j-1.. of the plane padded with zeros. All C planes
 * go padded into P (rows of PW, a row of slack for the loads past the last patch's
 * right edge) before any is read: a load right after the stores it spans would wait for
 * them to retire. */
DLT_VEC_CLONES static void input_tiles4(float *V, int64_t ldx, int64_t ldc, const float *x, int64_t C,
                                        const tiling *q, float *P) {
  int64_t H = q->H, W = q->W, PW = 4 * q->TW + 2, rows = 4 * q->TH + 3;
  for (int64_t c = 0; c < C; c++) pad_plane(P + c * rows * PW, x + c * H * W, H, W, PW, 1, rows);
  for (int64_t c = 0; c < C; c++) {
    const float *pc = P + c * rows * PW;
    for (int64_t t0 = 0; t0 < q->T1; t0 += VL) {
      int64_t off[VL];
      lane_offsets(off, t0, q, PW, 0);
      v8 u[6][6];
      for (int k = 0; k < 6; k++) { /* B over the columns of patch row k */
        v8 a[8], d[8];
        for (int l = 0; l < VL; l++) a[l] = ld8(pc + off[l] + k * PW);
        transpose8(d, a);
        bt6(u[k], d);
      }
      float *v = V + c * ldc + t0;
      for (int l = 0; l < 6; l++) { /* B^T over rows */
        v8 col[6] = {u[0][l], u[1][l], u[2][l], u[3][l], u[4][l], u[5][l]}, o[6];
        bt6(o, col);
        for (int k = 0; k < 6; k++) st8(v + (6 * k + l) * ldx, o[k]);
      }
    }
  }
}

/* y (CO,H,W) = A^T m A + b[o] for each tile t, m[xi] = M[xi*ldx + o*ldc + t]: VL tiles at
 * a time into P (planes of 4*TH rows of 4*TW and four spare rows, for lanes past T1),
 * then, once all are written, their insides to y */
DLT_VEC_CLONES static float output_tiles4(float *y, const float *M, int64_t ldx, int64_t ldc, const float *b,
                                          int64_t CO, const tiling *q, float *P) {
  int64_t H = q->H, W = q->W, PW = 4 * q->TW, PS = (4 * q->TH + 4) * PW;
  v8 bad = {0}; /* as output_tiles' */
  for (int64_t o = 0; o < CO; o++) {
    const float *m = M + o * ldc;
    float *po = P + o * PS;
    v8 bo = {0};
    bo += b ? b[o] : 0;
    for (int64_t t0 = 0; t0 < q->T1; t0 += VL) {
      int64_t off[VL];
      lane_offsets(off, t0, q, PW, 4 * q->TH * PW);
      v8 a[6][4]; /* a[l]: A^T over the rows of column l */
      for (int l = 0; l < 6; l++) {
        v8 col[6];
        for (int k = 0; k < 6; k++) col[k] = ld8(m + (6 * k + l) * ldx + t0);
        at6(a[l], col);
      }
      for (int r = 0; r < 4; r++) { /* A over columns, then each tile's row r in place */
        v8 row[6] = {a[0][r], a[1][r], a[2][r], a[3][r], a[4][r], a[5][r]}, e[4], h[4];
        at6(e, row);
        for (int s = 0; s < 4; s++) e[s] += bo;
        bad += (e[0] + e[1] + e[2] + e[3]) * 0;
        turn4(h, e);
        for (int k = 0; k < 4; k++) {
          memcpy(po + off[k] + r * PW, &h[k], 16);
          memcpy(po + off[k + 4] + r * PW, (const float *)&h[k] + 4, 16);
        }
      }
    }
  }
  for (int64_t o = 0; o < CO; o++)
    for (int64_t r = 0; r < H; r++) copy_row(y + (o * H + r) * W, P + o * PS + r * PW, W);
  return lane_or(bad);
}

/* Z[xi*ldx + o*ldc + t] = (A D A^T)[xi] for the 4x4 block D of plane o of dy (OC,H,W) at
 * tile t (zeros past the edges: P holds the OC planes padded to whole tiles, all written
 * before any is read, as in input_tiles4; pad_plane puts a plane at column 1, so column 0
 * of P's rows goes unread) */
DLT_VEC_CLONES static void grad_tiles4(float *Z, int64_t ldx, int64_t ldc, const float *dy, int64_t OC,
                                       const tiling *q, float *P) {
  int64_t H = q->H, W = q->W, PW = 4 * q->TW + 1, rows = 4 * q->TH;
  for (int64_t o = 0; o < OC; o++) pad_plane(P + o * rows * PW, dy + o * H * W, H, W, PW, 0, rows);
  for (int64_t o = 0; o < OC; o++) {
    const float *po = P + o * rows * PW + 1;
    for (int64_t t0 = 0; t0 < q->T1; t0 += VL) {
      int64_t off[VL];
      lane_offsets(off, t0, q, PW, 0);
      v8 e[4][6];
      for (int r = 0; r < 4; r++) { /* A over the columns of block row r */
        v8 a[4], d[4];
        for (int k = 0; k < 4; k++) {
          v4 lo, hi;
          memcpy(&lo, po + off[k] + r * PW, 16);
          memcpy(&hi, po + off[k + 4] + r * PW, 16);
          a[k] = SHUF(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
        }
        turn4(d, a);
        a4(e[r], d);
      }
      float *z = Z + o * ldc + t0;
      for (int l = 0; l < 6; l++) { /* A over rows */
        v8 col[4] = {e[0][l], e[1][l], e[2][l], e[3][l]}, out[6];
        a4(out, col);
        for (int k = 0; k < 6; k++) st8(z + (6 * k + l) * ldx, out[k]);
      }
    }
  }
}

/* The kernels' transforms, KB kernels at a time through blocks on the stack, in double
 * and rounded once. Lane i of a block is kernel d0 + i; the loops over i are what the
 * compiler vectorizes. The 36 points of one kernel lie OC*C floats apart in U, which for
 * 64 x 32 channels puts them all on one set of L1 lines: a block is written point by
 * point, KB floats at a time. */
enum { KB = 16 };
static const double R6 = 1.0 / 6, R12 = 1.0 / 12, R24 = 1.0 / 24;

/* o[0..5] = G (g0, g1, g2), lanes side by side (reciprocals multiplied: a division
 * each would take most of a kernel's time, and the result is rounded to float32 after) */
__attribute__((always_inline)) static inline void g3(double (*o)[KB], const double *g0, const double *g1,
                                                     const double *g2) {
  for (int i = 0; i < KB; i++) {
    double a = (g0[i] + g2[i]) * R6, b = g1[i] * R6, c = g0[i] * R24 + g2[i] * R6, e = g1[i] * R12;
    o[0][i] = 0.25 * g0[i];
    o[1][i] = -a - b;
    o[2][i] = b - a;
    o[3][i] = c + e;
    o[4][i] = c - e;
    o[5][i] = g2[i];
  }
}

/* o[0..2] = G^T (x0, ..., x5), lanes side by side */
__attribute__((always_inline)) static inline void gt6(double (*o)[KB], double (*x)[KB]) {
  for (int i = 0; i < KB; i++) {
    double s12 = x[1][i] + x[2][i], s34 = x[3][i] + x[4][i];
    o[0][i] = 0.25 * x[0][i] - s12 * R6 + s34 * R24;
    o[1][i] = (x[2][i] - x[1][i]) * R6 + (x[3][i] - x[4][i]) * R12;
    o[2][i] = (s34 - s12) * R6 + x[5][i];
  }
}

/* U[xi][d] = (G g G^T)[xi] for the kernels g of w (OC,C,3,3); d = o*C + c, or with flip
 * (as weight_tiles) c*OC + o */
DLT_VEC_CLONES static void weight_tiles4(float *U, const float *w, int64_t OC, int64_t C, bool flip) {
  /* d = r*n + s: with flip r is c and s is o (w's kernel o*C + c), else r is o and s is c */
  int64_t ld = OC * C, n = flip ? OC : C, r = 0, s = 0;
  for (int64_t d0 = 0; d0 < ld; d0 += KB) {
    int64_t nd = ld - d0 < KB ? ld - d0 : KB;
    double g[9][KB], t[3][6][KB], u[6][KB];
    float blk[36][KB];
    for (int64_t i = nd; i < KB; i++) /* a last block's unused lanes */
      for (int e = 0; e < 9; e++) g[e][i] = 0;
    for (int64_t i = 0; i < nd; i++) {
      const float *k = w + (flip ? s * C + r : r * C + s) * 9;
      for (int e = 0; e < 9; e++) g[e][i] = flip ? k[8 - e] : k[e];
      if (++s == n) s = 0, r++;
    }
    for (int e = 0; e < 3; e++) g3(t[e], g[e], g[3 + e], g[6 + e]); /* t[e][a] = (G g)[a][e] */
    for (int a = 0; a < 6; a++) {
      g3(u, t[0][a], t[1][a], t[2][a]);
      for (int l = 0; l < 6; l++)
        for (int i = 0; i < KB; i++) blk[6 * a + l][i] = (float)u[l][i];
    }
    if (nd == KB) /* a fixed size: two vector stores each, not a string copy's start-up */
      for (int xi = 0; xi < 36; xi++) memcpy(U + xi * ld + d0, blk[xi], sizeof blk[xi]);
    else
      for (int xi = 0; xi < 36; xi++) memcpy(U + xi * ld + d0, blk[xi], sizeof(float) * (size_t)nd);
  }
}

/* dw[o][c] += G^T dU[o][c] G (3x3 from 6x6), dU (36, OC, C) */
DLT_VEC_CLONES static void weight_grad4(float *dw, const float *dU, int64_t OC, int64_t C) {
  int64_t ld = OC * C;
  for (int64_t d0 = 0; d0 < ld; d0 += KB) {
    int64_t nd = ld - d0 < KB ? ld - d0 : KB;
    double x[6][6][KB], t[6][3][KB], col[6][KB], r[3][KB];
    for (int xi = 0; xi < 36; xi++)
      for (int64_t i = 0; i < KB; i++) x[xi / 6][xi % 6][i] = i < nd ? dU[xi * ld + d0 + i] : 0;
    for (int k = 0; k < 6; k++) gt6(t[k], x[k]); /* t[k] = (x G)[k] */
    for (int e = 0; e < 3; e++) {
      for (int k = 0; k < 6; k++) memcpy(col[k], t[k][e], sizeof col[k]);
      gt6(r, col);
      for (int64_t i = 0; i < nd; i++)
        for (int a = 0; a < 3; a++) dw[(d0 + i) * 9 + a * 3 + e] += (float)r[a][i];
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
  float bad;             /* a convolution's: NaN when an output was not finite, else 0 */
} wjob;

static void run_block(wjob *j, int64_t n0, int64_t nn) {
  const tiling *q = &j->q;
  /* tiles of channel c at point xi: V + c*lc + xi*ld (a channel's points side by side, so
   * a vector loop's stores to all points stay within a few KB, not on a few cache sets) */
  int64_t HW = q->H * q->W, ld = q->ld, lc = q->nx * ld, Tn = nn * q->T1;
  for (int64_t s = 0; s < nn; s++) { /* in order: a sample's overrun is the next one's to write */
    const float *x = j->in + (n0 + s) * j->CI * HW;
    if (q->m == 4) input_tiles4(j->V + s * q->T1, ld, lc, x, j->CI, q, j->planes);
    else input_tiles(j->V + s * q->T1, ld, lc, x, j->CI, q, j->planes);
  }
  if (j->grad) {
    for (int64_t s = 0; s < nn; s++) {
      const float *dy = j->dy + (n0 + s) * j->CO * HW;
      if (q->m == 4) grad_tiles4(j->M + s * q->T1, ld, lc, dy, j->CO, q, j->planes);
      else grad_tiles(j->M + s * q->T1, ld, lc, dy, j->CO, q, j->planes);
    }
    for (int xi = 0; xi < q->nx; xi++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->CO, (int)j->CI, (int)Tn, 1, j->M + xi * ld, (int)lc,
                  j->V + xi * ld, (int)lc, 1, j->out + xi * j->CO * j->CI, (int)j->CI);
    return;
  }
  for (int xi = 0; xi < q->nx; xi++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)j->CO, (int)Tn, (int)j->CI, 1, j->U + xi * j->CO * j->CI,
                (int)j->CI, j->V + xi * ld, (int)lc, 0, j->M + xi * ld, (int)lc);
  for (int64_t s = 0; s < nn; s++) {
    float *y = j->out + (n0 + s) * j->CO * HW;
    if (q->m == 4) j->bad += output_tiles4(y, j->M + s * q->T1, ld, lc, j->b, j->CO, q, j->planes);
    else j->bad += output_tiles(y, j->M + s * q->T1, ld, lc, j->b, j->CO, q, j->planes);
  }
}

static void run_job(void *p) {
  wjob *j = p;
  if (j->grad) memset(j->out, 0, sizeof(float) * (size_t)(j->q.nx * j->CO * j->CI));
  for (int64_t n = j->n0; n < j->n1; n += j->q.nb) run_block(j, n, j->n1 - n < j->q.nb ? j->n1 - n : j->q.nb);
}

/* Scratch: 0 the transformed kernels or the caller's dU; 1 and 2 each thread's tiles and
 * planes (and the helper's dU) */
static dlt_scratch scratch[3];

static float *get_scratch(int k, size_t floats) { return dlt_scratch_get(&scratch[k], sizeof(float) * floats); }

/* a thread's tiles: V (16,CI,ld), M (16,CO,ld), the transforms' planes, and extra floats */
static int thread_scratch(wjob *j, int k, size_t extra, float **ex) {
  size_t v = (size_t)(j->q.nx * j->CI * j->q.ld), m = (size_t)(j->q.nx * j->CO * j->q.ld), r = (size_t)plane_floats(&j->q, j->CI > j->CO ? j->CI : j->CO);
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
  size_t du = job->grad ? (size_t)(job->q.nx * job->CO * job->CI) : 0;
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
  job->bad += hi.bad;
  return 0;
}

/* F(4x4,3x3) when the channels are many enough: its products need 44% fewer
 * multiply-adds than F(2x2)'s on large planes (26% on 14x14), its transforms twice the
 * work per output; measured (bench/README.md), F(2x2) is faster up to 8 -> 8 channels,
 * the two even at 16 -> 16, F(4x4) faster from 8 -> 64 or 24 -> 24 on */
static int tile_m(int64_t C, int64_t OC) { return C * OC >= 512 ? 4 : 2; }

static int conv(float *y, const float *x, const float *w, const float *b, int64_t N, int64_t CI, int64_t CO,
                int64_t H, int64_t W, bool flip) {
  tiling q = tiling_of(H, W, tile_m(CI, CO));
  float *U = get_scratch(0, (size_t)(q.nx * CO * CI));
  if (!U) return -1;
  /* flip: w is (CI,CO,3,3), the forward's weight of a convolution from CO to CI channels */
  if (q.m == 4) weight_tiles4(U, w, flip ? CI : CO, flip ? CO : CI, flip);
  else weight_tiles(U, w, flip ? CI : CO, flip ? CO : CI, flip);
  wjob j = {.out = y, .in = x, .U = U, .b = b, .CI = CI, .CO = CO, .q = q};
  if (run(&j, N, NULL)) return -1;
  return j.bad == 0 ? 0 : 1;
}

int dlt_winograd_fwd(float *y, const float *x, const float *w, const float *b, const dlt_conv_geom *g) {
  return conv(y, x, w, b, g->N, g->C, g->OC, g->H, g->W, false);
}

int dlt_winograd_bwd_data(float *dx, const float *dy, const float *w, const float *b, const dlt_conv_geom *g) {
  return conv(dx, dy, w, b, g->N, g->OC, g->C, g->H, g->W, true);
}

/* dU += the helper's dU (when there is one); returns 0, or NaN when a value of dU is not
 * finite (as output_tiles' flag), in one vector pass: a float sum the compiler must not
 * reorder would be one chain of scalar additions */
DLT_VEC_CLONES static float du_sum(float *dU, const float *helper, int64_t n) {
  v8 bad = {0};
  int64_t i = 0;
  for (; i + VL <= n; i += VL) {
    v8 v = ld8(dU + i);
    if (helper) st8(dU + i, v += ld8(helper + i));
    bad += v * 0;
  }
  float tail = 0;
  for (; i < n; i++) tail += (helper ? (dU[i] += helper[i]) : dU[i]) * 0;
  return lane_or(bad) + tail;
}

int dlt_winograd_bwd_weight(float *dw, const float *dy, const float *x, const dlt_conv_geom *g) {
  tiling q = tiling_of(g->H, g->W, tile_m(g->C, g->OC));
  float *dU = get_scratch(0, (size_t)(q.nx * g->OC * g->C)), *helper = NULL;
  if (!dU) return -1;
  wjob j = {.grad = true, .out = dU, .in = x, .dy = dy, .CI = g->C, .CO = g->OC, .q = q};
  if (run(&j, g->N, &helper)) return -1;
  if (du_sum(dU, helper, q.nx * g->OC * g->C) != 0) return 1; /* not finite: dw untouched */
  if (q.m == 4) weight_grad4(dw, dU, g->OC, g->C);
  else weight_grad(dw, dU, g->OC, g->C);
  return 0;
}
