/* random.c: xoshiro256** seeded through splitmix64; Marsaglia polar normals. */
#include <math.h>
#include <stdlib.h>

#include "core/random.h"

static uint64_t S[4];
static int has_spare;
static double spare;
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
  has_spare = 0;
}

uint64_t dlt_initial_seed(void) { return seed0; }

void dlt_rng_get_state(dlt_rng_state *st) {
  for (int i = 0; i < 4; i++) st->s[i] = S[i];
  st->has_spare = has_spare;
  st->spare = spare;
}

void dlt_rng_set_state(const dlt_rng_state *st) {
  for (int i = 0; i < 4; i++) S[i] = st->s[i];
  has_spare = st->has_spare;
  spare = st->spare;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t dlt_rand_u64(void) {
  if (!(S[0] | S[1] | S[2] | S[3])) dlt_manual_seed(0);
  uint64_t r = rotl(S[1] * 5, 7) * 9, t = S[1] << 17;
  S[2] ^= S[0]; S[3] ^= S[1]; S[1] ^= S[2]; S[0] ^= S[3];
  S[2] ^= t;
  S[3] = rotl(S[3], 45);
  return r;
}

double dlt_rand_uniform(void) { return (double)(dlt_rand_u64() >> 11) * 0x1.0p-53; }

/* Marsaglia's polar method: two normals per accepted pair, no trigonometry. */
double dlt_rand_normal(void) {
  if (has_spare) { has_spare = 0; return spare; }
  double u, v, s;
  do {
    u = 2.0 * dlt_rand_uniform() - 1.0;
    v = 2.0 * dlt_rand_uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double m = sqrt(-2.0 * log(s) / s);
  spare = v * m;
  has_spare = 1;
  return u * m;
}

int64_t dlt_rand_below(int64_t n) {
  if (n <= 1) return 0;
  uint64_t un = (uint64_t)n, lim = UINT64_MAX - UINT64_MAX % un, x;
  do x = dlt_rand_u64(); while (x >= lim);
  return (int64_t)(x % un);
}

/* Draws with f into every element of t in row-major order: contiguous tensors in one
 * flat loop, views through their strides. */
static int fill(dlt_tensor *t, double (*f)(void *), void *ud) {
  int64_t n = dlt_numel(t);
  if (dlt_is_contiguous(t)) {
    if (t->dtype == DLT_FLOAT32) { float *p = dlt_data(t); for (int64_t i = 0; i < n; i++) p[i] = (float)f(ud); }
    else { double *p = dlt_data(t); for (int64_t i = 0; i < n; i++) p[i] = f(ud); }
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
  return fill(t, f_uniform, &p);
}
int dlt_normal_(dlt_tensor *t, double mean, double std) {
  if (!(std >= 0)) return dlt_failn("normal_: expects std >= 0, got %g", std);
  two p = {mean, std};
  return fill(t, f_normal, &p);
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
