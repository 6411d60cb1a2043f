/* bench_batchnorm.c: BatchNorm2d's float32 kernels, training forward (ReLU fused) and
 * backward (the mask recomputed), on the shared CNN's two activations, against a copy of
 * the same bytes: warm (the data just used, in L3) and cold (64 MB written between runs,
 * so the data comes from memory). One thread; best of 30 runs.
 * Run: build/bench/bench_batchnorm */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kernels.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { JUNK = 64 << 20,
       RUNS = 30 };

static void flush(char *junk, int r) {
  if (junk) memset(junk, r, JUNK);
}

/* the best times in ms of forward, backward and a copy of x, over RUNS runs */
static void measure(long N, long C, long L, char *junk, double t[3]) {
  size_t n = (size_t)(N * C * L);
  float *x = malloc(4 * n), *y = malloc(4 * n), *dy = malloc(4 * n), *dx = malloc(4 * n);
  float *p = calloc(8 * (size_t)C, sizeof *p);
  double *ws = malloc(sizeof(double) * 7 * (size_t)C);
  if (!x || !y || !dy || !dx || !p || !ws) {
    fprintf(stderr, "bench_batchnorm: out of memory\n");
    exit(1);
  }
  float *w = p, *b = p + C, *mean = p + 2 * C, *rstd = p + 3 * C, *rm = p + 4 * C, *rv = p + 5 * C, *dw = p + 6 * C,
        *db = p + 7 * C;
  srand(1);
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)rand() / (float)RAND_MAX - 0.3f;
    dy[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  }
  for (long c = 0; c < C; c++) w[c] = rv[c] = 1;
  t[0] = t[1] = t[2] = 1e9;
  for (int r = 0; r < RUNS; r++) {
    flush(junk, r);
    double t0 = now();
    /* ws[0..2C): the forward's scale and bias, which the backward reads as ab */
    dlt_k_batchnorm2d_fwd_train_f32(y, 1, mean, rstd, rm, rv, x, w, b, N, C, L, 0, C, 1e-5, 0.1, ws);
    double t1 = now();
    flush(junk, r);
    double t2 = now();
    dlt_k_batchnorm2d_bwd_f32(dx, dw, db, dy, NULL, ws, x, w, mean, rstd, N, C, L, 0, C, 1, ws + 2 * C);
    double t3 = now();
    flush(junk, r);
    double t4 = now();
    memcpy(dx, x, 4 * n);
    double t5 = now();
    if (t1 - t0 < t[0]) t[0] = t1 - t0;
    if (t3 - t2 < t[1]) t[1] = t3 - t2;
    if (t5 - t4 < t[2]) t[2] = t5 - t4;
  }
  for (int k = 0; k < 3; k++) t[k] *= 1e3;
  free(x), free(y), free(dy), free(dx), free(p), free(ws);
}

int main(void) {
  const long shapes[2][3] = {{64, 32, 28 * 28}, {64, 64, 14 * 14}};
  char *junk = malloc(JUNK);
  if (!junk) return 1;
  printf("BatchNorm2d float32, one thread, best of %d (ms)\n", RUNS);
  for (int s = 0; s < 2; s++)
    for (int cold = 0; cold < 2; cold++) {
      double t[3];
      measure(shapes[s][0], shapes[s][1], shapes[s][2], cold ? junk : NULL, t);
      printf("  (%ld,%ld,%ld) %s: forward %.3f, backward %.3f, copy of x %.3f\n", shapes[s][0], shapes[s][1],
             shapes[s][2], cold ? "cold" : "warm", t[0], t[1], t[2]);
    }
  free(junk);
  return 0;
}
