/* io_safetensors.c: the safetensors format (dlt.save / dlt.load) with a strict JSON
 * reader for its header, plus the file helpers every format shares (io.h). */
#define _POSIX_C_SOURCE 200809L  /* fdopen, fileno, fsync, strdup */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dlt's file formats are written for a little-endian host"
#endif

/* ---------------------------------------------------------------- files */

void *dlt_read_file(const char *fn, const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return dlt_fail("%s: cannot open '%s': %s", fn, path, strerror(errno));
  struct stat st;
  int known = fstat(fd, &st) == 0;
  if (known && S_ISDIR(st.st_mode)) {
    close(fd);
    return dlt_fail("%s: cannot read '%s': %s", fn, path, strerror(EISDIR));
  }
  /* a regular file's size, plus one byte to see its end in a single pass */
  size_t cap = known && S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
  size_t n = 0;
  char *buf = dlt_malloc(cap);
  while (buf) {
    if (n == cap) {  /* the file grew, or is not a regular file */
      char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
      if (!nb) { free(buf); buf = dlt_fail("%s: cannot allocate %zu bytes for '%s'", fn, cap * 2, path); break; }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      free(buf);
      buf = dlt_fail("%s: cannot read '%s': %s", fn, path, strerror(errno));
      break;
    }
    n += (size_t)r;
  }
  close(fd);
  if (buf) *len = n;
  return buf;
}

/* a fresh name "path.tmpNNNNNN" beside path, opened exclusively */
static int open_temp(const char *path, char **tmp) {
  static unsigned counter;
  size_t n = strlen(path) + 32;
  char *name = dlt_malloc(n);
  if (!name) return -1;
  for (int tries = 0; tries < 100; tries++) {
    unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^ (++counter * 40503u);
    snprintf(name, n, "%s.tmp%06u", path, r % 1000000u);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0666);  /* 0666 & ~umask, as fopen */
    if (fd >= 0) { *tmp = name; return fd; }
    if (errno != EEXIST) break;
  }
  int e = errno;
  free(name);
  errno = e;
  return -1;
}

int dlt_write_atomic(const char *fn, const char *path, int (*fill)(FILE *f, void *ctx), void *ctx) {
  char *tmp = NULL;
  int fd = open_temp(path, &tmp);
  if (fd < 0) return dlt_failn("%s: cannot open '%s': %s", fn, path, strerror(errno));
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    int e = errno;
    close(fd);
    unlink(tmp);
    free(tmp);
    return dlt_failn("%s: cannot open '%s': %s", fn, path, strerror(e));
  }
  errno = 0;
  int rc = fill(f, ctx);
  int e = errno ? errno : EIO;
  if (rc == 0 && fflush(f) != 0) rc = -1, e = errno;
  if (rc == 0 && fsync(fileno(f)) != 0 && errno != EINVAL) rc = -1, e = errno;
  if (fclose(f) != 0 && rc == 0) rc = -1, e = errno;
  if (rc == 0 && rename(tmp, path) != 0) rc = -1, e = errno;
  if (rc != 0) {
    unlink(tmp);
    free(tmp);
    return dlt_failn("%s: cannot write '%s': %s", fn, path, strerror(e));
  }
  free(tmp);
  return 0;
}

int dlt_write_tensor_data(FILE *f, const dlt_tensor *t) {
  size_t es = dlt_dtype_size(t->dtype);
  int64_t n = dlt_numel(t);
  if (n == 0) return 0;
  const char *base = (const char *)dlt_data(t);
  if (dlt_is_contiguous(t)) return fwrite(base, es, (size_t)n, f) == (size_t)n ? 0 : -1;
  /* strided: gather in row-major order through a small buffer */
  char buf[8192];
  size_t used = 0;
  int64_t idx[DLT_MAXDIM] = {0};
  for (int64_t i = 0; i < n; i++) {
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
    memcpy(buf + used, base + off * (int64_t)es, es);
    used += es;
    if (used == sizeof buf) {
      if (fwrite(buf, 1, used, f) != used) return -1;
      used = 0;
    }
    for (int d = t->ndim - 1; d >= 0; d--) {
      if (++idx[d] < t->shape[d]) break;
      idx[d] = 0;
    }
  }
  return used && fwrite(buf, 1, used, f) != used ? -1 : 0;
}

