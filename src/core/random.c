/* random.c: xoshiro256** seeded through splitmix64; ziggurat normals. */
#include <math.h>
#include <stdlib.h>

#include "core/random.h"

static uint64_t S[4];
static uint64_t seed0;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void dlt_manual_seed(uint64_t seed) {
  uint64_t x = seed;
  seed0 = seed;
  for (int i = 0; i < 4; i++) S[i] = splitmix64(&x);
}

uint64_t dlt_initial_seed(void) { return seed0; }

void dlt_rng_get_state(dlt_rng_state *st) {
  for (int i = 0; i < 4; i++) st->s[i] = S[i];
}

void dlt_rng_set_state(const dlt_rng_state *st) {
  for (int i = 0; i < 4; i++) S[i] = st->s[i];
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next(void) {
  uint64_t r = rotl(S[1] * 5, 7) * 9, t = S[1] << 17;
  S[2] ^= S[0]; S[3] ^= S[1]; S[1] ^= S[2]; S[0] ^= S[3];
  S[2] ^= t;
  S[3] = rotl(S[3], 45);
  return r;
}

/* xoshiro's all-zero state is a fixed point: an unseeded generator seeds with 0 */
static inline void ensure_seeded(void) {
  if (!(S[0] | S[1] | S[2] | S[3])) dlt_manual_seed(0);
}

uint64_t dlt_rand_u64(void) {
  ensure_seeded();
  return next();
}

/* [0, 1) from the top 53 bits */
static inline double uniform(void) { return (double)(next() >> 11) * 0x1.0p-53; }

double dlt_rand_uniform(void) {
  ensure_seeded();
  return uniform();
}

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

static double normal_slow(int i, double z, double sign) {
  for (;;) {
    if (i == 0) {  /* the tail beyond R, by Marsaglia's exponential method */
      double a, b;
      do {
        a = -log1p(-dlt_rand_uniform()) / ZIG_R;
        b = -log1p(-dlt_rand_uniform());
      } while (b + b < a * a);
      return sign * (ZIG_R + a);
    }
    if (zf[i] + dlt_rand_uniform() * (zf[i + 1] - zf[i]) < gauss_f(z)) return sign * z;
    uint64_t u = next();
    i = (int)(u & 255);
    sign = (u & 256) ? -1.0 : 1.0;
    z = (double)(u >> 11) * 0x1.0p-53 * zx[i];
    if (z < zx[i + 1]) return sign * z;
  }
}

static inline double normal(void) {
  uint64_t u = next();
  int i = (int)(u & 255);
  double sign = (u & 256) ? -1.0 : 1.0;
  double z = (double)(u >> 11) * 0x1.0p-53 * zx[i];
  return z < zx[i + 1] ? sign * z : normal_slow(i, z, sign);
}

double dlt_rand_normal(void) {
  ensure_seeded();
  if (!zig_ready) zig_init();
  return normal();
}

int64_t dlt_rand_below(int64_t n) {
  if (n <= 1) return 0;
  uint64_t un = (uint64_t)n, lim = UINT64_MAX - UINT64_MAX % un, x;
  do x = dlt_rand_u64(); while (x >= lim);
  return (int64_t)(x % un);
}

/* EXPR into every element of a contiguous t, in one flat loop per dtype */
#define FILL_CONTIGUOUS(t, EXPR)                                                    \
  do {                                                                              \
    int64_t n_ = dlt_numel(t);                                                      \
    if ((t)->dtype == DLT_FLOAT32) { float *p_ = dlt_data(t); for (int64_t i_ = 0; i_ < n_; i_++) p_[i_] = (float)(EXPR); } \
    else { double *p_ = dlt_data(t); for (int64_t i_ = 0; i_ < n_; i_++) p_[i_] = (EXPR); } \
  } while (0)

/* Draws with f into every element of t in row-major order: contiguous tensors in one
 * flat loop, views through their strides. uniform_ and normal_, the hot ones (every
 * layer's initialization), inline their draw in FILL_CONTIGUOUS instead. */
static int fill(dlt_tensor *t, double (*f)(void *), void *ud) {
  int64_t n = dlt_numel(t);
  if (dlt_is_contiguous(t)) {
    FILL_CONTIGUOUS(t, f(ud));
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

typedef struct { double a, b; } two;
static double f_uniform(void *u) { two *p = u; return p->a + (p->b - p->a) * dlt_rand_uniform(); }
static double f_normal(void *u) { two *p = u; return p->a + p->b * dlt_rand_normal(); }
static double f_bernoulli(void *u) { two *p = u; return dlt_rand_uniform() < p->a ? 1.0 : 0.0; }
static double f_exponential(void *u) { two *p = u; return -log1p(-dlt_rand_uniform()) / p->a; }
static double f_laplace(void *u) {
  two *p = u;
  double v = dlt_rand_uniform() - 0.5;  /* inverse CDF of the Laplace distribution */
  return p->a - p->b * (v < 0 ? -1.0 : 1.0) * log1p(-2.0 * fabs(v));
}
static double f_randint(void *u) { two *p = u; return p->a + (double)dlt_rand_below((int64_t)(p->b - p->a)); }

int dlt_uniform_(dlt_tensor *t, double a, double b) {
  if (!(a <= b)) return dlt_failn("uniform_: expects a <= b, got a=%g, b=%g", a, b);
  two p = {a, b};
  if (!dlt_is_contiguous(t)) return fill(t, f_uniform, &p);
  ensure_seeded();
  FILL_CONTIGUOUS(t, a + (b - a) * uniform());
  dlt_bump_version(t);
  return 0;
}
int dlt_normal_(dlt_tensor *t, double mean, double std) {
  if (!(std >= 0)) return dlt_failn("normal_: expects std >= 0, got %g", std);
  two p = {mean, std};
  if (!dlt_is_contiguous(t)) return fill(t, f_normal, &p);
  ensure_seeded();
  if (!zig_ready) zig_init();
  FILL_CONTIGUOUS(t, mean + std * normal());
  dlt_bump_version(t);
  return 0;
}
int dlt_bernoulli_(dlt_tensor *t, double prob) {
  if (!(prob >= 0 && prob <= 1)) return dlt_failn("bernoulli_: expects 0 <= p <= 1, got %g", prob);
  two p = {prob, 0};
  return fill(t, f_bernoulli, &p);
}
int dlt_exponential_(dlt_tensor *t, double rate) {
  if (!(rate > 0)) return dlt_failn("exponential_: expects rate > 0, got %g", rate);
  two p = {rate, 0};
  return fill(t, f_exponential, &p);
}
int dlt_laplace_(dlt_tensor *t, double loc, double scale) {
  if (!(scale > 0)) return dlt_failn("laplace: expects scale > 0, got %g", scale);
  two p = {loc, scale};
  return fill(t, f_laplace, &p);
}
int dlt_randint_(dlt_tensor *t, int64_t lo, int64_t hi) {
  if (hi <= lo) return dlt_failn("randint: expects low < high, got low=%lld, high=%lld", (long long)lo, (long long)hi);
  two p = {(double)lo, (double)hi};
  return fill(t, f_randint, &p);
}

int64_t *dlt_randperm_idx(int64_t n) {
  if (n < 0) return dlt_fail("randperm: n must be non-negative, got %lld", (long long)n);
  int64_t *p = dlt_calloc((size_t)n, sizeof *p);
  if (!p) return NULL;
  for (int64_t i = 0; i < n; i++) p[i] = i;
  for (int64_t i = n - 1; i > 0; i--) {  /* Fisher-Yates */
    int64_t j = dlt_rand_below(i + 1), s = p[i];
    p[i] = p[j];
    p[j] = s;
  }
  return p;
}
