/* io_idx.c: the IDX format of MNIST and Fashion-MNIST (dlt.data.read_idx), plain or
 * gzip-compressed: two zero bytes, a type code, the number of dims, each dim as a
 * big-endian uint32, then the elements, big-endian, in row-major order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/io.h"

/* deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes never
 * holds more than this; a header declaring more is a lie we refuse before allocating */
#define GZ_MAX_RATIO 1032u

typedef struct {
  uint8_t code;
  int size;
  const char *name;
} idx_type;

static const idx_type idx_types[] = {
  {0x08, 1, "ubyte"},
  {0x09, 1, "sbyte"},
  {0x0B, 2, "short"},
  {0x0C, 4, "int"},
  {0x0D, 4, "float"},
  {0x0E, 8, "double"},
};

static const idx_type *find_type(uint8_t code) {
  for (size_t k = 0; k < sizeof idx_types / sizeof idx_types[0]; k++)
    if (idx_types[k].code == code) return &idx_types[k];
  return NULL;
}

typedef struct {
  const idx_type *type;
  int ndim;
  int64_t shape[DLT_MAXDIM];
  size_t hdrlen; /* 4 + 4 * ndim */
  size_t nbytes; /* of the data that follow */
} idx_header;

/* parses the header from its first bytes; need is set to the header length when
 * fewer than that many bytes were given (and 0 is returned, nothing failed) */
static int parse_header(const uint8_t *b, size_t n, idx_header *h, const char *what, size_t *need) {
  *need = 0;
  if (n < 4) {
    *need = 4;
    return 0;
  }
  if (b[0] != 0 || b[1] != 0)
    return dlt_failn("read_idx: '%s' is not an IDX file (magic %02x %02x %02x %02x)", what,
                     b[0], b[1], b[2], b[3]);
  h->type = find_type(b[2]);
  if (!h->type)
    return dlt_failn("read_idx: '%s' has unknown element type 0x%02x", what, b[2]);
  if (b[3] < 1 || b[3] > DLT_MAXDIM)
    return dlt_failn("read_idx: '%s' declares %d dims; dlt reads 1 to %d", what, b[3], DLT_MAXDIM);
  h->ndim = b[3];
  h->hdrlen = 4 + 4 * (size_t)h->ndim;
  if (n < h->hdrlen) {
    *need = h->hdrlen;
    return 0;
  }
  size_t numel = 1;
  for (int d = 0; d < h->ndim; d++) {
    const uint8_t *p = b + 4 + 4 * d;
    uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    h->shape[d] = v;
    if (!dlt_mul_size(numel, v, &numel))
      return dlt_failn("read_idx: '%s' declares a shape too large to address", what);
  }
  if (!dlt_mul_size(numel, (size_t)h->type->size, &h->nbytes))
    return dlt_failn("read_idx: '%s' declares a shape too large to address", what);
  return 0;
}

