/* random.h: the one global generator (xoshiro256**) and the distributions drawn from it.
 * dlt_manual_seed makes every later draw repeat bit for bit. */
#ifndef DLT_RANDOM_H
#define DLT_RANDOM_H

#include <stdint.h>

#include "core/tensor.h"

void dlt_manual_seed(uint64_t seed);
uint64_t dlt_initial_seed(void);
/* generator state, for saving and restoring around code that must not disturb it */
typedef struct { uint64_t s[4]; } dlt_rng_state;
void dlt_rng_get_state(dlt_rng_state *st);
void dlt_rng_set_state(const dlt_rng_state *st);

uint64_t dlt_rand_u64(void);
double dlt_rand_uniform(void);         /* [0, 1) with 53 random bits */
double dlt_rand_normal(void);          /* standard normal */
int64_t dlt_rand_below(int64_t n);     /* uniform in [0, n), unbiased */

/* in place fills; each bumps the version */
int dlt_uniform_(dlt_tensor *t, double a, double b);
int dlt_normal_(dlt_tensor *t, double mean, double std);
int dlt_bernoulli_(dlt_tensor *t, double p);
int dlt_exponential_(dlt_tensor *t, double rate);
int dlt_laplace_(dlt_tensor *t, double loc, double scale);
int dlt_randint_(dlt_tensor *t, int64_t lo, int64_t hi);   /* hi exclusive */
/* a permutation of 0..n-1 */
int64_t *dlt_randperm_idx(int64_t n);

#endif
