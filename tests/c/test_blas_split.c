/* test_blas_split.c: a float32 product split by rows over two threads (core/blas.c,
 * core/worker.c) equals the single cblas_sgemm call bit for bit, for every
 * transposition, odd sizes and beta 0 and 1; double products (never split) too. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

static void fill(void *p, size_t n, bool f32, unsigned seed) {
  srand(seed);
  for (size_t i = 0; i < n; i++) {
    double v = (rand() / (double)RAND_MAX - 0.5) * 3;
    if (f32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
  }
}

/* the split product against one direct call, C starting from the same values */
static void check(bool f32, bool ta, bool tb, int m, int n, int k, double beta) {
  size_t es = f32 ? 4 : 8;
  int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
  void *a = malloc(es * (size_t)m * k), *b = malloc(es * (size_t)k * n);
  void *c1 = malloc(es * (size_t)m * n), *c2 = malloc(es * (size_t)m * n);
  fill(a, (size_t)m * k, f32, 1);
  fill(b, (size_t)k * n, f32, 2);
  fill(c1, (size_t)m * n, f32, 3);
  memcpy(c2, c1, es * (size_t)m * n);
  enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if (f32)
    cblas_sgemm(CblasRowMajor, TA, TB, m, n, k, 0.75f, a, lda, b, ldb, (float)beta, c1, ldc);
  else
    cblas_dgemm(CblasRowMajor, TA, TB, m, n, k, 0.75, a, lda, b, ldb, beta, c1, ldc);
  dlt_gemm_rows(f32, ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, c2, ldc);
  cr_assert(memcmp(c1, c2, es * (size_t)m * n) == 0, "%s %c%c %dx%dx%d beta %g: split product differs",
            f32 ? "f32" : "f64", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, beta);
  free(a), free(b), free(c1), free(c2);
}

Test(blas_split, equals_one_call_bit_for_bit) {
  /* the last two: the shared CNN's first linear layer, forward and input gradient (64
   * rows, split 32 + 32 in 16-row panels) */
  const int shapes[][3] = {{100, 256, 256}, {101, 257, 129}, {40000 / 64, 64, 32}, {33, 1000, 70}, {512, 3, 2000}, {64, 128, 3136}, {64, 3136, 128}};
  for (int s = 0; s < 7; s++)
    for (int t = 0; t < 4; t++)
      for (int f = 0; f < 2; f++)
        for (int z = 0; z < 2; z++)
          check(f == 0, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], z ? 1.0 : 0.0);
}

Test(blas_split, odd_row_counts_equal_one_call) {
  const int ms[] = {32, 48, 63, 96, 97, 101, 128, 130, 143, 255, 1001}, nk[][2] = {{257, 129}, {64, 300}, {7, 513}};
  for (int i = 0; i < 11; i++)
    for (int j = 0; j < 3; j++)
      for (int f = 0; f < 2; f++)
        for (int t = 0; t < 4; t++) check(f == 0, t & 1, t & 2, ms[i], nk[j][0], nk[j][1], 0.0);
}

Test(blas_split, repeated_products_reuse_the_helper) {
  for (int i = 0; i < 200; i++) check(true, false, true, 100, 256, 256, 0.0);
}
