/* kernels_f64.c: the layer and loss kernels (kernels.inc) for float64. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "core/kernels.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/strided.h" /* DLT_VEC_CLONES */

#define R double
#define S(name) name##_f64
/* each product goes through core/blas.c, which picks its threads (split by rows or OpenBLAS's) */
#define GEMM(o, ta, tb, M, N, K, ...) dlt_gemm_rows(false, (ta) == CblasTrans, (tb) == CblasTrans, M, N, K, __VA_ARGS__)
#include "core/kernels.inc"

/* ---- the dropout generator (type-independent, so here once) ---- */

void dlt_k_rng8_seed(dlt_k_rng8 *g) {
  for (int v = 0; v < 2; v++)
    for (int l = 0; l < 4; l++) {
      uint64_t a = dlt_rand_u64(), b = dlt_rand_u64();
      g->s[v][0][l] = (uint32_t)a | 1u; /* never the all-zero state */
      g->s[v][1][l] = (uint32_t)(a >> 32);
      g->s[v][2][l] = (uint32_t)b;
      g->s[v][3][l] = (uint32_t)(b >> 32);
    }
}

/* xoshiro128**: r = rotl(s1*5, 7)*9, then the state's xor-shift step; the multiplies by
 * 5 and 9 as shift-adds. Both sets of four streams step side by side as one vector of
 * 8 lanes (one AVX2 register): lanes 0-3 are g->s[0], 4-7 g->s[1], so each step's 8
 * draws land in out in the order of the two 4-lane steps. */
typedef uint32_t rng_v8u __attribute__((vector_size(32)));

static inline void rng_step(rng_v8u *s, rng_v8u *out) {
  rng_v8u r = (s[1] << 2) + s[1], t = s[1] << 9;
  r = (r << 7) | (r >> 25);
  r = (r << 3) + r;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 11) | (s[3] >> 21);
  *out = r >> 8;
}

DLT_VEC_CLONES void dlt_k_rng8_fill24(dlt_k_rng8 *g, int32_t *out, int64_t n) {
  /* the halves join and part in registers: two 16-byte stores read back as one 32-byte
   * load cannot be forwarded and stalled every call (an eighth of dropout's time) */
  rng_v8u s[4];
#if defined(__clang__) || __GNUC__ >= 12
  for (int k = 0; k < 4; k++) s[k] = __builtin_shufflevector(g->s[0][k], g->s[1][k], 0, 1, 2, 3, 4, 5, 6, 7);
#else
  for (int k = 0; k < 4; k++) {
    memcpy((char *)&s[k], &g->s[0][k], 16);
    memcpy((char *)&s[k] + 16, &g->s[1][k], 16);
  }
#endif
  for (int64_t j = 0; j < n; j += 8) {
    rng_v8u r;
    rng_step(s, &r);
    memcpy(out + j, &r, sizeof r);
  }
#if defined(__clang__) || __GNUC__ >= 12
  for (int k = 0; k < 4; k++) {
    g->s[0][k] = __builtin_shufflevector(s[k], s[k], 0, 1, 2, 3);
    g->s[1][k] = __builtin_shufflevector(s[k], s[k], 4, 5, 6, 7);
  }
#else
  for (int k = 0; k < 4; k++) {
    memcpy(&g->s[0][k], (char *)&s[k], 16);
    memcpy(&g->s[1][k], (char *)&s[k] + 16, 16);
  }
#endif
}
