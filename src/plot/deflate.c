/* deflate.c: zlib streams (RFC 1950/1951) for PNG scanlines, made for rendered plots:
 * LZ77 that tries at most three matches per byte (the pixel to the left, the one
 * above, the last place of the same 4 bytes), then dynamic Huffman blocks: on the
 * notebook's figures faster than zlib's fastest level and smaller than its level 2
 * (bench/README.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

#define MAXTOK 32768 /* tokens per block */
#define OUTCAP 65536 /* compressed bytes handed to the sink at a time */
#define NLIT 286
#define NDIST 30
#define NCL 19
#define HBITS 14 /* hash table of 4-byte strings */

/* ---- Adler-32: s1 = 1 + sum b, s2 = sum of the s1 after each byte, mod 65521 ---- */

/* Blocks of 32 x 173 bytes keep the unreduced sums below 2^32. Within a block of K
 * rows of 32 bytes, b[32k+j] is counted in s2 (32(K-k) - j) times. The per-lane loops
 * vectorize. */
uint32_t dlt_adler32(uint32_t adler, const unsigned char *p, size_t n) {
  uint32_t s1 = adler & 0xffff, s2 = adler >> 16;
  while (n >= 32) {
    size_t rows = n / 32 < 173 ? n / 32 : 173;
    uint32_t a[32] = {0}, c[32] = {0};
    for (size_t k = 0; k < rows; k++, p += 32)
      for (int j = 0; j < 32; j++) c[j] += a[j], a[j] += p[j];
    uint32_t sa = 0, sw = 0;
    for (int j = 0; j < 32; j++) sa += a[j], sw += 32 * (c[j] + a[j]) - (uint32_t)j * a[j];
    s2 = (uint32_t)((s2 + (uint64_t)s1 * 32 * rows + sw) % 65521);
    s1 = (s1 + sa) % 65521;
    n -= rows * 32;
  }
  for (; n; n--) s1 += *p++, s2 += s1;
  return (s2 % 65521) << 16 | (s1 % 65521);
}

/* ---- the output: bits LSB first, bytes to the sink in pieces ---- */
typedef struct {
  uint64_t acc;
  int nb, err;
  size_t n;
  unsigned char *buf;
  dlt_zlib_sink sink;
  void *ctx;
} bitout;

static void flush(bitout *o) {
  if (o->n && !o->err && o->sink(o->ctx, o->buf, o->n) != 0) o->err = 1;
  o->n = 0;
}

/* n <= 32 bits; the buffer always has room for the 4 bytes a put may store */
static inline void put(bitout *o, uint32_t bits, int n) {
  o->acc |= (uint64_t)bits << o->nb;
  o->nb += n;
  if (o->nb >= 32) {
    uint32_t w = (uint32_t)o->acc;
    unsigned char *d = o->buf + o->n;
    d[0] = (unsigned char)w, d[1] = (unsigned char)(w >> 8), d[2] = (unsigned char)(w >> 16), d[3] = (unsigned char)(w >> 24);
    o->n += 4, o->acc >>= 32, o->nb -= 32;
    if (o->n > OUTCAP - 8) flush(o);
  }
}

/* pads to a byte boundary and writes out what is pending */
static void put_align(bitout *o) {
  while (o->nb > 0) {
    o->buf[o->n++] = (unsigned char)o->acc;
    o->acc >>= 8, o->nb = o->nb > 8 ? o->nb - 8 : 0;
  }
  o->acc = 0;
}

/* ---- Huffman codes ---- */
static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* depths of the leaves of a Huffman tree over the n weights sorted ascending in w,
 * built with two queues (leaves, and internal nodes, which come out in weight order) */
static int tree_depths(const uint64_t *w, int n, uint8_t *depth) {
  uint64_t nw[2 * NLIT];
  int parent[2 * NLIT];
  int li = 0, ii = n, next = n;
  for (; next < 2 * n - 1; next++) {
    int pick[2];
    for (int k = 0; k < 2; k++) {
      /* the lighter of the next leaf and the next internal node; leaves win ties */
      if (li < n && (ii >= next || (w[li] >> 16) <= nw[ii])) pick[k] = li++;
      else pick[k] = ii++;
    }
    uint64_t a = pick[0] < n ? w[pick[0]] >> 16 : nw[pick[0]];
    uint64_t b = pick[1] < n ? w[pick[1]] >> 16 : nw[pick[1]];
    nw[next] = a + b;
    parent[pick[0]] = parent[pick[1]] = next;
  }
  int d[2 * NLIT], maxd = 0;
  d[2 * n - 2] = 0;
  for (int k = 2 * n - 3; k >= 0; k--) d[k] = d[parent[k]] + 1;
  for (int k = 0; k < n; k++) depth[k] = (uint8_t)d[k], maxd = d[k] > maxd ? d[k] : maxd;
  return maxd;
}