/* ---------------------------------------------------------------- strict JSON */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jv {
  int type;
  const char *num;     /* J_NUM: the literal's text in the input */
  size_t numlen;
  char *str;           /* J_STR: decoded, NUL-terminated (no NULs inside) */
  int n;               /* J_ARR/J_OBJ: count */
  struct jv *items;
  char **keys;         /* J_OBJ */
} jv;

typedef struct {
  const char *start, *p, *end;
  const char *err;
  size_t errpos;
  long budget;  /* values left: bounds the memory a hostile header can make us use */
} jparser;

static void jv_free(jv *v) {
  if (v->type == J_STR) free(v->str);
  if (v->type == J_ARR || v->type == J_OBJ) {
    for (int i = 0; i < v->n; i++) {
      jv_free(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
  v->type = J_NULL;
}

static int jfail(jparser *P, const char *msg) {
  if (!P->err) { P->err = msg; P->errpos = (size_t)(P->p - P->start); }
  return -1;
}

static void jskip(jparser *P) {
  while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r')) P->p++;
}

static int hex4(jparser *P, unsigned *out) {
  if (P->end - P->p < 4) return jfail(P, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = P->p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return jfail(P, "bad \\u escape");
    v = v * 16 + (unsigned)d;
  }
  P->p += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 63)); o[2] = (char)(0x80 | (cp & 63));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 63));
  o[2] = (char)(0x80 | (cp >> 6 & 63)); o[3] = (char)(0x80 | (cp & 63));
  return 4;
}

/* length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (!len || len > n) return 0;
  unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 63);
  }
  static const unsigned minv[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minv[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static int jstring(jparser *P, char **out) {
  P->p++;  /* opening quote */
  /* decoded text is never longer than the raw text */
  const char *q = P->p;
  while (q < P->end && *q != '"') q += (*q == '\\' && q + 1 < P->end) ? 2 : 1;
  if (q >= P->end) return jfail(P, "unterminated string");
  char *s = dlt_malloc((size_t)(q - P->p) + 1), *o = s;
  if (!s) return jfail(P, "out of memory");
  while (*P->p != '"') {
    unsigned char c = (unsigned char)*P->p;
    if (c < 0x20) { free(s); return jfail(P, "control character in string"); }
    if (c != '\\') {
      size_t l = utf8_len((const unsigned char *)P->p, (size_t)(P->end - P->p));
      if (!l) { free(s); return jfail(P, "invalid UTF-8 in string"); }
      memcpy(o, P->p, l);
      o += l;
      P->p += l;
      continue;
    }
    char e = P->p[1];
    P->p += 2;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) { *o++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]; continue; }
    if (e != 'u') { P->p -= 2; free(s); return jfail(P, "bad escape in string"); }
    unsigned cp, lo;
    if (hex4(P, &cp) < 0) { free(s); return -1; }
    if (cp >= 0xD800 && cp <= 0xDBFF) {  /* a surrogate pair */
      if (P->end - P->p < 2 || P->p[0] != '\\' || P->p[1] != 'u') { free(s); return jfail(P, "lone surrogate"); }
      P->p += 2;
      if (hex4(P, &lo) < 0) { free(s); return -1; }
      if (lo < 0xDC00 || lo > 0xDFFF) { free(s); return jfail(P, "lone surrogate"); }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      free(s);
      return jfail(P, "lone surrogate");
    }
    if (cp == 0) { free(s); return jfail(P, "NUL character in string"); }
    o += put_utf8(o, cp);
  }
  P->p++;
  *o = 0;
  *out = s;
  return 0;
}

static int jnumber(jparser *P, jv *v) {
  const char *s = P->p, *e = P->end, *q = s;
  if (q < e && *q == '-') q++;
  if (q < e && *q == '0') q++;
  else if (q < e && *q >= '1' && *q <= '9') while (q < e && *q >= '0' && *q <= '9') q++;
  else return jfail(P, "bad number");
  if (q < e && *q == '.') {
    q++;
    if (q >= e || *q < '0' || *q > '9') { P->p = q; return jfail(P, "bad number"); }
    while (q < e && *q >= '0' && *q <= '9') q++;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e || *q < '0' || *q > '9') { P->p = q; return jfail(P, "bad number"); }
    while (q < e && *q >= '0' && *q <= '9') q++;
  }
  v->type = J_NUM;
  v->num = s;
  v->numlen = (size_t)(q - s);
  P->p = q;
  return 0;
}

