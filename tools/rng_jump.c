/* rng_jump.c: derives the jump-ahead constants of core/random.c's lanes. xoshiro256**'s
 * state moves by a linear map T over GF(2)^256; Berlekamp-Massey on 512 output bits of
 * the state gives T's characteristic polynomial P, and x^(j*4096) mod P (by squaring and
 * multiplying polynomials over GF(2)) is the polynomial J_j with T^(j*4096) = J_j(T),
 * printed as four 64-bit words (bit b of word w: the coefficient of x^(64w+b)). Each
 * J_j is checked against 4096 j plain steps from a random state. With a file argument
 * (src/core/random.c) it fails unless the file holds the printed constants.
 * Build: cc -O2 -o rng_jump tools/rng_jump.c (ctest runs it as tool_rng_jump). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANE_LEN 4096
#define W 9 /* words of a polynomial: degree < 576 holds a product of two of degree < 256 */

typedef struct {
  uint64_t w[W];
} poly;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static void step(uint64_t s[4]) {
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
}

static int bit(const poly *p, int i) { return (int)((p->w[i >> 6] >> (i & 63)) & 1); }
static void flip(poly *p, int i) { p->w[i >> 6] ^= 1ULL << (i & 63); }
static int degree(const poly *p) {
  for (int i = W * 64 - 1; i >= 0; i--)
    if (bit(p, i)) return i;
  return -1;
}

/* the connection polynomial C (C[0] = 1) of the shortest LFSR making s[0..n) */
static int berlekamp_massey(const int *s, int n, poly *C) {
  poly B = {{0}}, T;
  memset(C, 0, sizeof *C);
  C->w[0] = B.w[0] = 1;
  int L = 0, m = 1;
  for (int k = 0; k < n; k++) {
    int d = s[k];
    for (int i = 1; i <= L; i++) d ^= bit(C, i) & s[k - i];
    if (!d) {
      m++;
      continue;
    }
    T = *C;
    for (int i = 0; i + m < W * 64; i++)
      if (bit(&B, i)) flip(C, i + m);
    if (2 * L <= k) {
      L = k + 1 - L;
      B = T;
      m = 1;
    } else m++;
  }
  return L;
}

/* r = a b mod P (a, b of degree < 256, P of degree 256) */
static void mulmod(const poly *a, const poly *b, const poly *P, poly *r) {
  poly t = {{0}};
  for (int i = 0; i < 256; i++)
    if (bit(a, i))
      for (int k = 0; k < 5; k++) { /* t ^= b << i */
        uint64_t v = b->w[k];
        int q = i >> 6, sh = i & 63;
        t.w[k + q] ^= v << sh;
        if (sh) t.w[k + q + 1] ^= v >> (64 - sh);
      }
  for (int d = degree(&t); d >= 256; d = degree(&t))
    for (int i = 0; i <= 256; i++)
      if (bit(P, i)) flip(&t, i + d - 256);
  *r = t;
}

/* x^e mod P */
static void xpow(long e, const poly *P, poly *r) {
  poly base = {{0}}, acc = {{0}};
  base.w[0] = 2; /* x */
  acc.w[0] = 1;
  for (; e; e >>= 1) {
    if (e & 1) mulmod(&acc, &base, P, &acc);
    mulmod(&base, &base, P, &base);
  }
  *r = acc;
}

int main(int argc, char **argv) {
  uint64_t s[4] = {0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL, 1};
  int seq[512];
  for (int k = 0; k < 512; k++) {
    seq[k] = (int)(s[0] & 1);
    step(s);
  }
  poly C, P = {{0}};
  int L = berlekamp_massey(seq, 512, &C);
  if (L != 256) {
    fprintf(stderr, "rng_jump: linear complexity %d, expected 256\n", L);
    return 1;
  }
  for (int i = 0; i <= 256; i++)
    if (bit(&C, i)) flip(&P, 256 - i); /* P(x) = x^256 C(1/x) */
  char text[3][4][24];
  for (int j = 1; j <= 3; j++) {
    poly J;
    xpow((long)j * LANE_LEN, &P, &J);
    /* check: sum over the bits b of J of T^b s0 equals T^(j 4096) s0 */
    uint64_t s0[4] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL};
    uint64_t t[4], acc[4] = {0}, want[4];
    memcpy(t, s0, sizeof t);
    for (int b = 0; b < 256; b++) {
      if (bit(&J, b))
        for (int q = 0; q < 4; q++) acc[q] ^= t[q];
      step(t);
    }
    memcpy(want, s0, sizeof want);
    for (long k = 0; k < (long)j * LANE_LEN; k++) step(want);
    if (memcmp(acc, want, sizeof acc)) {
      fprintf(stderr, "rng_jump: J_%d does not jump %d steps\n", j, j * LANE_LEN);
      return 1;
    }
    printf("    {");
    for (int w = 0; w < 4; w++) {
      snprintf(text[j - 1][w], sizeof text[j - 1][w], "0x%016llxULL", (unsigned long long)J.w[w]);
      printf("%s%s", w ? ", " : "", text[j - 1][w]);
    }
    printf("}%s\n", j < 3 ? "," : "");
  }
  if (argc > 1) { /* the constants must be the ones the file uses */
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
      fprintf(stderr, "rng_jump: cannot open %s\n", argv[1]);
      return 1;
    }
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    for (int j = 0; j < 3; j++)
      for (int w = 0; w < 4; w++)
        if (!strstr(buf, text[j][w])) {
          fprintf(stderr, "rng_jump: %s lacks %s\n", argv[1], text[j][w]);
          return 1;
        }
    printf("1 passed, 0 failed\n");
  }
  return 0;
}
