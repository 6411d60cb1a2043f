/* random.h: the generator (xoshiro256** seeded through splitmix64) as a value, as
 * Torch7's TH passes a THGenerator: every draw and fill takes one (NULL: the default
 * generator, the one global generator of the Lua API), and repeats bit for bit after
 * the same seed or state. */
#ifndef DLT_RANDOM_H
#define DLT_RANDOM_H

#include <stdint.h>

#include "core/tensor.h"

typedef struct dlt_generator {
  uint64_t s[4]; /* all zero: not seeded yet (the first draw seeds with 0) */
  uint64_t seed; /* the last seed given */
} dlt_generator;

/* The global generator (dlt.manual_seed, dlt.random.get_rng_state, every Lua draw). */
dlt_generator *dlt_default_generator(void);
void dlt_generator_seed(dlt_generator *g, uint64_t seed);
/* The state as four words, to save and restore (PyTorch's get/set_rng_state); set
 * refuses the all-zero state, which xoshiro never leaves. */
void dlt_generator_get_state(dlt_generator *g, uint64_t state[4]);
int dlt_generator_set_state(dlt_generator *g, const uint64_t state[4]);

uint64_t dlt_generator_u64(dlt_generator *g);
double dlt_generator_uniform(dlt_generator *g);           /* [0, 1) with 53 random bits */
double dlt_generator_normal(dlt_generator *g);            /* standard normal */
int64_t dlt_generator_below(dlt_generator *g, int64_t n); /* uniform in [0, n), unbiased */

/* in place fills from g (NULL: the default); each bumps the version */
int dlt_generator_uniform_(dlt_generator *g, dlt_tensor *t, double a, double b);
int dlt_generator_normal_(dlt_generator *g, dlt_tensor *t, double mean, double std);
int dlt_generator_bernoulli_(dlt_generator *g, dlt_tensor *t, double p);
int dlt_generator_exponential_(dlt_generator *g, dlt_tensor *t, double rate);
int dlt_generator_laplace_(dlt_generator *g, dlt_tensor *t, double loc, double scale);
int dlt_generator_randint_(dlt_generator *g, dlt_tensor *t, int64_t lo, int64_t hi); /* hi exclusive */
/* a permutation of 0..n-1, in a new buffer or written into p (n values) */
int64_t *dlt_generator_randperm_idx(dlt_generator *g, int64_t n);
void dlt_generator_randperm_into(dlt_generator *g, int64_t *p, int64_t n);

/* The same from the default generator. */
void dlt_manual_seed(uint64_t seed);
uint64_t dlt_initial_seed(void);
uint64_t dlt_rand_u64(void);
double dlt_rand_uniform(void);
double dlt_rand_normal(void);
int64_t dlt_rand_below(int64_t n);
int dlt_uniform_(dlt_tensor *t, double a, double b);
int dlt_normal_(dlt_tensor *t, double mean, double std);
int dlt_bernoulli_(dlt_tensor *t, double p);
int dlt_exponential_(dlt_tensor *t, double rate);
int dlt_laplace_(dlt_tensor *t, double loc, double scale);
int dlt_randint_(dlt_tensor *t, int64_t lo, int64_t hi);
int64_t *dlt_randperm_idx(int64_t n);
void dlt_randperm_into(int64_t *p, int64_t n);

/* Eight xoshiro128** streams stepped side by side in vector registers (GCC vector
 * extensions), seeded from a generator (NULL: the default) so that a seed repeats them:
 * dropout's masks. fill24 writes n (a multiple of 8) 24-bit uniform integers. */
typedef uint32_t dlt_v4u __attribute__((vector_size(16)));
typedef struct {
  dlt_v4u s[2][4];
} dlt_rng8;
void dlt_rng8_seed(dlt_rng8 *r, dlt_generator *g);
void dlt_rng8_fill24(dlt_rng8 *r, int32_t *out, int64_t n);

/* Which build of the bulk fills runs: 2 AVX-512 (x86-64-v4), 1 AVX2, 0 generic. The
 * CPU decides, unless the environment variable DLT_RNG_GENERIC=1 forces the generic
 * one (so one machine can test both; every build draws the same stream). */
int dlt_rng_isa(void);

#endif