/* lengths (at most maxbits) of a prefix code for freq[0..n), at least two symbols
 * coded so that the code is complete; frequencies are halved until the tree fits */
static void huff_lengths(const uint32_t *freq, int n, int maxbits, uint8_t *len) {
  uint32_t f[NLIT];
  int used = 0;
  for (int i = 0; i < n; i++) f[i] = freq[i], used += f[i] > 0;
  for (int i = 0; used < 2 && i < n; i++)
    if (!f[i]) f[i] = 1, used++;
  memset(len, 0, (size_t)n);
  for (;;) {
    uint64_t w[NLIT]; /* weight << 16 | symbol: sorted by weight, ties by symbol */
    int m = 0;
    for (int i = 0; i < n; i++)
      if (f[i]) w[m++] = (uint64_t)f[i] << 16 | (uint64_t)i;
    qsort(w, (size_t)m, sizeof *w, cmp_u64);
    uint8_t depth[NLIT];
    if (tree_depths(w, m, depth) <= maxbits) {
      for (int k = 0; k < m; k++) len[w[k] & 0xffff] = depth[k];
      return;
    }
    for (int i = 0; i < n; i++) f[i] = f[i] ? (f[i] + 1) / 2 : 0;
  }
}

/* canonical codes from the lengths, bit-reversed for LSB-first output */
static void huff_codes(const uint8_t *len, int n, uint16_t *code) {
  int count[16] = {0}, next[16] = {0};
  for (int i = 0; i < n; i++) count[len[i]]++;
  count[0] = 0;
  for (int b = 1, c = 0; b < 16; b++) c = (c + count[b - 1]) << 1, next[b] = c;
  for (int i = 0; i < n; i++) {
    if (!len[i]) {
      code[i] = 0;
      continue;
    }
    unsigned c = (unsigned)next[len[i]]++, r = 0;
    for (int b = 0; b < len[i]; b++) r = r << 1 | ((c >> b) & 1);
    code[i] = (uint16_t)r;
  }
}

/* ---- symbols ---- */
/* length 3..258 as symbol 257..285 and extra bits: lengths 3-10 one each, then 4
 * symbols per doubling, 258 alone */
static void len_symbol(int length, int *sym, int *nextra, int *extra) {
  int l = length - 3;
  if (l < 8) {
    *sym = 257 + l, *nextra = 0, *extra = 0;
    return;
  }
  if (l == 255) {
    *sym = 285, *nextra = 0, *extra = 0;
    return;
  }
  int e = 31 - __builtin_clz((unsigned)l) - 2;
  *sym = 257 + 4 * (e + 1) + ((l >> e) & 3), *nextra = e, *extra = l & ((1 << e) - 1);
}

/* distance 1..32768 as symbol 0..29 and extra bits: 1-4 one each, then 2 per doubling */
static void dist_symbol(int dist, int *sym, int *nextra, int *extra) {
  int d = dist - 1;
  if (d < 4) {
    *sym = d, *nextra = 0, *extra = 0;
    return;
  }
  int e = 31 - __builtin_clz((unsigned)d);
  *sym = 2 * e + ((d >> (e - 1)) & 1), *nextra = e - 1, *extra = d & ((1 << (e - 1)) - 1);
}

/* ---- LZ77 ---- */
/* how many bytes (up to max) at a equal those at b */
static inline size_t match_len(const unsigned char *a, const unsigned char *b, size_t max) {
  size_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (; k + 8 <= max; k += 8) {
    uint64_t x, y;
    memcpy(&x, a + k, 8), memcpy(&y, b + k, 8);
    if (x != y) return k + (size_t)(__builtin_ctzll(x ^ y) >> 3);
  }
#endif
  while (k < max && a[k] == b[k]) k++;
  return k;
}

/* a token: a literal byte, or 1 << 31 | (length - 3) << 16 | (distance - 1) */
#define MATCH(len, dist) (1u << 31 | (uint32_t)((len)-3) << 16 | (uint32_t)((dist)-1))

typedef struct {
  uint32_t head[1 << HBITS]; /* 1 + the last position of each 4-byte hash, 0: none */
  uint32_t tok[MAXTOK];
  uint32_t lit[NLIT], dist[NDIST];
  int ntok;
} block;