static int jvalue(jparser *P, jv *v, int depth);

static int cmp_key(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* duplicate keys, found by sorting a copy of the key list (n log n, whatever n) */
static int check_unique(jparser *P, const jv *v) {
  if (v->n < 2) return 0;
  char **k = malloc(sizeof(char *) * (size_t)v->n);
  if (!k) return jfail(P, "out of memory");
  memcpy(k, v->keys, sizeof(char *) * (size_t)v->n);
  qsort(k, (size_t)v->n, sizeof *k, cmp_key);
  int dup = 0;
  for (int i = 1; i < v->n && !dup; i++) dup = strcmp(k[i - 1], k[i]) == 0;
  free(k);
  return dup ? jfail(P, "duplicate key") : 0;
}

/* arrays and objects: items grow by doubling */
static int jcontainer(jparser *P, jv *v, int depth, int is_obj) {
  char close = is_obj ? '}' : ']';
  v->type = is_obj ? J_OBJ : J_ARR;
  P->p++;
  jskip(P);
  if (P->p < P->end && *P->p == close) { P->p++; return 0; }
  int cap = 0;
  for (;;) {
    if (v->n == cap) {
      if (cap >= (1 << 24)) return jfail(P, "too many items");
      cap = cap ? cap * 2 : 4;
      jv *ni = realloc(v->items, sizeof(jv) * (size_t)cap);
      if (!ni) return jfail(P, "out of memory");
      v->items = ni;
      if (is_obj) {
        char **nk = realloc(v->keys, sizeof(char *) * (size_t)cap);
        if (!nk) return jfail(P, "out of memory");
        v->keys = nk;
      }
    }
    jv *item = &v->items[v->n];
    memset(item, 0, sizeof *item);
    char *key = NULL;
    if (is_obj) {
      jskip(P);
      if (P->p >= P->end || *P->p != '"') return jfail(P, "expected a string key");
      if (jstring(P, &key) < 0) return -1;
      jskip(P);
      if (P->p >= P->end || *P->p != ':') { free(key); return jfail(P, "expected ':'"); }
      P->p++;
    }
    int rc = jvalue(P, item, depth + 1);
    if (is_obj) v->keys[v->n] = key;
    v->n++;  /* counted even when it failed, so jv_free releases what it holds */
    if (rc < 0) return -1;
    jskip(P);
    if (P->p < P->end && *P->p == ',') { P->p++; continue; }
    if (P->p < P->end && *P->p == close) { P->p++; return is_obj ? check_unique(P, v) : 0; }
    return jfail(P, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int jvalue(jparser *P, jv *v, int depth) {
  if (depth > 32) return jfail(P, "nested too deeply");
  if (--P->budget < 0) return jfail(P, "more than 2^21 values");
  jskip(P);
  if (P->p >= P->end) return jfail(P, "unexpected end");
  char c = *P->p;
  size_t left = (size_t)(P->end - P->p);
  if (c == '{' || c == '[') return jcontainer(P, v, depth, c == '{');
  if (c == '"') {
    if (jstring(P, &v->str) < 0) return -1;
    v->type = J_STR;
    return 0;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return jnumber(P, v);
  if (left >= 4 && memcmp(P->p, "true", 4) == 0) { v->type = J_BOOL; v->n = 1; P->p += 4; return 0; }
  if (left >= 5 && memcmp(P->p, "false", 5) == 0) { v->type = J_BOOL; P->p += 5; return 0; }
  if (left >= 4 && memcmp(P->p, "null", 4) == 0) { v->type = J_NULL; P->p += 4; return 0; }
  return jfail(P, "unexpected character");
}

/* a JSON number that is a plain non-negative integer below 2^63, else -1 */
static int64_t jv_uint(const jv *v) {
  if (v->type != J_NUM || v->numlen == 0 || v->numlen > 19) return -1;
  int64_t r = 0;
  for (size_t i = 0; i < v->numlen; i++) {
    char c = v->num[i];
    if (c < '0' || c > '9') return -1;
    if (r > (INT64_MAX - (c - '0')) / 10) return -1;
    r = r * 10 + (c - '0');
  }
  return r;
}

static const jv *jv_get(const jv *obj, const char *key) {
  for (int i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

/* ---------------------------------------------------------------- dtypes */

typedef struct { const char *name; int size; } st_dtype;
/* readable ones first; index < NREAD means dlt converts it */
static const st_dtype st_dtypes[] = {
  {"F32", 4}, {"F64", 8}, {"F16", 2}, {"BF16", 2}, {"I8", 1}, {"I16", 2}, {"I32", 4},
  {"I64", 8}, {"U8", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}, {"BOOL", 1},
  /* known but not loadable */
  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"F8_E8M0", 1}, {"F4", 0}, {"F6_E2M3", 0}, {"F6_E3M2", 0},
  {"C64", 8}, {"C128", 16},
};
enum { ST_F32, ST_F64, ST_F16, ST_BF16, ST_I8, ST_I16, ST_I32, ST_I64, ST_U8, ST_U16, ST_U32, ST_U64, ST_BOOL, ST_NREAD };

static double half_to_double(uint16_t h) {
  int e = h >> 10 & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
  return h & 0x8000 ? -v : v;
}

/* element i of raw little-endian data of safetensors dtype k, as a double */
static double st_elem(int k, const unsigned char *p, int64_t i) {
  union { float f; double d; int8_t i8; int16_t i16; int32_t i32; int64_t i64;
          uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; } u;
  memcpy(&u, p + i * st_dtypes[k].size, (size_t)st_dtypes[k].size);
  switch (k) {
    case ST_F32: return u.f;
    case ST_F64: return u.d;
    case ST_F16: return half_to_double(u.u16);
    case ST_BF16: { uint32_t b = (uint32_t)u.u16 << 16; float f; memcpy(&f, &b, 4); return f; }
    case ST_I8: return u.i8;
    case ST_I16: return u.i16;
    case ST_I32: return u.i32;
    case ST_I64: return (double)u.i64;
    case ST_U8: return u.u8;
    case ST_U16: return u.u16;
    case ST_U32: return u.u32;
    case ST_U64: return (double)u.u64;
    default: return u.u8 != 0;  /* BOOL */
  }
}

/* ---------------------------------------------------------------- load */

void dlt_tensor_dict_free(dlt_tensor_dict *d) {
  if (!d) return;
  for (int i = 0; i < d->n; i++) {
    free(d->names[i]);
    dlt_release(d->tensors[i]);
  }
  for (int i = 0; i < d->nmeta; i++) {
    free(d->meta_keys[i]);
    free(d->meta_values[i]);
  }
  free(d->names);
  free(d->tensors);
  free(d->meta_keys);
  free(d->meta_values);
  free(d);
}

typedef struct { const char *name; int dtype; int ndim; int64_t shape[DLT_MAXDIM]; int64_t begin, end; } st_entry;

static int cmp_entry(const void *a, const void *b) {
  const st_entry *x = *(st_entry *const *)a, *y = *(st_entry *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* one tensor's header entry: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]} */
static int parse_entry(const char *what, const char *name, const jv *v, st_entry *e) {
  if (v->type != J_OBJ) return dlt_failn("load: '%s': entry of tensor '%s' is not an object", what, name);
  for (int i = 0; i < v->n; i++)
    if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
      return dlt_failn("load: '%s': tensor '%s' has unknown field '%s'", what, name, v->keys[i]);
  const jv *dt = jv_get(v, "dtype"), *sh = jv_get(v, "shape"), *off = jv_get(v, "data_offsets");
  if (!dt || !sh || !off) return dlt_failn("load: '%s': tensor '%s' lacks '%s'", what, name, !dt ? "dtype" : !sh ? "shape" : "data_offsets");
  if (dt->type != J_STR) return dlt_failn("load: '%s': dtype of tensor '%s' is not a string", what, name);
  e->name = name;
  e->dtype = -1;
  for (size_t k = 0; k < sizeof st_dtypes / sizeof *st_dtypes; k++)
    if (strcmp(dt->str, st_dtypes[k].name) == 0) e->dtype = (int)k;
  if (e->dtype < 0) return dlt_failn("load: '%s': tensor '%s' has unknown dtype '%.40s'", what, name, dt->str);
  if (e->dtype >= ST_NREAD)
    return dlt_failn("load: '%s': tensor '%s' has dtype %s, which dlt cannot read (it reads F32, F64, F16, BF16, "
                     "I8-I64, U8-U64 and BOOL)", what, name, dt->str);
  if (sh->type != J_ARR) return dlt_failn("load: '%s': shape of tensor '%s' is not a list", what, name);
  if (sh->n > DLT_MAXDIM) return dlt_failn("load: '%s': tensor '%s' has %d dimensions, at most %d allowed", what, name, sh->n, DLT_MAXDIM);
  e->ndim = sh->n;
  size_t numel = 1;
  for (int i = 0; i < sh->n; i++) {
    e->shape[i] = jv_uint(&sh->items[i]);
    if (e->shape[i] < 0) return dlt_failn("load: '%s': size %d of tensor '%s' is not a non-negative integer", what, i + 1, name);
    if (!dlt_mul_size(numel, (size_t)e->shape[i], &numel))
      return dlt_failn("load: '%s': shape of tensor '%s' overflows", what, name);
  }
  if (off->type != J_ARR || off->n != 2) return dlt_failn("load: '%s': data_offsets of tensor '%s' is not a list of two", what, name);
  e->begin = jv_uint(&off->items[0]);
  e->end = jv_uint(&off->items[1]);
  if (e->begin < 0 || e->end < 0) return dlt_failn("load: '%s': data_offsets of tensor '%s' are not non-negative integers", what, name);
  if (e->end < e->begin) return dlt_failn("load: '%s': data_offsets [%lld, %lld] of tensor '%s' are reversed", what, (long long)e->begin, (long long)e->end, name);
  size_t nbytes;
  if (!dlt_mul_size(numel, (size_t)st_dtypes[e->dtype].size, &nbytes))
    return dlt_failn("load: '%s': shape of tensor '%s' overflows", what, name);
  if (nbytes != (size_t)(e->end - e->begin))
    return dlt_failn("load: '%s': tensor '%s' of dtype %s and %zu elements needs %zu bytes, data_offsets give %lld",
                     what, name, st_dtypes[e->dtype].name, numel, nbytes, (long long)(e->end - e->begin));
  return 0;
}

static int parse_metadata(const char *what, const jv *v, dlt_tensor_dict *d) {
  if (v->type != J_OBJ) return dlt_failn("load: '%s': __metadata__ is not an object", what);
  d->meta_keys = dlt_calloc((size_t)v->n + 1, sizeof(char *));
  d->meta_values = dlt_calloc((size_t)v->n + 1, sizeof(char *));
  if (!d->meta_keys || !d->meta_values) return -1;
  for (int i = 0; i < v->n; i++) {
    if (v->items[i].type != J_STR) return dlt_failn("load: '%s': __metadata__ value of '%s' is not a string", what, v->keys[i]);
    d->meta_keys[i] = strdup(v->keys[i]);
    d->meta_values[i] = strdup(v->items[i].str);
    d->nmeta++;
    if (!d->meta_keys[i] || !d->meta_values[i]) return dlt_failn("load: out of memory");
  }
  return 0;
}

/* the tensor of entry e from data (already checked to hold e->end bytes) */
static dlt_tensor *make_tensor(const st_entry *e, const unsigned char *data) {
  int k = e->dtype;
  /* integers become int64 (U64, which may not fit, float64), BOOL bool, the small floats float32 */
  dlt_dtype dt = k == ST_F64 || k == ST_U64 ? DLT_FLOAT64 : k == ST_BOOL ? DLT_BOOL
               : k == ST_F32 || k == ST_F16 || k == ST_BF16 ? DLT_FLOAT32 : DLT_INT64;
  dlt_tensor *t = dlt_empty(e->ndim, e->shape, dt);
  if (!t) return NULL;
  const unsigned char *src = data + e->begin;
  int64_t n = dlt_numel(t);
  if (k == ST_F32 || k == ST_F64 || k == ST_I64) memcpy(t->storage->data, src, (size_t)(e->end - e->begin));
  else if (dt == DLT_INT64) { int64_t *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = (int64_t)st_elem(k, src, i); }
  else if (dt == DLT_BOOL) { uint8_t *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = st_elem(k, src, i) != 0; }
  else if (dt == DLT_FLOAT32) { float *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = (float)st_elem(k, src, i); }
  else { double *p = t->storage->data; for (int64_t i = 0; i < n; i++) p[i] = st_elem(k, src, i); }
  return t;
}

static int parse_tensors(const char *what, const jv *root, const unsigned char *data, size_t datalen, dlt_tensor_dict *d) {
  st_entry *entries = dlt_calloc((size_t)root->n + 1, sizeof *entries);
  st_entry **order = dlt_calloc((size_t)root->n + 1, sizeof *order);
  d->names = dlt_calloc((size_t)root->n + 1, sizeof(char *));
  d->tensors = dlt_calloc((size_t)root->n + 1, sizeof(dlt_tensor *));
  int rc = entries && order && d->names && d->tensors ? 0 : -1, ne = 0;
  for (int i = 0; rc == 0 && i < root->n; i++) {
    if (strcmp(root->keys[i], "__metadata__") == 0) rc = parse_metadata(what, &root->items[i], d);
    else if ((rc = parse_entry(what, root->keys[i], &root->items[i], &entries[ne])) == 0) order[ne] = &entries[ne], ne++;
  }
  /* the byte buffer must be covered exactly: sorted offsets follow each other */
  if (rc == 0) qsort(order, (size_t)ne, sizeof *order, cmp_entry);
  int64_t at = 0;
  for (int i = 0; rc == 0 && i < ne; i++) {
    if (order[i]->begin != at)
      rc = dlt_failn("load: '%s': data of tensor '%s' starts at byte %lld, expected %lld (overlap or gap)",
                     what, order[i]->name, (long long)order[i]->begin, (long long)at);
    at = order[i]->end;
  }
  if (rc == 0 && (uint64_t)at != datalen)
    rc = dlt_failn("load: '%s': tensors cover %lld data bytes, the file holds %zu", what, (long long)at, datalen);
  for (int i = 0; rc == 0 && i < ne; i++) {
    char *name = strdup(entries[i].name);
    dlt_tensor *t = name ? make_tensor(&entries[i], data) : NULL;
    if (!t) { free(name); rc = name ? -1 : dlt_failn("load: out of memory"); break; }
    d->names[i] = name;
    d->tensors[i] = t;
    d->n = i + 1;
  }
  free(entries);
  free(order);
  return rc;
}

dlt_tensor_dict *dlt_parse_safetensors(const void *buf, size_t len, const char *what) {
  const unsigned char *b = buf;
  if (len < 8) return dlt_fail("load: '%s' is not a safetensors file: %zu bytes, too short for the header length", what, len);
  uint64_t hlen;
  memcpy(&hlen, b, 8);
  if (hlen > 100000000u) return dlt_fail("load: '%s' is not a safetensors file: header length %llu is over the 100 MB limit", what, (unsigned long long)hlen);
  if (hlen > len - 8) return dlt_fail("load: '%s' is not a safetensors file: header length %llu exceeds the %zu bytes that follow", what, (unsigned long long)hlen, len - 8);
  if (hlen == 0 || b[8] != '{') return dlt_fail("load: '%s' is not a safetensors file: the header does not start with '{'", what);
  jparser P = {(const char *)b + 8, (const char *)b + 8, (const char *)b + 8 + hlen, NULL, 0, 1L << 21};
  jv root = {0};
  if (jvalue(&P, &root, 0) == 0) {
    jskip(&P);
    if (P.p != P.end) jfail(&P, "trailing characters after the header");
  }
  if (P.err) {
    jv_free(&root);
    return dlt_fail("load: '%s': malformed JSON header at byte %zu: %s", what, P.errpos + 8, P.err);
  }
  dlt_tensor_dict *d = dlt_calloc(1, sizeof *d);
  if (d && parse_tensors(what, &root, b + 8 + hlen, len - 8 - (size_t)hlen, d) < 0) {
    dlt_tensor_dict_free(d);
    d = NULL;
  }
  jv_free(&root);
  return d;
}

dlt_tensor_dict *dlt_load_safetensors(const char *path) {
  size_t len;
  void *buf = dlt_read_file("load", path, &len);
  if (!buf) return NULL;
  dlt_tensor_dict *d = dlt_parse_safetensors(buf, len, path);
  free(buf);
  return d;
}

/* ---------------------------------------------------------------- save */

typedef struct { char *s; size_t n, cap; int oom; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (!ns) { b->oom = 1; return; }
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* a JSON string literal; s must be valid UTF-8 (checked by the caller) */
static void sb_json_string(sbuf *b, const char *s) {
  sb_put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; sb_put(b, esc, 2); }
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); sb_put(b, esc, 6); }
    else sb_put(b, s, 1);
  }
  sb_put(b, "\"", 1);
}

static int valid_utf8(const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    size_t l = utf8_len((const unsigned char *)s + i, n - i);
    if (!l) return 0;
    i += l;
  }
  return 1;
}

typedef struct { const char *header; size_t hlen; int n; dlt_tensor *const *ts; } st_save;

static int write_safetensors(FILE *f, void *ctx) {
  st_save *s = ctx;
  uint64_t hl = s->hlen;
  if (fwrite(&hl, 8, 1, f) != 1 || fwrite(s->header, 1, s->hlen, f) != s->hlen) return -1;
  for (int i = 0; i < s->n; i++)
    if (dlt_write_tensor_data(f, s->ts[i]) < 0) return -1;
  return 0;
}

static int check_name(const char *kind, const char *name) {
  if (!valid_utf8(name)) return dlt_failn("save: %s '%s' is not valid UTF-8", kind, name);
  return 0;
}

int dlt_save_safetensors(const char *path, int n, const char *const *names, dlt_tensor *const *ts,
                         int nmeta, const char *const *meta_keys, const char *const *meta_values) {
  for (int i = 0; i < n; i++) {
    if (check_name("tensor name", names[i]) < 0) return -1;
    if (strcmp(names[i], "__metadata__") == 0) return dlt_failn("save: '__metadata__' is reserved and cannot name a tensor");
    for (int j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0) return dlt_failn("save: tensor name '%s' appears twice", names[i]);
  }
  for (int i = 0; i < nmeta; i++)
    if (check_name("metadata key", meta_keys[i]) < 0 || check_name("metadata value", meta_values[i]) < 0) return -1;
  sbuf b = {0};
  sb_str(&b, "{");
  if (nmeta > 0) {
    sb_str(&b, "\"__metadata__\":{");
    for (int i = 0; i < nmeta; i++) {
      if (i) sb_str(&b, ",");
      sb_json_string(&b, meta_keys[i]);
      sb_str(&b, ":");
      sb_json_string(&b, meta_values[i]);
    }
    sb_str(&b, "}");
  }
  uint64_t off = 0;
  for (int i = 0; i < n; i++) {
    char num[64];
    if (i || nmeta > 0) sb_str(&b, ",");
    sb_json_string(&b, names[i]);
    static const char *const st_names[DLT_NDTYPES] = {"F32", "F64", "I64", "BOOL"};
    sb_str(&b, ":{\"dtype\":\"");
    sb_str(&b, st_names[ts[i]->dtype]);
    sb_str(&b, "\",\"shape\":[");
    for (int d = 0; d < ts[i]->ndim; d++) {
      snprintf(num, sizeof num, d ? ",%lld" : "%lld", (long long)ts[i]->shape[d]);
      sb_str(&b, num);
    }
    uint64_t nb = (uint64_t)dlt_numel(ts[i]) * dlt_dtype_size(ts[i]->dtype);
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + nb));
    sb_str(&b, num);
    off += nb;
  }
  sb_str(&b, "}");
  while (!b.oom && (b.n + 8) % 8) sb_str(&b, " ");  /* data starts 8-byte aligned, as the reference writer pads */
  if (b.oom) { free(b.s); return dlt_failn("save: cannot allocate the header of '%s'", path); }
  st_save s = {b.s, b.n, n, ts};
  int rc = dlt_write_atomic("save", path, write_safetensors, &s);
  free(b.s);
  return rc;
}