/* big-endian element k of raw data as a double */
static double element(const uint8_t *p, const idx_type *t, size_t k) {
  p += k * (size_t)t->size;
  switch (t->code) {
  case 0x08: return p[0];
  case 0x09: return (int8_t)p[0];
  case 0x0B: return (int16_t)(uint16_t)(p[0] << 8 | p[1]);
  case 0x0C: return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
  case 0x0D: {
    uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  default: {
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | p[i];
    double d;
    memcpy(&d, &u, 8);
    return d;
  }
  }
}

/* the data of h (raw, big-endian) into a new tensor of dtype; ubyte to float32 and
 * float64 in one pass, since 60,000 images make 47M of them */
static dlt_tensor *to_tensor(const uint8_t *raw, const idx_header *h, dlt_dtype dtype) {
  dlt_tensor *t = dlt_empty(h->ndim, h->shape, dtype);
  if (!t) return NULL;
  size_t n = h->nbytes / (size_t)h->type->size;
  void *out = dlt_data(t);
  if (h->type->code == 0x08 && dtype == DLT_FLOAT32) {
    float *o = out;
    for (size_t k = 0; k < n; k++) o[k] = raw[k];
  } else if (h->type->code == 0x08 && dtype == DLT_FLOAT64) {
    double *o = out;
    for (size_t k = 0; k < n; k++) o[k] = raw[k];
  } else if (dtype == DLT_FLOAT32) {
    float *o = out;
    for (size_t k = 0; k < n; k++) o[k] = (float)element(raw, h->type, k);
  } else {
    double *o = out;
    for (size_t k = 0; k < n; k++) o[k] = element(raw, h->type, k);
  }
  return t;
}

/* the dtype an element type reads as when the caller names none: float stays float32;
 * double and the integer types (exact in a double) read as float64 */
static dlt_dtype natural_dtype(uint8_t code) {
  return code == 0x0D ? DLT_FLOAT32 : DLT_FLOAT64;
}

/* the data of a plain IDX file: a copy of the bytes after its header */
static uint8_t *raw_plain(const uint8_t *b, size_t len, idx_header *h, const char *what) {
  size_t need;
  if (parse_header(b, len, h, what, &need) < 0) return NULL;
  if (need) return dlt_fail("read_idx: '%s' is truncated: %zu bytes, shorter than its header", what, len);
  size_t have = len - h->hdrlen;
  if (have != h->nbytes)
    return dlt_fail("read_idx: '%s' declares %zu bytes of data, the file has %zu", what, h->nbytes, have);
  uint8_t *raw = dlt_malloc(h->nbytes ? h->nbytes : 1);
  if (raw) memcpy(raw, b + h->hdrlen, h->nbytes);
  return raw;
}

/* inflates exactly n more bytes into out; 1 when the stream ended first */
static int inflate_into(z_stream *z, uint8_t *out, size_t n, const char *what) {
  z->next_out = out;
  z->avail_out = (uInt)n;
  while (z->avail_out > 0) {
    int r = inflate(z, Z_NO_FLUSH);
    if (r == Z_STREAM_END) return z->avail_out > 0;
    if (r != Z_OK) return dlt_failn("read_idx: '%s' is not valid gzip data (%s)", what, z->msg ? z->msg : "zlib error");
  }
  return 0;
}

/* the data of a gzip-compressed IDX file, inflated straight into their buffer */
static uint8_t *raw_gzip(const uint8_t *b, size_t len, idx_header *h, const char *what) {
  if (len < 18) return dlt_fail("read_idx: '%s' is truncated: %zu bytes of gzip", what, len);
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 16) != Z_OK) return dlt_fail("read_idx: cannot start zlib for '%s'", what);
  z.next_in = (Bytef *)b;
  z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
  uint8_t hdr[4 + 4 * DLT_MAXDIM], *raw = NULL;
  size_t got = 0, need = 4;
  int r;
  while (need) {
    if ((r = inflate_into(&z, hdr + got, need - got, what)) != 0) {
      if (r > 0) dlt_fail("read_idx: '%s' is truncated: its data end inside the header", what);
      goto fail;
    }
    got = need;
    if (parse_header(hdr, got, h, what, &need) < 0) goto fail;
  }
  /* the gzip trailer holds the uncompressed size mod 2^32 */
  const uint8_t *tr = b + len - 4;
  uint32_t isize = (uint32_t)tr[0] | (uint32_t)tr[1] << 8 | (uint32_t)tr[2] << 16 | (uint32_t)tr[3] << 24;
  if (h->nbytes > (size_t)GZ_MAX_RATIO * len || (uint32_t)(h->hdrlen + h->nbytes) != isize) {
    dlt_fail("read_idx: '%s' declares %zu bytes of data, the file holds %zu", what, h->nbytes,
             (size_t)isize >= h->hdrlen ? (size_t)isize - h->hdrlen : 0);
    goto fail;
  }
  if (!(raw = dlt_malloc(h->nbytes ? h->nbytes : 1))) goto fail;
  if ((r = inflate_into(&z, raw, h->nbytes, what)) != 0) {
    if (r > 0) dlt_fail("read_idx: '%s' is truncated: %zu of %zu bytes of data", what,
                        h->nbytes - z.avail_out, h->nbytes);
    goto fail;
  }
  uint8_t extra;
  if ((r = inflate_into(&z, &extra, 1, what)) <= 0) {
    if (r == 0) dlt_fail("read_idx: '%s' has data past the %zu bytes its header declares", what, h->nbytes);
    goto fail;
  }
  inflateEnd(&z);
  return raw;
fail:
  free(raw);
  inflateEnd(&z);
  return NULL;
}

static uint8_t *raw_idx(const void *buf, size_t len, idx_header *h, const char *what) {
  const uint8_t *b = buf;
  if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) return raw_gzip(b, len, h, what);
  return raw_plain(b, len, h, what);
}

dlt_tensor *dlt_parse_idx(const void *buf, size_t len, int dtype, const char *what) {
  idx_header h;
  uint8_t *raw = raw_idx(buf, len, &h, what);
  if (!raw) return NULL;
  dlt_tensor *t = to_tensor(raw, &h, dtype < 0 ? natural_dtype(h.type->code) : (dlt_dtype)dtype);
  free(raw);
  return t ? t : dlt_fail_prefix("read_idx: '%s': ", what);
}

dlt_tensor *dlt_load_idx(const char *path, int dtype) {
  size_t len;
  void *buf = dlt_read_file("read_idx", path, &len);
  if (!buf) return NULL;
  dlt_tensor *t = dlt_parse_idx(buf, len, dtype, path);
  free(buf);
  return t;
}

uint8_t *dlt_load_idx_bytes(const char *path, int *ndim, int64_t *shape, size_t *n) {
  size_t len;
  void *buf = dlt_read_file("read_idx", path, &len);
  if (!buf) return NULL;
  idx_header h;
  uint8_t *raw = raw_idx(buf, len, &h, path);
  free(buf);
  if (raw && h.type->code != 0x08) {
    free(raw);
    return dlt_fail("read_idx: '%s' holds %s elements, expected unsigned bytes (images)", path, h.type->name);
  }
  if (!raw) return NULL;
  *ndim = h.ndim;
  memcpy(shape, h.shape, sizeof(int64_t) * (size_t)h.ndim);
  *n = h.nbytes;
  return raw;
}
