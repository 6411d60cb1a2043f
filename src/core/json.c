/* json.c: a strict JSON reader (RFC 8259: no trailing commas, no duplicate keys, valid
 * UTF-8 and escapes), bounded in depth and in values, for file headers (safetensors). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h" /* dlt_malloc */
#include "core/json.h"

typedef struct {
  const char *start, *p, *end;
  const char *err;
  size_t errpos;
  long budget; /* values left: bounds the memory a hostile header can make us use */
} jparser;

void dlt_json_free(dlt_json *v) {
  if (v->type == DLT_JSON_STR) free(v->str);
  if (v->type == DLT_JSON_ARR || v->type == DLT_JSON_OBJ) {
    for (int i = 0; i < v->n; i++) {
      dlt_json_free(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
  v->type = DLT_JSON_NULL;
}

static int jfail(jparser *P, const char *msg) {
  if (!P->err) {
    P->err = msg;
    P->errpos = (size_t)(P->p - P->start);
  }
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
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                  : -1;
    if (d < 0) return jfail(P, "bad \\u escape");
    v = v * 16 + (unsigned)d;
  }
  P->p += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 63));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 63));
    o[2] = (char)(0x80 | (cp & 63));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 63));
  o[2] = (char)(0x80 | (cp >> 6 & 63));
  o[3] = (char)(0x80 | (cp & 63));
  return 4;
}

/* length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2
                            : (c & 0xF0) == 0xE0 ? 3
                            : (c & 0xF8) == 0xF0 ? 4
                                                 : 0;
  if (!len || len > n) return 0;
  unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F
                             : len == 3 ? c & 0x0F
                                        : c & 0x07;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 63);
  }
  static const unsigned minv[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minv[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static int jstring(jparser *P, char **out) {
  P->p++; /* opening quote */
  /* decoded text is never longer than the raw text */
  const char *q = P->p;
  while (q < P->end && *q != '"') q += (*q == '\\' && q + 1 < P->end) ? 2 : 1;
  if (q >= P->end) return jfail(P, "unterminated string");
  char *s = dlt_malloc((size_t)(q - P->p) + 1), *o = s;
  if (!s) return jfail(P, "out of memory");
  while (*P->p != '"') {
    unsigned char c = (unsigned char)*P->p;
    if (c < 0x20) {
      free(s);
      return jfail(P, "control character in string");
    }
    if (c != '\\') {
      size_t l = utf8_len((const unsigned char *)P->p, (size_t)(P->end - P->p));
      if (!l) {
        free(s);
        return jfail(P, "invalid UTF-8 in string");
      }
      memcpy(o, P->p, l);
      o += l;
      P->p += l;
      continue;
    }
    char e = P->p[1];
    P->p += 2;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) {
      *o++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      continue;
    }
    if (e != 'u') {
      P->p -= 2;
      free(s);
      return jfail(P, "bad escape in string");
    }
    unsigned cp, lo;
    if (hex4(P, &cp) < 0) {
      free(s);
      return -1;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
      if (P->end - P->p < 2 || P->p[0] != '\\' || P->p[1] != 'u') {
        free(s);
        return jfail(P, "lone surrogate");
      }
      P->p += 2;
      if (hex4(P, &lo) < 0) {
        free(s);
        return -1;
      }
      if (lo < 0xDC00 || lo > 0xDFFF) {
        free(s);
        return jfail(P, "lone surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      free(s);
      return jfail(P, "lone surrogate");
    }
    if (cp == 0) {
      free(s);
      return jfail(P, "NUL character in string");
    }
    o += put_utf8(o, cp);
  }
  P->p++;
  *o = 0;
  *out = s;
  return 0;
}

static int jnumber(jparser *P, dlt_json *v) {
  const char *s = P->p, *e = P->end, *q = s;
  if (q < e && *q == '-') q++;
  if (q < e && *q == '0') q++;
  else if (q < e && *q >= '1' && *q <= '9')
    while (q < e && *q >= '0' && *q <= '9') q++;
  else return jfail(P, "bad number");
  if (q < e && *q == '.') {
    q++;
    if (q >= e || *q < '0' || *q > '9') {
      P->p = q;
      return jfail(P, "bad number");
    }
    while (q < e && *q >= '0' && *q <= '9') q++;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e || *q < '0' || *q > '9') {
      P->p = q;
      return jfail(P, "bad number");
    }
    while (q < e && *q >= '0' && *q <= '9') q++;
  }
  v->type = DLT_JSON_NUM;
  v->num = s;
  v->numlen = (size_t)(q - s);
  P->p = q;
  return 0;
}

