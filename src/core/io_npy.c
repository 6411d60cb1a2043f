/* io_npy.c: NumPy's .npy format (dlt.save_npy / dlt.load_npy): a magic string, a
 * version, a Python dict literal giving descr, fortran_order and shape, then the data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"

/* ---------------------------------------------------------------- header literal */

typedef struct {
  const char *p, *end;
} lit;

static void lskip(lit *L) {
  while (L->p < L->end && (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r')) L->p++;
}

static int lpeek(lit *L, char c) {
  lskip(L);
  return L->p < L->end && *L->p == c;
}

static int lexpect(lit *L, char c) {
  if (!lpeek(L, c)) return 0;
  L->p++;
  return 1;
}

/* a quoted string without escapes into out (at most n-1 chars); 0 if malformed */
static int lstring(lit *L, char *out, size_t n) {
  lskip(L);
  if (L->p >= L->end || (*L->p != '\'' && *L->p != '"')) return 0;
  char q = *L->p++;
  size_t k = 0;
  while (L->p < L->end && *L->p != q) {
    if (*L->p == '\\' || k + 1 >= n) return 0;
    out[k++] = *L->p++;
  }
  if (L->p >= L->end) return 0;
  L->p++;
  out[k] = 0;
  return 1;
}

static int lword(lit *L, const char *w) {
  size_t n = strlen(w);
  lskip(L);
  if ((size_t)(L->end - L->p) < n || memcmp(L->p, w, n) != 0) return 0;
  L->p += n;
  return 1;
}

/* a tuple of non-negative integers: (), (3,), (2, 3); -1 when over DLT_MAXDIM */
static int lshape(lit *L, int *ndim, int64_t *shape) {
  if (!lexpect(L, '(')) return 0;
  int comma = 0;
  *ndim = 0;
  while (!lpeek(L, ')')) {
    if (L->p >= L->end || *L->p < '0' || *L->p > '9') return 0;
    int64_t v = 0;
    while (L->p < L->end && *L->p >= '0' && *L->p <= '9') {
      if (v > (INT64_MAX - 9) / 10) return 0;
      v = v * 10 + (*L->p++ - '0');
    }
    if (L->p < L->end && *L->p == 'L') L->p++; /* written by Python 2 */
    if (*ndim == DLT_MAXDIM) return -1;
    shape[(*ndim)++] = v;
    comma = lexpect(L, ',');
    if (!comma) break;
  }
  if (*ndim == 1 && !comma) return 0; /* (3) is a number, not a tuple */
  return lexpect(L, ')');
}

typedef struct {
  char descr[32];
  int fortran;
  int ndim;
  int64_t shape[DLT_MAXDIM];
} npy_header;

static int parse_header(const char *what, const char *h, size_t n, npy_header *H) {
  lit L = {h, h + n};
  int seen[3] = {0, 0, 0};
  if (!lexpect(&L, '{')) return dlt_failn("load_npy: '%s': header is not a dict", what);
  while (!lpeek(&L, '}')) {
    char key[32];
    if (!lstring(&L, key, sizeof key)) return dlt_failn("load_npy: '%s': malformed header key", what);
    if (!lexpect(&L, ':')) return dlt_failn("load_npy: '%s': expected ':' after '%s' in the header", what, key);
    int k = strcmp(key, "descr") == 0 ? 0 : strcmp(key, "fortran_order") == 0 ? 1
                                          : strcmp(key, "shape") == 0         ? 2
                                                                              : -1;
    if (k < 0) return dlt_failn("load_npy: '%s': unknown header key '%s'", what, key);
    if (seen[k]++) return dlt_failn("load_npy: '%s': header key '%s' appears twice", what, key);
    if (k == 0 && lpeek(&L, '[')) return dlt_failn("load_npy: '%s': structured dtypes are not supported", what);
    if (k == 0 && !lstring(&L, H->descr, sizeof H->descr)) return dlt_failn("load_npy: '%s': malformed descr", what);
    if (k == 1) {
      if (lword(&L, "True")) H->fortran = 1;
      else if (lword(&L, "False")) H->fortran = 0;
      else return dlt_failn("load_npy: '%s': fortran_order is not True or False", what);
    }
    if (k == 2) {
      int r = lshape(&L, &H->ndim, H->shape);
      if (r < 0) return dlt_failn("load_npy: '%s': more than %d dimensions", what, DLT_MAXDIM);
      if (!r) return dlt_failn("load_npy: '%s': shape is not a tuple of non-negative integers", what);
    }
    if (!lexpect(&L, ',')) break;
  }
  if (!lexpect(&L, '}')) return dlt_failn("load_npy: '%s': header dict is not closed", what);
  lskip(&L);
  if (L.p != L.end) return dlt_failn("load_npy: '%s': trailing characters after the header dict", what);
  for (int k = 0; k < 3; k++)
    if (!seen[k]) return dlt_failn("load_npy: '%s': header lacks '%s'", what, k == 0 ? "descr" : k == 1 ? "fortran_order"
                                                                                                        : "shape");
  return 0;
}

/* ---------------------------------------------------------------- dtypes */

typedef struct {
  char kind;
  int size;
  int swap;
} npy_dtype;

/* '<f4', '>i8', '|b1', '|u1' ...; 0 with an error for anything dlt does not read */
static int parse_descr(const char *what, const char *d, npy_dtype *t) {
  size_t n = strlen(d);
  if (n < 3 || !strchr("<>|=", d[0])) goto bad;
  t->kind = d[1];
  char *end;
  long size = strtol(d + 2, &end, 10);
  if (*end || end == d + 2) goto bad;
  t->size = (int)size;
  t->swap = d[0] == '>' && size > 1;
  if (t->kind == 'f' && (size == 2 || size == 4 || size == 8)) return 1;
  if ((t->kind == 'i' || t->kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) return 1;
  if (t->kind == 'b' && size == 1) return 1;
bad:
  dlt_failn("load_npy: '%s': dtype '%s' is not supported (dlt reads float, integer and bool arrays)", what, d);
  return 0;
}

static double npy_elem(const npy_dtype *t, const unsigned char *p) {
  unsigned char b[8];
  for (int i = 0; i < t->size; i++) b[i] = t->swap ? p[t->size - 1 - i] : p[i];
  return dlt_decode_number(t->kind, t->size, b);
}

/* ---------------------------------------------------------------- load */

dlt_tensor *dlt_parse_npy(const void *buf, size_t len, const char *what) {
  const unsigned char *b = buf;
  if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return dlt_fail("load_npy: '%s' is not a .npy file (no \\x93NUMPY magic)", what);
  int major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0) return dlt_fail("load_npy: '%s': .npy format version %d.%d is not supported (1.0, 2.0, 3.0 are)", what, major, minor);
  size_t start = major == 1 ? 10 : 12, hlen;
  if (len < start) return dlt_fail("load_npy: '%s': file ends inside the header length", what);
  hlen = major == 1 ? (size_t)(b[8] | b[9] << 8) : (size_t)((uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24);
  if (hlen > len - start) return dlt_fail("load_npy: '%s': header length %zu exceeds the %zu bytes that follow", what, hlen, len - start);
  npy_header H = {0};
  npy_dtype T = {0, 0, 0};
  if (parse_header(what, (const char *)b + start, hlen, &H) < 0 || !parse_descr(what, H.descr, &T)) return NULL;
  size_t numel = 1, nbytes;
  for (int d = 0; d < H.ndim; d++)
    if (!dlt_mul_size(numel, (size_t)H.shape[d], &numel)) return dlt_fail("load_npy: '%s': shape overflows", what);
  if (!dlt_mul_size(numel, (size_t)T.size, &nbytes)) return dlt_fail("load_npy: '%s': shape overflows", what);
  const unsigned char *data = b + start + hlen;
  size_t have = len - start - hlen;
  if (nbytes != have) return dlt_fail("load_npy: '%s': shape and dtype '%s' need %zu data bytes, the file holds %zu", what, H.descr, nbytes, have);
  /* integers become int64 (uint64, which may not fit, float64), bools bool; f2 and f4 float32 */
  dlt_dtype dt = T.kind == 'b' ? DLT_BOOL : T.kind == 'f'                ? (T.size == 8 ? DLT_FLOAT64 : DLT_FLOAT32)
                                          : T.kind == 'u' && T.size == 8 ? DLT_FLOAT64
                                                                         : DLT_INT64;
  dlt_tensor *t = dlt_empty(H.ndim, H.shape, dt);
  if (!t) return dlt_fail_prefix("load_npy: '%s': ", what);
  /* fortran order: element (i0..ik) sits at sum i_d * fs_d with fs_0 = 1, fs_d = fs_{d-1} *
   * n_{d-1} (an empty array has no element, and its sizes may multiply past int64) */
  int64_t fs[DLT_MAXDIM], idx[DLT_MAXDIM] = {0};
  for (int d = 0; numel && d < H.ndim; d++) fs[d] = d ? fs[d - 1] * H.shape[d - 1] : 1;
  for (size_t i = 0; i < numel; i++) {
    size_t src = i;
    if (H.fortran) {
      src = 0;
      for (int d = 0; d < H.ndim; d++) src += (size_t)(idx[d] * fs[d]);
      for (int d = H.ndim - 1; d >= 0; d--) {
        if (++idx[d] < H.shape[d]) break;
        idx[d] = 0;
      }
    }
    const unsigned char *at = data + src * (size_t)T.size;
    if (dt == DLT_INT64 && T.kind == 'i' && T.size == 8) { /* exact: no detour through a double */
      unsigned char e[8];
      for (int j = 0; j < 8; j++) e[j] = T.swap ? at[7 - j] : at[j];
      memcpy((int64_t *)t->storage->data + i, e, 8);
      continue;
    }
    double v = npy_elem(&T, at);
    if (dt == DLT_FLOAT64) ((double *)t->storage->data)[i] = v;
    else if (dt == DLT_FLOAT32) ((float *)t->storage->data)[i] = (float)v;
    else if (dt == DLT_INT64) ((int64_t *)t->storage->data)[i] = (int64_t)v;
    else ((uint8_t *)t->storage->data)[i] = v != 0;
  }
  return t;
}

dlt_tensor *dlt_load_npy(const char *path) {
  size_t len;
  void *buf = dlt_read_file("load_npy", path, &len);
  if (!buf) return NULL;
  dlt_tensor *t = dlt_parse_npy(buf, len, path);
  free(buf);
  return t;
}

/* ---------------------------------------------------------------- save */

typedef struct {
  char header[512];
  size_t hlen;
  const dlt_tensor *t;
} npy_save;

static int write_npy(FILE *f, void *ctx) {
  npy_save *s = ctx;
  if (fwrite(s->header, 1, s->hlen, f) != s->hlen) return -1;
  return dlt_write_tensor_data(f, s->t);
}

int dlt_save_npy(const char *path, const dlt_tensor *t) {
  npy_save s;
  char shape[200] = "";
  size_t k = 0;
  for (int d = 0; d < t->ndim; d++)
    k += (size_t)snprintf(shape + k, sizeof shape - k, d ? ", %lld" : "%lld", (long long)t->shape[d]);
  if (t->ndim == 1) snprintf(shape + k, sizeof shape - k, ",");
  /* version 1.0: magic, 1, 0, u16 header length; the whole preamble padded to 64 bytes */
  int n = snprintf(s.header + 10, sizeof s.header - 10, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                   (const char *const[DLT_NDTYPES]){"<f4", "<f8", "<i8", "|b1"}[t->dtype], shape);
  size_t total = (size_t)n + 10 + 1;
  total = (total + 63) / 64 * 64;
  memset(s.header + 10 + n, ' ', total - 10 - (size_t)n - 1);
  s.header[total - 1] = '\n';
  memcpy(s.header, "\x93NUMPY\x01\x00", 8);
  s.header[8] = (char)((total - 10) & 0xFF);
  s.header[9] = (char)((total - 10) >> 8);
  s.hlen = total;
  s.t = t;
  return dlt_write_atomic("save_npy", path, write_npy, &s);
}