/* tokens from raw[*pos..n) until the block is full. The candidates: the pixel to the
 * left (flat areas), the pixel above (repeated rows) and, where neither gives a match,
 * the last place the next 4 bytes were seen (repeated glyphs and markers). A match
 * from a row away costs about 12 bits more distance than one from the left, so it
 * must be longer to be taken. */
static inline uint32_t hash4(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return (v * 2654435761u) >> (32 - HBITS);
}

static void tokenize(block *b, const unsigned char *raw, size_t n, size_t *pos, size_t left, size_t up,
                     uint32_t *head) {
  size_t p = *pos;
  int nt = 0;
  while (p < n && nt < MAXTOK) {
    size_t max = n - p < 258 ? n - p : 258, best = 0, dist = 0;
    unsigned char c = raw[p];
    if (p >= left && raw[p - left] == c) best = match_len(raw + p, raw + p - left, max), dist = left;
    if (best < 3) best = 0;
    if (up && p >= up && best < max && raw[p - up] == c) {
      size_t l = match_len(raw + p, raw + p - up, max);
      if (l >= (best ? best + 3 : 6)) best = l, dist = up;
    }
    if (best < 3 && max >= 4) { /* only where the neighbours gave nothing */
      uint32_t hh = hash4(raw + p);
      size_t q = head[hh];
      head[hh] = (uint32_t)p + 1;
      if (q && p + 1 - q <= 32768 && raw[q - 1] == c) {
        size_t l = match_len(raw + p, raw + q - 1, max);
        if (l >= 6) best = l, dist = p + 1 - q;
      }
    }
    if (best) {
      int s, ne, ex;
      len_symbol((int)best, &s, &ne, &ex);
      b->lit[s]++;
      dist_symbol((int)dist, &s, &ne, &ex);
      b->dist[s]++;
      b->tok[nt++] = MATCH(best, dist);
      p += best;
    } else {
      b->lit[c]++;
      b->tok[nt++] = c;
      p++;
    }
  }
  b->ntok = nt;
  *pos = p;
}

/* ---- a dynamic block ---- */
static const uint8_t cl_order[NCL] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* the code lengths of both alphabets run-length coded (symbols 0..18, extra << 5) */
static int rle_lengths(const uint8_t *l, int total, uint16_t *out, uint32_t *freq) {
  int m = 0;
  for (int i = 0; i < total;) {
    int v = l[i], run = 1;
    while (i + run < total && l[i + run] == v) run++;
    i += run;
    if (v == 0) {
      for (; run >= 11;) {
        int r = run < 138 ? run : 138;
        out[m++] = (uint16_t)(18 | (r - 11) << 5), freq[18]++, run -= r;
      }
      if (run >= 3) out[m++] = (uint16_t)(17 | (run - 3) << 5), freq[17]++, run = 0;
    } else {
      out[m++] = (uint16_t)v, freq[v]++, run--;
      for (; run >= 3;) {
        int r = run < 6 ? run : 6;
        out[m++] = (uint16_t)(16 | (r - 3) << 5), freq[16]++, run -= r;
      }
    }
    for (; run > 0; run--) out[m++] = (uint16_t)v, freq[v]++;
  }
  return m;
}

static void write_block(bitout *o, block *b, int final) {
  b->lit[256]++; /* end of block */
  uint8_t len[NLIT + NDIST], cll[NCL];
  uint16_t lcode[NLIT], dcode[NDIST], clcode[NCL], rle[NLIT + NDIST];
  huff_lengths(b->lit, NLIT, 15, len);
  huff_lengths(b->dist, NDIST, 15, len + NLIT);
  int hlit = NLIT, hdist = NDIST;
  while (hlit > 257 && !len[hlit - 1]) hlit--;
  while (hdist > 1 && !len[NLIT + hdist - 1]) hdist--;
  huff_codes(len, NLIT, lcode);
  huff_codes(len + NLIT, NDIST, dcode);
  /* the lengths sent: hlit of them then hdist */
  uint8_t sent[NLIT + NDIST];
  memcpy(sent, len, (size_t)hlit), memcpy(sent + hlit, len + NLIT, (size_t)hdist);
  uint32_t clf[NCL] = {0};
  int nrle = rle_lengths(sent, hlit + hdist, rle, clf);
  huff_lengths(clf, NCL, 7, cll);
  huff_codes(cll, NCL, clcode);
  int hclen = NCL;
  while (hclen > 4 && !cll[cl_order[hclen - 1]]) hclen--;
  put(o, (uint32_t) final | 2u << 1, 3);
  put(o, (uint32_t)(hlit - 257) | (uint32_t)(hdist - 1) << 5 | (uint32_t)(hclen - 4) << 10, 14);
  for (int i = 0; i < hclen; i++) put(o, cll[cl_order[i]], 3);
  static const int cl_extra[3] = {2, 3, 7};
  for (int i = 0; i < nrle; i++) {
    int s = rle[i] & 31;
    put(o, clcode[s], cll[s]);
    if (s >= 16) put(o, (uint32_t)(rle[i] >> 5), cl_extra[s - 16]);
  }
  const uint8_t *dl = len + NLIT;
  for (int i = 0; i < b->ntok; i++) {
    uint32_t t = b->tok[i];
    if (!(t >> 31)) {
      put(o, lcode[t], len[t]);
      continue;
    }
    int s, ne, ex;
    len_symbol((int)((t >> 16) & 255) + 3, &s, &ne, &ex);
    put(o, lcode[s] | (uint32_t)ex << len[s], len[s] + ne);
    dist_symbol((int)(t & 0xffff) + 1, &s, &ne, &ex);
    put(o, dcode[s] | (uint32_t)ex << dl[s], dl[s] + ne);
  }
  put(o, lcode[256], len[256]);
}

