/* bench_matmul.c: dlt_matmul against a direct cblas_sgemm on 1024x1024 float32 (target:
 * within 5%). dlt_matmul returns a new matrix, so the fair baseline is cblas_sgemm into a
 * freshly allocated buffer; sgemm into a reused buffer is shown too. Median of runs.
 * Run: build/bench/bench_matmul [n=1024] [reps=21] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <cblas.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ops.h"
#include "core/random.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return v[n / 2];
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1024, reps = argc > 2 ? atoi(argv[2]) : 21;
  if (n < 1 || reps < 1 || reps > 1000) {
    fprintf(stderr, "usage: bench_matmul [n=1024] [reps=21]\n");
    return 1;
  }
  /* the allocator settings dltlua uses (src/dltlua.c), so freed results are reused */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  int64_t shape[2] = {n, n};
  dlt_manual_seed(0);
  dlt_tensor *a = dlt_empty(2, shape, DLT_FLOAT32), *b = dlt_empty(2, shape, DLT_FLOAT32);
  dlt_tensor *c = dlt_zeros(2, shape, DLT_FLOAT32);
  if (!a || !b || !c) {
    fprintf(stderr, "bench_matmul: %s\n", dlt_error());
    return 1;
  }
  dlt_uniform_(a, -1, 1);
  dlt_uniform_(b, -1, 1);
  double *tb = malloc(sizeof(double) * (size_t)reps), *td = malloc(sizeof(double) * (size_t)reps);
  double *tf = malloc(sizeof(double) * (size_t)reps);
  if (!tb || !td || !tf) return 1;
  size_t bytes = sizeof(float) * (size_t)n * (size_t)n;
  float *pa = dlt_data(a), *pb = dlt_data(b), *pc = dlt_data(c);
  /* warm up both paths (thread pool start-up, page faults) */
  for (int w = 0; w < 3; w++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n);
    dlt_release(dlt_matmul(a, b));
  }
  /* interleaved, so drifts in clock speed hit both alike */
  for (int r = 0; r < reps; r++) {
    /* dlt stops OpenBLAS's workers after each product; the direct calls get them
     * back, outside the timed region, so both sides run on the same thread count */
    openblas_set_num_threads(dlt_blas_num_threads());
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n);
    double t1 = now();
    dlt_tensor *d = dlt_matmul(a, b);
    double t2 = now();
    float *f = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!f) return 1;
    openblas_set_num_threads(dlt_blas_num_threads());
    double t2b = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, f, n);
    double t3 = now();
    free(f);
    if (!d) {
      fprintf(stderr, "bench_matmul: %s\n", dlt_error());
      return 1;
    }
    if (r == 0 && memcmp(dlt_data(d), pc, sizeof(float) * (size_t)n * (size_t)n) != 0)
      fprintf(stderr, "bench_matmul: warning: dlt_matmul and cblas_sgemm results differ\n");
    dlt_release(d);
    tb[r] = t1 - t0;
    td[r] = t2 - t1;
    tf[r] = t3 - t2b;
  }
  double mb = median(tb, reps), md = median(td, reps), mf = median(tf, reps), flop = 2.0 * n * (double)n * n;
  printf("matmul %dx%d float32, median of %d runs, %d BLAS threads\n", n, n, reps, dlt_blas_num_threads());
  printf("  cblas_sgemm, reused output     %8.3f ms  %6.1f GFLOP/s\n", mb * 1e3, flop / mb * 1e-9);
  printf("  cblas_sgemm, new output        %8.3f ms  %6.1f GFLOP/s\n", mf * 1e3, flop / mf * 1e-9);
  printf("  dlt_matmul (new output)        %8.3f ms  %6.1f GFLOP/s\n", md * 1e3, flop / md * 1e-9);
  printf("  dlt_matmul / sgemm new output  %8.3f  (%+.1f%%)\n", md / mf, (md / mf - 1) * 100);
  printf("  dlt_matmul / sgemm reused      %8.3f  (%+.1f%%)\n", md / mb, (md / mb - 1) * 100);
  free(tb);
  free(td);
  free(tf);
  dlt_release(a);
  dlt_release(b);
  dlt_release(c);
  return 0;
}