static int jvalue(jparser *P, dlt_json *v, int depth);

static int cmp_key(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* duplicate keys, found by sorting a copy of the key list (n log n, whatever n) */
static int check_unique(jparser *P, const dlt_json *v) {
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
static int jcontainer(jparser *P, dlt_json *v, int depth, int is_obj) {
  char close = is_obj ? '}' : ']';
  v->type = is_obj ? DLT_JSON_OBJ : DLT_JSON_ARR;
  P->p++;
  jskip(P);
  if (P->p < P->end && *P->p == close) {
    P->p++;
    return 0;
  }
  int cap = 0;
  for (;;) {
    if (v->n == cap) {
      if (cap >= (1 << 24)) return jfail(P, "too many items");
      cap = cap ? cap * 2 : 4;
      dlt_json *ni = realloc(v->items, sizeof(dlt_json) * (size_t)cap);
      if (!ni) return jfail(P, "out of memory");
      v->items = ni;
      if (is_obj) {
        char **nk = realloc(v->keys, sizeof(char *) * (size_t)cap);
        if (!nk) return jfail(P, "out of memory");
        v->keys = nk;
      }
    }
    dlt_json *item = &v->items[v->n];
    memset(item, 0, sizeof *item);
    char *key = NULL;
    if (is_obj) {
      jskip(P);
      if (P->p >= P->end || *P->p != '"') return jfail(P, "expected a string key");
      if (jstring(P, &key) < 0) return -1;
      jskip(P);
      if (P->p >= P->end || *P->p != ':') {
        free(key);
        return jfail(P, "expected ':'");
      }
      P->p++;
    }
    int rc = jvalue(P, item, depth + 1);
    if (is_obj) v->keys[v->n] = key;
    v->n++; /* counted even when it failed, so dlt_json_free releases what it holds */
    if (rc < 0) return -1;
    jskip(P);
    if (P->p < P->end && *P->p == ',') {
      P->p++;
      continue;
    }
    if (P->p < P->end && *P->p == close) {
      P->p++;
      return is_obj ? check_unique(P, v) : 0;
    }
    return jfail(P, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int jvalue(jparser *P, dlt_json *v, int depth) {
  if (depth > 32) return jfail(P, "nested too deeply");
  if (--P->budget < 0) return jfail(P, "more than 2^21 values");
  jskip(P);
  if (P->p >= P->end) return jfail(P, "unexpected end");
  char c = *P->p;
  size_t left = (size_t)(P->end - P->p);
  if (c == '{' || c == '[') return jcontainer(P, v, depth, c == '{');
  if (c == '"') {
    if (jstring(P, &v->str) < 0) return -1;
    v->type = DLT_JSON_STR;
    return 0;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return jnumber(P, v);
  if (left >= 4 && memcmp(P->p, "true", 4) == 0) {
    v->type = DLT_JSON_BOOL;
    v->n = 1;
    P->p += 4;
    return 0;
  }
  if (left >= 5 && memcmp(P->p, "false", 5) == 0) {
    v->type = DLT_JSON_BOOL;
    P->p += 5;
    return 0;
  }
  if (left >= 4 && memcmp(P->p, "null", 4) == 0) {
    v->type = DLT_JSON_NULL;
    P->p += 4;
    return 0;
  }
  return jfail(P, "unexpected character");
}

/* a JSON number that is a plain non-negative integer below 2^63, else -1 */
int64_t dlt_json_uint(const dlt_json *v) {
  if (v->type != DLT_JSON_NUM || v->numlen == 0 || v->numlen > 19) return -1;
  int64_t r = 0;
  for (size_t i = 0; i < v->numlen; i++) {
    char c = v->num[i];
    if (c < '0' || c > '9') return -1;
    if (r > (INT64_MAX - (c - '0')) / 10) return -1;
    r = r * 10 + (c - '0');
  }
  return r;
}

const dlt_json *dlt_json_get(const dlt_json *obj, const char *key) {
  for (int i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

int dlt_json_parse(const char *s, size_t n, dlt_json *v, const char **err, size_t *errpos) {
  jparser P = {s, s, s + n, NULL, 0, 1L << 21};
  memset(v, 0, sizeof *v);
  if (jvalue(&P, v, 0) == 0) {
    jskip(&P);
    if (P.p != P.end) jfail(&P, "trailing characters");
  }
  if (!P.err) return 0;
  dlt_json_free(v);
  *err = P.err;
  *errpos = P.errpos;
  return -1;
}

int dlt_json_valid_utf8(const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    size_t l = utf8_len((const unsigned char *)s + i, n - i);
    if (!l) return 0;
    i += l;
  }
  return 1;
}
