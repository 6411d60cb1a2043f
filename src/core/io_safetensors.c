/* io_safetensors.c: the safetensors format (dlt.save / dlt.load); its header is read by
 * core/json.c, files are read and written by core/file.c. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"
#include "core/json.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dlt's file formats are written for a little-endian host"
#endif

/* ---------------------------------------------------------------- dtypes */

typedef struct {
  const char *name;
  int size;
  char kind; /* dlt_decode_number's: f, g (bfloat16), i, u, b */
} st_dtype;
/* readable ones first; index < NREAD means dlt converts it */
static const st_dtype st_dtypes[] = {
  {"F32", 4, 'f'},
  {"F64", 8, 'f'},
  {"F16", 2, 'f'},
  {"BF16", 2, 'g'},
  {"I8", 1, 'i'},
  {"I16", 2, 'i'},
  {"I32", 4, 'i'},
  {"I64", 8, 'i'},
  {"U8", 1, 'u'},
  {"U16", 2, 'u'},
  {"U32", 4, 'u'},
  {"U64", 8, 'u'},
  {"BOOL", 1, 'b'},
  /* known but not loadable */
  {"F8_E4M3", 1, 0},
  {"F8_E5M2", 1, 0},
  {"F8_E8M0", 1, 0},
  {"F4", 0, 0},
  {"F6_E2M3", 0, 0},
  {"F6_E3M2", 0, 0},
  {"C64", 8, 0},
  {"C128", 16, 0},
};
enum { ST_F32,
       ST_F64,
       ST_F16,
       ST_BF16,
       ST_I8,
       ST_I16,
       ST_I32,
       ST_I64,
       ST_U8,
       ST_U16,
       ST_U32,
       ST_U64,
       ST_BOOL,
       ST_NREAD };