/* Adler-32 of A then B: B's running sums started from A's s1 instead of 1, so each
 * of its n_b s1 values is s1(A) - 1 more: s1 = s1A + s1B - 1, s2 = s2A + s2B +
 * n_b (s1A - 1), mod 65521 */
uint32_t dlt_adler32_combine(uint32_t adler_a, uint32_t adler_b, size_t n_b) {
  uint64_t s1a = adler_a & 0xffff, s2a = adler_a >> 16, s1b = adler_b & 0xffff, s2b = adler_b >> 16;
  uint64_t s1 = (s1a + s1b + 65520) % 65521;
  uint64_t s2 = (s2a + s2b + (n_b % 65521) * ((s1a + 65520) % 65521)) % 65521;
  return (uint32_t)(s2 << 16 | s1);
}

enum { Z_HEAD = 1,
       Z_FINAL = 2,
       Z_TRAILER = 4 };

/* raw as blocks: the zlib header first (Z_HEAD); the last block final (Z_FINAL), else an
 * empty stored block ends the output on a byte boundary; the Adler-32 (Z_TRAILER) */
static int compress(const unsigned char *raw, size_t n, size_t left, size_t up, int flags, dlt_zlib_sink sink,
                    void *ctx) {
  if (left < 1 || left > 32768) left = 1;
  if (up > 32768) up = 0; /* beyond deflate's window */
  block *b = malloc(sizeof *b);
  bitout o = {0, 0, 0, 0, malloc(OUTCAP), sink, ctx};
  if (!b || !o.buf) {
    free(b), free(o.buf);
    return dlt_failn("savefig: cannot allocate the compressor");
  }
  memset(b->head, 0, sizeof b->head);
  if (flags & Z_HEAD) o.buf[o.n++] = 0x78, o.buf[o.n++] = 0x01; /* deflate, 32K window, no dictionary */
  size_t pos = 0;
  do {
    memset(b->lit, 0, sizeof b->lit), memset(b->dist, 0, sizeof b->dist);
    tokenize(b, raw, n, &pos, left, up, b->head);
    write_block(&o, b, pos == n && (flags & Z_FINAL));
  } while (pos < n && !o.err);
  if (!(flags & Z_FINAL)) { /* a stored block of no bytes: 3 header bits, pad, LEN 0, NLEN ~0 */
    put(&o, 0, 3);
    put_align(&o);
    o.buf[o.n++] = 0, o.buf[o.n++] = 0, o.buf[o.n++] = 0xff, o.buf[o.n++] = 0xff;
  }
  put_align(&o);
  if (flags & Z_TRAILER) {
    uint32_t a = dlt_adler32(1, raw, n);
    for (int k = 3; k >= 0; k--) o.buf[o.n++] = (unsigned char)(a >> (8 * k));
  }
  flush(&o);
  free(b), free(o.buf);
  return o.err ? -1 : 0;
}

int dlt_zlib_compress(const unsigned char *raw, size_t n, size_t left, size_t up, dlt_zlib_sink sink,
                      void *ctx) {
  return compress(raw, n, left, up, Z_HEAD | Z_FINAL | Z_TRAILER, sink, ctx);
}

int dlt_zlib_part(const unsigned char *raw, size_t n, size_t left, size_t up, int first, int last,
                  dlt_zlib_sink sink, void *ctx) {
  return compress(raw, n, left, up, (first ? Z_HEAD : 0) | (last ? Z_FINAL : 0), sink, ctx);
}
