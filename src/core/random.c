/* random.c: xoshiro256** seeded through splitmix64; ziggurat normals. Bulk fills run
 * four lanes of the generator at once and still draw exactly the one-at-a-time stream. */
/* the bulk fills must round exactly as the one-at-a-time draws, in every clone: built
 * with -ffp-contract=off (CMakeLists.txt), no fused multiply-adds */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "core/random.h"
#include "core/strided.h"
#include "core/worker.h"

static dlt_generator G0; /* the default generator */

dlt_generator *dlt_default_generator(void) { return &G0; }

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void dlt_generator_seed(dlt_generator *g, uint64_t seed) {
  uint64_t x = seed;
  g->seed = seed;
  for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&x);
}

/* g, or the default generator for NULL, seeded: xoshiro's all-zero state is a fixed
 * point, so an unseeded generator seeds with 0 */
static dlt_generator *gen(dlt_generator *g) {
  if (!g) g = &G0;
  if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3])) dlt_generator_seed(g, 0);
  return g;
}

void dlt_generator_get_state(dlt_generator *g, uint64_t state[4]) {
  g = gen(g);
  for (int i = 0; i < 4; i++) state[i] = g->s[i];
}

int dlt_generator_set_state(dlt_generator *g, const uint64_t state[4]) {
  if (!(state[0] | state[1] | state[2] | state[3])) return dlt_failn("set_rng_state: the all-zero state is not a state of the generator");
  if (!g) g = &G0;
  for (int i = 0; i < 4; i++) g->s[i] = state[i];
  return 0;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* one step of xoshiro256** (the compiler keeps a state held in locals in registers) */
static inline uint64_t step(uint64_t s[4]) {
  uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

uint64_t dlt_generator_u64(dlt_generator *g) { return step(gen(g)->s); }

/* Bulk fills draw the very stream that one-at-a-time draws would, only faster: four
 * lanes of the generator run side by side in one vector, lane j starting LANE_LEN steps
 * after lane j-1. Its start is T^LANE_LEN of lane j-1's, T the generator's linear map
 * over GF(2)^256: T^LANE_LEN = J(T) with J(x) = x^LANE_LEN mod P(x), P the map's
 * characteristic polynomial (by Berlekamp-Massey on 512 outputs; the same computation
 * gives xoshiro's published 2^128 jump), so a jump is 256 steps and XORs. tools/rng_jump.c
 * derives JUMP and checks it against plain steps; ctest's tool_rng_jump checks that this
 * file holds what it prints. */
#define LANES 4
#define LANE_LEN 4096
#define SUPER (LANES * LANE_LEN)
/* J_j(x) = x^(j LANE_LEN) mod P(x), j = 1, 2, 3: bit b of word w is the coefficient of x^(64 w + b) */
static const uint64_t JUMP[LANES - 1][4] = {
  {0xd7f4e8da7e228b85ULL, 0xd638d47ec5bcf595ULL, 0xaa6eb691cbf9ce10ULL, 0x0f41cce3698fad39ULL},
  {0x669da12373880674ULL, 0xb1df898a4a6f1548ULL, 0x32104b94fe2534d3ULL, 0xda66e09e52b341d1ULL},
  {0x2f8694c414ab14d4ULL, 0xb9aa0df930906447ULL, 0x8d238798b0472623ULL, 0x47038a0bcd5cad87ULL}};

/* ls[w][j] = word w of T^(j LANE_LEN) s, j = 0..3: each the sum over the bits b of J_j
 * of T^b s, the three sums gathered in one walk of 256 steps (without branches) */
static void lane_starts(const uint64_t s0[4], uint64_t ls[4][LANES]) {
  uint64_t s[4] = {s0[0], s0[1], s0[2], s0[3]}, acc[LANES - 1][4] = {{0}};
  for (int w = 0; w < 4; w++)
    for (int b = 0; b < 64; b++) {
      for (int j = 0; j < LANES - 1; j++) {
        uint64_t m = 0 - ((JUMP[j][w] >> b) & 1);
        for (int q = 0; q < 4; q++) acc[j][q] ^= s[q] & m;
      }
      step(s);
    }
  for (int q = 0; q < 4; q++) {
    ls[q][0] = s0[q];
    for (int j = 1; j < LANES; j++) ls[q][j] = acc[j - 1][q];
  }
}

typedef uint64_t u64x4 __attribute__((vector_size(32)));
typedef double f64x4 __attribute__((vector_size(32)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x2 __attribute__((vector_size(16)));
/* The lane loops are built three times: for AVX-512 (x86-64-v4: rotates and three-way
 * XORs are single instructions, and a 64-bit int to double conversion exists), AVX2
 * (no such conversion: U53_4_GEN below) and generic x86-64; dlt_rng_isa picks one at
 * run time. All builds round alike (no FMA, see the pragma) and draw the same stream:
 * the tests compare each with one-at-a-time draws, on this CPU's build and, with
 * DLT_RNG_GENERIC=1, on the generic one. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define HAVE_ISA 1
#define V4_TARGET __attribute__((target("arch=x86-64-v4")))
#define A2_TARGET __attribute__((target("avx2")))
#else
#define HAVE_ISA 0
#endif

int dlt_rng_isa(void) {
  static int isa = -1;
  if (isa < 0) {
    const char *e = getenv("DLT_RNG_GENERIC");
    isa = 0;
#if HAVE_ISA
    if (!(e && strcmp(e, "1") == 0))
      isa = __builtin_cpu_supports("x86-64-v4") ? 2 : __builtin_cpu_supports("avx2") ? 1
                                                                                     : 0;
#else
    (void)e;
#endif
  }
  return isa;
}

/* f_V4(...), f_A2(...) or f_GEN(...) by dlt_rng_isa */
#if HAVE_ISA
#define BY_ISA(f, ...) \
  (dlt_rng_isa() == 2 ? f##_V4(__VA_ARGS__) : dlt_rng_isa() == 1 ? f##_A2(__VA_ARGS__) \
                                                                 : f##_GEN(__VA_ARGS__))
#else
#define BY_ISA(f, ...) f##_GEN(__VA_ARGS__)
#endif
#define ROTL4(x, k) (((x) << (k)) | ((x) >> (64 - (k)))) /* a macro: vector arguments would warn -Wpsabi */

/* Four steps of the four lanes, whose state words are the vectors s0..s3: l0..l3 get
 * lane 0..3's four outputs (the 4x4 block of outputs transposed). */
#define LANES_STEP4(l0, l1, l2, l3) \
  u64x4 l0, l1, l2, l3; \
  do { \
    u64x4 r_[4]; \
    for (int q_ = 0; q_ < 4; q_++) { /* xoshiro256**; x * 5 and x * 9 as shifts and adds */ \
      u64x4 x_ = (s1 << 2) + s1; \
      x_ = ROTL4(x_, 7); \
      r_[q_] = (x_ << 3) + x_; \
      u64x4 t_ = s1 << 17; \
      s2 ^= s0; \
      s3 ^= s1; \
      s1 ^= s2; \
      s0 ^= s3; \
      s2 ^= t_; \
      s3 = ROTL4(s3, 45); \
    } \
    u64x4 a_ = __builtin_shufflevector(r_[0], r_[1], 0, 4, 2, 6); \
    u64x4 b_ = __builtin_shufflevector(r_[0], r_[1], 1, 5, 3, 7); \
    u64x4 c_ = __builtin_shufflevector(r_[2], r_[3], 0, 4, 2, 6); \
    u64x4 d_ = __builtin_shufflevector(r_[2], r_[3], 1, 5, 3, 7); \
    l0 = __builtin_shufflevector(a_, c_, 0, 1, 4, 5); \
    l1 = __builtin_shufflevector(b_, d_, 0, 1, 4, 5); \
    l2 = __builtin_shufflevector(a_, c_, 2, 3, 6, 7); \
    l3 = __builtin_shufflevector(b_, d_, 2, 3, 6, 7); \
  } while (0)
#define LANES_LOAD(ls) \
  u64x4 s0, s1, s2, s3; \
  memcpy(&s0, ls[0], 32); \
  memcpy(&s1, ls[1], 32); \
  memcpy(&s2, ls[2], 32); \
  memcpy(&s3, ls[3], 32)
#define LANES_STORE(ls) \
  memcpy(ls[0], &s0, 32); \
  memcpy(ls[1], &s1, 32); \
  memcpy(ls[2], &s2, 32); \
  memcpy(ls[3], &s3, 32)

/* buf[j*LANE_LEN + t] = output t of lane j; ls[w] holds word w of the four lanes'
 * states and is advanced LANE_LEN steps */
#define DEF_LANES_RUN(B, ATTR) \
  ATTR static void lanes_run_##B(uint64_t *buf, uint64_t ls[4][LANES]) { \
    LANES_LOAD(ls); \
    for (int64_t t = 0; t < LANE_LEN; t += 4) { \
      LANES_STEP4(l0, l1, l2, l3); \
      memcpy(buf + t, &l0, 32); \
      memcpy(buf + LANE_LEN + t, &l1, 32); \
      memcpy(buf + 2 * LANE_LEN + t, &l2, 32); \
      memcpy(buf + 3 * LANE_LEN + t, &l3, 32); \
    } \
    LANES_STORE(ls); \
  }
#if HAVE_ISA
DEF_LANES_RUN(V4, V4_TARGET)
DEF_LANES_RUN(A2, A2_TARGET)
#endif
DEF_LANES_RUN(GEN, )

/* s = where a block run from lane starts ls ends: the last lane ends where the block does */
static void block_end(uint64_t s[4], uint64_t ls[4][LANES]) {
  for (int w = 0; w < 4; w++) s[w] = ls[w][LANES - 1];
}

/* s advanced SUPER steps without drawing: T^(3 LANE_LEN), then T^LANE_LEN of that */
static void jump_block(uint64_t s[4]) {
  uint64_t ls[4][LANES], t[4];
  lane_starts(s, ls);
  block_end(t, ls);
  lane_starts(t, ls);
  for (int w = 0; w < 4; w++) s[w] = ls[w][1];
}

/* buf[0..m) = the next m outputs from the state st, which moves past them (worked on
 * in locals: buf's stores could otherwise alias it) */
static void raw_fill_from(uint64_t st[4], uint64_t *buf, int64_t m) {
  uint64_t s[4] = {st[0], st[1], st[2], st[3]};
  for (; m >= SUPER; m -= SUPER, buf += SUPER) {
    uint64_t ls[4][LANES];
    lane_starts(s, ls);
    BY_ISA(lanes_run, buf, ls);
    block_end(s, ls);
  }
  for (int64_t i = 0; i < m; i++) buf[i] = step(s);
  for (int w = 0; w < 4; w++) st[w] = s[w];
}

/* Raw outputs drawn in order from a filled buffer, then from the generator state s
 * itself: buffer and generator never overlap, as a fill leaves the state past the buffer. */
typedef struct {
  const uint64_t *buf;
  int64_t pos, len;
  uint64_t *s;
} stream;
static uint64_t rawbuf[2][SUPER];

/* pos counts the draws taken past the buffer too (from the generator itself) */
static inline uint64_t stream_next(stream *st) {
  uint64_t r = st->pos < st->len ? st->buf[st->pos] : step(st->s);
  st->pos++;
  return r;
}

/* the buffer refilled with the next min(want, SUPER) outputs: a fill that needs at least
 * `want` more never makes the generator run ahead of what it consumes */
static void stream_refill(stream *st, int64_t want) {
  st->len = want < SUPER ? want : SUPER;
  st->pos = 0;
  raw_fill_from(st->s, (uint64_t *)st->buf, st->len);
}

/* The next buffer of raw draws, drawn by the helper thread while the caller turns the
 * current one into normals: buf[0..len) from the state s, which ends past them. The
 * caller may meanwhile take e draws past its buffer from the generator itself; those
 * are buf[0..e), so its stream goes on at buf[e] (or, past buf, at the generator). */
typedef struct {
  uint64_t *buf;
  int64_t len;
  uint64_t s[4];
} raw_job;
static void raw_job_run(void *arg) {
  raw_job *j = arg;
  raw_fill_from(j->s, j->buf, j->len);
}

/* two different jobs for dlt_worker_run2, which runs one function on both threads */
typedef struct {
  void (*fn)(void *);
  void *arg;
} call;
static void call_run(void *c) { ((call *)c)->fn(((call *)c)->arg); }

/* (r >> 11) * 2^-53 exactly, as (double)(r >> 11) * 0x1.0p-53 gives it but without a
 * 64-bit int to double conversion (AVX2 has none): the top 52 bits as the mantissa of
 * a number in [1, 2), minus 1 (exact), plus 2^-53 for bit 11 (exact: the sum is a
 * 53-bit integer times 2^-53). */
static inline double u53(uint64_t r) {
  uint64_t hi = 0x3ff0000000000000ULL | (r >> 12), lo = (0 - ((r >> 11) & 1)) & 0x3ca0000000000000ULL;
  double dh, dl;
  memcpy(&dh, &hi, 8);
  memcpy(&dl, &lo, 8);
  return (dh - 1.0) + dl;
}

/* [0, 1) from the top 53 bits */
double dlt_generator_uniform(dlt_generator *g) { return (double)(step(gen(g)->s) >> 11) * 0x1.0p-53; }

/* Normals by Marsaglia and Tsang's ziggurat with 256 layers of equal area V under
 * f(x) = exp(-x^2/2): layer i spans x in [0, zx[i]] at heights f(zx[i])..f(zx[i+1]);
 * layer 0 is the base strip plus the tail beyond R. One 64-bit draw settles about
 * 99% of the samples: 8 bits choose the layer, 1 the sign, 53 the position. */
#define ZIG_R 3.6541528853610088
#define ZIG_V 0.00492867323399
static double zx[257], zf[257];
static int zig_ready;

static double gauss_f(double x) { return exp(-0.5 * x * x); }

static void zig_init(void) {
  zx[0] = ZIG_V / gauss_f(ZIG_R);
  zx[1] = ZIG_R;
  for (int i = 1; i < 255; i++) zx[i + 1] = sqrt(-2.0 * log(ZIG_V / zx[i] + gauss_f(zx[i])));
  zx[256] = 0.0;
  for (int i = 0; i <= 256; i++) zf[i] = gauss_f(zx[i]);
  zig_ready = 1;
}

/* the ~1% of draws outside their layer's inner rectangle, drawing on from st */
static double normal_slow(stream *st, int i, double z, double sign) {
  for (;;) {
    if (i == 0) { /* the tail beyond R, by Marsaglia's exponential method */
      double a, b;
      do {
        a = -log1p(-u53(stream_next(st))) / ZIG_R;
        b = -log1p(-u53(stream_next(st)));
      } while (b + b < a * a);
      return sign * (ZIG_R + a);
    }
    if (zf[i] + u53(stream_next(st)) * (zf[i + 1] - zf[i]) < gauss_f(z)) return sign * z;
    uint64_t u = stream_next(st);
    i = (int)(u & 255);
    sign = (u & 256) ? -1.0 : 1.0;
    z = u53(u) * zx[i];
    if (z < zx[i + 1]) return sign * z;
  }
}

/* the draw u in the fast path: sign * z, the sign from bit 8 XORed onto z's sign bit */
static inline double zig_fast(uint64_t u, double *z, int *slow) {
  int i = (int)(u & 255);
  double zz = u53(u) * zx[i];
  uint64_t bits;
  memcpy(&bits, &zz, 8);
  bits ^= (u & 256) << 55;
  *z = zz;
  *slow = !(zz < zx[i + 1]);
  double v;
  memcpy(&v, &bits, 8);
  return v;
}

/* one normal starting from draw u, the rest of its draws from st */
static inline double normal_from(stream *st, uint64_t u) {
  double z;
  int slow;
  double v = zig_fast(u, &z, &slow);
  return slow ? normal_slow(st, (int)(u & 255), z, (u & 256) ? -1.0 : 1.0) : v;
}

double dlt_generator_normal(dlt_generator *g) {
  g = gen(g);
  if (!zig_ready) zig_init();
  stream st = {NULL, 0, 0, g->s};
  return normal_from(&st, step(g->s));
}

int64_t dlt_generator_below(dlt_generator *g, int64_t n) {
  if (n <= 1) return 0;
  g = gen(g);
  uint64_t un = (uint64_t)n, lim = UINT64_MAX - UINT64_MAX % un, x;
  do x = step(g->s);
  while (x >= lim);
  return (int64_t)(x % un);
}

/* Draws with f into every element of t in row-major order, through its strides (the
 * contiguous fills of uniform_ and normal_ have their own loops below). */
static int fill(dlt_tensor *t, double (*f)(void *), void *ud) {
  int64_t n = dlt_numel(t);
  if (dlt_is_contiguous(t) && dlt_is_floating(t->dtype)) { /* int64 and bool through dlt_set */
    if (t->dtype == DLT_FLOAT32) {
      float *p = dlt_data(t);
      for (int64_t i = 0; i < n; i++) p[i] = (float)f(ud);
    } else {
      double *p = dlt_data(t);
      for (int64_t i = 0; i < n; i++) p[i] = f(ud);
    }
  } else {
    int64_t idx[DLT_MAXDIM] = {0};
    for (int64_t i = 0; i < n; i++) {
      dlt_set(t, idx, f(ud));
      for (int d = t->ndim - 1; d >= 0; d--) {
        if (++idx[d] < t->shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  dlt_bump_version(t);
  return 0;
}

typedef struct {
  double a, b;
  dlt_generator *g;
} two;
static double f_uniform(void *u) {
  two *p = u;
  return p->a + (p->b - p->a) * dlt_generator_uniform(p->g);
}
static double f_normal(void *u) {
  two *p = u;
  return p->a + p->b * dlt_generator_normal(p->g);
}
static double f_bernoulli(void *u) {
  two *p = u;
  return dlt_generator_uniform(p->g) < p->a ? 1.0 : 0.0;
}
static double f_exponential(void *u) {
  two *p = u;
  return -log1p(-dlt_generator_uniform(p->g)) / p->a;
}
static double f_laplace(void *u) {
  two *p = u;
  double v = dlt_generator_uniform(p->g) - 0.5; /* inverse CDF of the Laplace distribution */
  return p->a - p->b * (v < 0 ? -1.0 : 1.0) * log1p(-2.0 * fabs(v));
}
static double f_randint(void *u) {
  two *p = u;
  return p->a + (double)dlt_generator_below(p->g, (int64_t)(p->b - p->a));
}

/* (r >> 11) * 2^-53 of four draws r, as u53 computes it (GEN) or by conversion (V4:
 * the 53-bit integer converts exactly) */
typedef int64_t i64x4 __attribute__((vector_size(32)));
#define U53_4_GEN(r) \
  (((f64x4)(((r) >> 12) | 0x3ff0000000000000ULL) - 1.0) + (f64x4)((0 - (((r) >> 11) & 1)) & 0x3ca0000000000000ULL))
#define U53_4_V4(r) (__builtin_convertvector((i64x4)((r) >> 11), f64x4) * 0x1.0p-53)
#define STORE4_double(p, v) memcpy((p), &(v), 32)
#define STORE4_float(p, v) \
  do { \
    f32x4 f_ = __builtin_convertvector((v), f32x4); \
    memcpy((p), &f_, 16); \
  } while (0)

/* Contiguous p[0..n) = a + (b - a) u, u uniform in [0, 1): whole lane blocks straight
 * from the lanes (lane j's outputs are p[j*LANE_LEN ...]), the rest one at a time. */
#define UNIFORM_SINK(T, B, l, j) \
  do { \
    f64x4 v_ = a + (b - a) * U53_4_##B(l); \
    STORE4_##T(p + (j)*LANE_LEN + t, v_); \
  } while (0)
/* a share of uniform_'s whole blocks (uniform_blocks_T_B in random_fill.inc) */
typedef struct {
  void *p;
  int64_t skip, blocks;
  double a, b;
  uint64_t s[4];
} block_job;
#define U53_4_A2 U53_4_GEN /* AVX2 converts as the generic build does */

/* Four fast-path candidates p[0..4) = mean + std * sign * z from the draws u[0..4), as
 * zig_fast computes them; ORs into bits (all-ones words) the lanes outside their
 * layer's inner rectangle, whose p must be redone the slow way. */
#define ZIG4(T, B, p, u, mean, std, bits) \
  do { \
    u64x4 u_; \
    memcpy(&u_, (u), 32); \
    f64x4 x_ = U53_4_##B(u_); \
    f64x2 p0_, p1_, p2_, p3_; /* pk_ = {zx[ik], zx[ik + 1]}, ik = u[k] & 255 */ \
    memcpy(&p0_, zx + ((u)[0] & 255), 16); \
    memcpy(&p1_, zx + ((u)[1] & 255), 16); \
    memcpy(&p2_, zx + ((u)[2] & 255), 16); \
    memcpy(&p3_, zx + ((u)[3] & 255), 16); \
    f64x4 a_ = __builtin_shufflevector(p0_, p2_, 0, 1, 2, 3); \
    f64x4 b_ = __builtin_shufflevector(p1_, p3_, 0, 1, 2, 3); \
    f64x4 z_ = x_ * __builtin_shufflevector(a_, b_, 0, 4, 2, 6); \
    bits |= (u64x4)(z_ >= __builtin_shufflevector(a_, b_, 1, 5, 3, 7)); \
    f64x4 v_ = (f64x4)((u64x4)z_ ^ ((u_ & 256) << 55)); \
    v_ = (mean) + (std)*v_; \
    STORE4_##T(p, v_); \
  } while (0)

/* index of the first set bit of mask[] at or after t, or len */
static int64_t next_slow(const uint64_t *mask, int64_t t, int64_t len) {
  int64_t w = t >> 6, nw = (len + 63) >> 6;
  if (w >= nw) return len;
  uint64_t bits = mask[w] & (~0ULL << (t & 63));
  while (!bits) {
    if (++w >= nw) return len;
    bits = mask[w];
  }
  int64_t s = w * 64 + __builtin_ctzll(bits);
  return s < len ? s : len;
}

/* contiguous p[0..n) = mean + std z, z standard normal, from a buffer of draws in
 * chunks of at most CHUNK (which stay in L1), each in two passes. First every draw
 * v[i] of the chunk is taken as if in the fast path (branch-free, vectorized): its
 * candidate goes to c[i], and mask bit i marks the ~1.5% that are not. Then the draws
 * are consumed in order: a run of fast ones keeps its candidates (moved left by the
 * draws that slow ones used so far), a slow one takes the slow path, which draws on
 * from the buffer, past the chunk if need be. c[i] = p[k + i] is free to hold the
 * candidate as the draws left in the buffer are at most the outputs left, n - k. */
#define CHUNK 1024
typedef struct {
  void *p;
  int64_t n, k;
  double mean, std;
  stream st;
} normal_job;
/* ZIG4 and UNIFORM_SINK with T and B expanded first (they paste them) */
#define ZIG4_TB(T, B, ...) ZIG4(T, B, __VA_ARGS__)
#define UNIFORM_SINK_TB(T, B, ...) UNIFORM_SINK(T, B, __VA_ARGS__)
/* uniform_lanes/blocks/fill_T_B and normal_convert/fill_T_B, once per element type T
 * and build B */
#if HAVE_ISA
#define T float
#define B V4
#define ATTR V4_TARGET
#include "core/random_fill.inc"
#define T double
#define B V4
#define ATTR V4_TARGET
#include "core/random_fill.inc"
#define T float
#define B A2
#define ATTR A2_TARGET
#include "core/random_fill.inc"
#define T double
#define B A2
#define ATTR A2_TARGET
#include "core/random_fill.inc"
#endif
#define T float
#define B GEN
#define ATTR
#include "core/random_fill.inc"
#define T double
#define B GEN
#define ATTR
#include "core/random_fill.inc"

int dlt_generator_uniform_(dlt_generator *g, dlt_tensor *t, double a, double b) {
  if (dlt_check_floating("uniform_", t) || dlt_check_overlap("uniform_", t, NULL)) return -1;
  if (!(a <= b)) return dlt_failn("uniform_: expects a <= b, got a=%g, b=%g", a, b);
  /* a + (b - a) * u: an infinite bound or width gives NaN or infinity, not numbers */
  if (!isfinite(b - a)) return dlt_failn("uniform_: the range [%g, %g] must be finite", a, b);
  g = gen(g);
  two p = {a, b, g};
  if (!dlt_is_contiguous(t)) return fill(t, f_uniform, &p);
  if (t->dtype == DLT_FLOAT32) BY_ISA(uniform_fill_float, g->s, dlt_data(t), dlt_numel(t), a, b);
  else BY_ISA(uniform_fill_double, g->s, dlt_data(t), dlt_numel(t), a, b);
  dlt_bump_version(t);
  return 0;
}
int dlt_generator_normal_(dlt_generator *g, dlt_tensor *t, double mean, double std) {
  if (dlt_check_floating("normal_", t) || dlt_check_overlap("normal_", t, NULL)) return -1;
  if (!(std >= 0)) return dlt_failn("normal_: expects std >= 0, got %g", std);
  /* an infinite mean or std fills the tensor with infinities and NaN: refused, as uniform_'s range */
  if (!isfinite(mean) || !isfinite(std)) return dlt_failn("normal_: mean %g and std %g must be finite", mean, std);
  g = gen(g);
  two p = {mean, std, g};
  if (!dlt_is_contiguous(t)) return fill(t, f_normal, &p);
  if (!zig_ready) zig_init();
  if (t->dtype == DLT_FLOAT32) BY_ISA(normal_fill_float, g->s, dlt_data(t), dlt_numel(t), mean, std);
  else BY_ISA(normal_fill_double, g->s, dlt_data(t), dlt_numel(t), mean, std);
  dlt_bump_version(t);
  return 0;
}
int dlt_generator_bernoulli_(dlt_generator *g, dlt_tensor *t, double prob) {
  if (dlt_check_overlap("bernoulli_", t, NULL)) return -1;
  if (!(prob >= 0 && prob <= 1)) return dlt_failn("bernoulli_: expects 0 <= p <= 1, got %g", prob);
  two p = {prob, 0, g};
  return fill(t, f_bernoulli, &p);
}
int dlt_generator_exponential_(dlt_generator *g, dlt_tensor *t, double rate) {
  if (dlt_check_floating("exponential_", t) || dlt_check_overlap("exponential_", t, NULL)) return -1;
  if (!(rate > 0)) return dlt_failn("exponential_: expects rate > 0, got %g", rate);
  two p = {rate, 0, g};
  return fill(t, f_exponential, &p);
}
int dlt_generator_laplace_(dlt_generator *g, dlt_tensor *t, double loc, double scale) {
  if (dlt_check_floating("laplace", t) || dlt_check_overlap("laplace_", t, NULL)) return -1;
  if (!(scale > 0)) return dlt_failn("laplace: expects scale > 0, got %g", scale);
  two p = {loc, scale, g};
  return fill(t, f_laplace, &p);
}
int dlt_generator_randint_(dlt_generator *g, dlt_tensor *t, int64_t lo, int64_t hi) {
  if (dlt_check_overlap("random_", t, NULL)) return -1;
  if (hi <= lo) return dlt_failn("randint: expects low < high, got low=%lld, high=%lld", (long long)lo, (long long)hi);
  two p = {(double)lo, (double)hi, g};
  return fill(t, f_randint, &p);
}

/* Fisher-Yates with j = dlt_generator_below(g, i + 1), the same draws: a draw x is
 * rejected when x >= lim = 2^64-1 - (2^64-1) % m, and lim >= 2^64 - m, so below that no
 * division decides it (the generator, once seeded, is never all zero again) */
void dlt_generator_randperm_into(dlt_generator *g, int64_t *p, int64_t n) {
  for (int64_t i = 0; i < n; i++) p[i] = i;
  g = gen(g);
  for (int64_t i = n - 1; i > 0; i--) {
    uint64_t m = (uint64_t)i + 1, x;
    do x = step(g->s);
    while (x >= 0 - m && x >= UINT64_MAX - UINT64_MAX % m);
    int64_t j = (int64_t)(x % m), s = p[i];
    p[i] = p[j];
    p[j] = s;
  }
}

int64_t *dlt_generator_randperm_idx(dlt_generator *g, int64_t n) {
  if (n < 0) return dlt_fail("randperm: n must be non-negative, got %lld", (long long)n);
  int64_t *p = dlt_calloc((size_t)n, sizeof *p);
  if (p) dlt_generator_randperm_into(g, p, n);
  return p;
}

/* ---- the default generator's ---- */

void dlt_manual_seed(uint64_t seed) { dlt_generator_seed(&G0, seed); }
uint64_t dlt_initial_seed(void) { return G0.seed; }
uint64_t dlt_rand_u64(void) { return dlt_generator_u64(NULL); }
double dlt_rand_uniform(void) { return dlt_generator_uniform(NULL); }
double dlt_rand_normal(void) { return dlt_generator_normal(NULL); }
int64_t dlt_rand_below(int64_t n) { return dlt_generator_below(NULL, n); }
int dlt_uniform_(dlt_tensor *t, double a, double b) { return dlt_generator_uniform_(NULL, t, a, b); }
int dlt_normal_(dlt_tensor *t, double mean, double std) { return dlt_generator_normal_(NULL, t, mean, std); }
int dlt_bernoulli_(dlt_tensor *t, double p) { return dlt_generator_bernoulli_(NULL, t, p); }
int dlt_exponential_(dlt_tensor *t, double rate) { return dlt_generator_exponential_(NULL, t, rate); }
int dlt_laplace_(dlt_tensor *t, double loc, double scale) { return dlt_generator_laplace_(NULL, t, loc, scale); }
int dlt_randint_(dlt_tensor *t, int64_t lo, int64_t hi) { return dlt_generator_randint_(NULL, t, lo, hi); }
int64_t *dlt_randperm_idx(int64_t n) { return dlt_generator_randperm_idx(NULL, n); }
void dlt_randperm_into(int64_t *p, int64_t n) { dlt_generator_randperm_into(NULL, p, n); }

/* ---- dropout's eight xoshiro128** streams (random.h) ---- */


void dlt_rng8_seed(dlt_rng8 *r, dlt_generator *g) {
  uint64_t *s = gen(g)->s;
  for (int v = 0; v < 2; v++)
    for (int l = 0; l < 4; l++) {
      uint64_t a = step(s), b = step(s);
      r->s[v][0][l] = (uint32_t)a | 1u; /* never the all-zero state */
      r->s[v][1][l] = (uint32_t)(a >> 32);
      r->s[v][2][l] = (uint32_t)b;
      r->s[v][3][l] = (uint32_t)(b >> 32);
    }
}

/* xoshiro128**: r = rotl(s1*5, 7)*9, then the state's xor-shift step; the multiplies by
 * 5 and 9 as shift-adds. Both sets of four streams step side by side as one vector of
 * 8 lanes (one AVX2 register): lanes 0-3 are r->s[0], 4-7 r->s[1], so each step's 8
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

DLT_VEC_CLONES void dlt_rng8_fill24(dlt_rng8 *r, int32_t *out, int64_t n) {
  /* the halves join and part in registers: two 16-byte stores read back as one 32-byte
   * load cannot be forwarded and stalled every call (an eighth of dropout's time) */
  rng_v8u s[4];
#if defined(__clang__) || __GNUC__ >= 12
  for (int k = 0; k < 4; k++) s[k] = __builtin_shufflevector(r->s[0][k], r->s[1][k], 0, 1, 2, 3, 4, 5, 6, 7);
#else
  for (int k = 0; k < 4; k++) {
    memcpy((char *)&s[k], &r->s[0][k], 16);
    memcpy((char *)&s[k] + 16, &r->s[1][k], 16);
  }
#endif
  for (int64_t j = 0; j < n; j += 8) {
    rng_v8u r;
    rng_step(s, &r);
    memcpy(out + j, &r, sizeof r);
  }
#if defined(__clang__) || __GNUC__ >= 12
  for (int k = 0; k < 4; k++) {
    r->s[0][k] = __builtin_shufflevector(s[k], s[k], 0, 1, 2, 3);
    r->s[1][k] = __builtin_shufflevector(s[k], s[k], 4, 5, 6, 7);
  }
#else
  for (int k = 0; k < 4; k++) {
    memcpy(&r->s[0][k], (char *)&s[k], 16);
    memcpy(&r->s[1][k], (char *)&s[k] + 16, 16);
  }
#endif
}