/* element i of raw little-endian data of safetensors dtype k, as a double */
static double st_elem(int k, const unsigned char *p, int64_t i) {
  return dlt_decode_number(st_dtypes[k].kind, st_dtypes[k].size, p + i * st_dtypes[k].size);
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

typedef struct {
  const char *name;
  int dtype;
  int ndim;
  int64_t shape[DLT_MAXDIM];
  int64_t begin, end;
} st_entry;

static int cmp_entry(const void *a, const void *b) {
  const st_entry *x = *(st_entry *const *)a, *y = *(st_entry *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1
                                                        : (x->end > y->end) - (x->end < y->end);
}

/* one tensor's header entry: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]} */
static int parse_entry(const char *what, const char *name, const dlt_json *v, st_entry *e) {
  if (v->type != DLT_JSON_OBJ) return dlt_failn("load: '%s': entry of tensor '%s' is not an object", what, name);
  for (int i = 0; i < v->n; i++)
    if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
      return dlt_failn("load: '%s': tensor '%s' has unknown field '%s'", what, name, v->keys[i]);
  const dlt_json *dt = dlt_json_get(v, "dtype"), *sh = dlt_json_get(v, "shape"), *off = dlt_json_get(v, "data_offsets");
  if (!dt || !sh || !off) return dlt_failn("load: '%s': tensor '%s' lacks '%s'", what, name, !dt ? "dtype" : !sh ? "shape"
                                                                                                                 : "data_offsets");
  if (dt->type != DLT_JSON_STR) return dlt_failn("load: '%s': dtype of tensor '%s' is not a string", what, name);
  e->name = name;
  e->dtype = -1;
  for (size_t k = 0; k < sizeof st_dtypes / sizeof *st_dtypes; k++)
    if (strcmp(dt->str, st_dtypes[k].name) == 0) e->dtype = (int)k;
  if (e->dtype < 0) return dlt_failn("load: '%s': tensor '%s' has unknown dtype '%.40s'", what, name, dt->str);
  if (e->dtype >= ST_NREAD)
    return dlt_failn(
      "load: '%s': tensor '%s' has dtype %s, which dlt cannot read (it reads F32, F64, F16, BF16, "
      "I8-I64, U8-U64 and BOOL)",
      what, name, dt->str);
  if (sh->type != DLT_JSON_ARR) return dlt_failn("load: '%s': shape of tensor '%s' is not a list", what, name);
  if (sh->n > DLT_MAXDIM) return dlt_failn("load: '%s': tensor '%s' has %d dimensions, at most %d allowed", what, name, sh->n, DLT_MAXDIM);
  e->ndim = sh->n;
  size_t numel = 1;
  for (int i = 0; i < sh->n; i++) {
    e->shape[i] = dlt_json_uint(&sh->items[i]);
    if (e->shape[i] < 0) return dlt_failn("load: '%s': size %d of tensor '%s' is not a non-negative integer", what, i + 1, name);
    if (!dlt_mul_size(numel, (size_t)e->shape[i], &numel))
      return dlt_failn("load: '%s': shape of tensor '%s' overflows", what, name);
  }
  if (off->type != DLT_JSON_ARR || off->n != 2) return dlt_failn("load: '%s': data_offsets of tensor '%s' is not a list of two", what, name);
  e->begin = dlt_json_uint(&off->items[0]);
  e->end = dlt_json_uint(&off->items[1]);
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

static int parse_metadata(const char *what, const dlt_json *v, dlt_tensor_dict *d) {
  if (v->type != DLT_JSON_OBJ) return dlt_failn("load: '%s': __metadata__ is not an object", what);
  d->meta_keys = dlt_calloc((size_t)v->n + 1, sizeof(char *));
  d->meta_values = dlt_calloc((size_t)v->n + 1, sizeof(char *));
  if (!d->meta_keys || !d->meta_values) return -1;
  for (int i = 0; i < v->n; i++) {
    if (v->items[i].type != DLT_JSON_STR) return dlt_failn("load: '%s': __metadata__ value of '%s' is not a string", what, v->keys[i]);
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
  dlt_dtype dt = k == ST_F64 || k == ST_U64 ? DLT_FLOAT64 : k == ST_BOOL                               ? DLT_BOOL
                                                          : k == ST_F32 || k == ST_F16 || k == ST_BF16 ? DLT_FLOAT32
                                                                                                       : DLT_INT64;
  dlt_tensor *t = dlt_empty(e->ndim, e->shape, dt);
  if (!t) return NULL;
  const unsigned char *src = data + e->begin;
  int64_t n = dlt_numel(t);
  if (k == ST_F32 || k == ST_F64 || k == ST_I64) memcpy(t->storage->data, src, (size_t)(e->end - e->begin));
  else if (dt == DLT_INT64) {
    int64_t *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = (int64_t)st_elem(k, src, i);
  } else if (dt == DLT_BOOL) {
    uint8_t *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = st_elem(k, src, i) != 0;
  } else if (dt == DLT_FLOAT32) {
    float *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = (float)st_elem(k, src, i);
  } else {
    double *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = st_elem(k, src, i);
  }
  return t;
}

static int parse_tensors(const char *what, const dlt_json *root, const unsigned char *data, size_t datalen, dlt_tensor_dict *d) {
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
    if (!t) {
      if (name) dlt_fail_prefix("load: '%s': tensor '%s': ", what, name);
      free(name);
      rc = name ? -1 : dlt_failn("load: out of memory");
      break;
    }
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
  dlt_json root;
  const char *err;
  size_t at;
  if (dlt_json_parse((const char *)b + 8, (size_t)hlen, &root, &err, &at) < 0)
    return dlt_fail("load: '%s': malformed JSON header at byte %zu: %s%s", what, at + 8, err,
                    strcmp(err, "trailing characters") ? "" : " after the header");
  dlt_tensor_dict *d = dlt_calloc(1, sizeof *d);
  if (d && parse_tensors(what, &root, b + 8 + hlen, len - 8 - (size_t)hlen, d) < 0) {
    dlt_tensor_dict_free(d);
    d = NULL;
  }
  dlt_json_free(&root);
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

typedef struct {
  char *s;
  size_t n, cap;
  int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
      b->oom = 1;
      return;
    }
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
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      sb_put(b, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      sb_put(b, esc, 6);
    } else sb_put(b, s, 1);
  }
  sb_put(b, "\"", 1);
}

typedef struct {
  const char *header;
  size_t hlen;
  int n;
  dlt_tensor *const *ts;
} st_save;

static int write_safetensors(FILE *f, void *ctx) {
  st_save *s = ctx;
  uint64_t hl = s->hlen;
  if (fwrite(&hl, 8, 1, f) != 1 || fwrite(s->header, 1, s->hlen, f) != s->hlen) return -1;
  for (int i = 0; i < s->n; i++)
    if (dlt_write_tensor_data(f, s->ts[i]) < 0) return -1;
  return 0;
}

static int check_name(const char *kind, const char *name) {
  if (!dlt_json_valid_utf8(name)) return dlt_failn("save: %s '%s' is not valid UTF-8", kind, name);
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
  while (!b.oom && (b.n + 8) % 8) sb_str(&b, " "); /* data starts 8-byte aligned, as the reference writer pads */
  if (b.oom) {
    free(b.s);
    return dlt_failn("save: cannot allocate the header of '%s'", path);
  }
  st_save s = {b.s, b.n, n, ts};
  int rc = dlt_write_atomic("save", path, write_safetensors, &s);
  free(b.s);
  return rc;
}
