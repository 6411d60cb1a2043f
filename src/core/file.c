/* file.c: the one reader and the one atomic writer behind every file dlt reads or writes
 * (safetensors, .npy, CSV, IDX, PNG): regular files only, and saves that either replace
 * the target whole or leave it untouched. */
#define _GNU_SOURCE /* O_CLOEXEC, O_NOFOLLOW, getrandom */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"

void *dlt_read_file(const char *fn, const char *path, size_t *len) {
  /* O_NONBLOCK: opening a FIFO with no writer returns at once (then is refused below) */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return dlt_fail("%s: cannot open '%s': %s", fn, path, strerror(errno));
  struct stat st = {0};
  errno = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    /* a device (/dev/zero), FIFO or socket could be read forever, or block */
    const char *why = errno && !st.st_mode ? strerror(errno) : S_ISDIR(st.st_mode) ? strerror(EISDIR)
                                                                                   : "not a regular file";
    close(fd);
    return dlt_fail("%s: cannot read '%s': %s", fn, path, why);
  }
  if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX - 1) {
    close(fd);
    return dlt_fail("%s: '%s' is too large (%lld bytes)", fn, path, (long long)st.st_size);
  }
  /* exactly the size fstat gave: a file growing meanwhile is read as it was */
  size_t cap = (size_t)st.st_size, n = 0;
  char *buf = dlt_malloc(cap ? cap : 1);
  while (buf && n < cap) {
    ssize_t r = read(fd, buf + n, cap - n);
    if (r == 0) break; /* it shrank */
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
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

/* The temporary file: in path's directory (so the rename is atomic), named
 * ".dlt-<12 random letters>.tmp", 21 bytes whatever the target's name, so a name up to
 * the system's limit still saves. Created with O_EXCL and O_NOFOLLOW: a name planted in
 * advance (a symlink to elsewhere) is never written through, and the random part makes
 * it unguessable. Returns the descriptor, *tmp the malloc'd name. */
static int open_temp(const char *path, char **tmp) {
  static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0, n = dirlen + 32;
  char *name = dlt_malloc(n);
  if (!name) return -1;
  memcpy(name, path, dirlen);
  for (int tries = 0; tries < 100; tries++) {
    unsigned char r[12];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
      /* no entropy source: the address space layout and time still vary per call */
      uintptr_t s = (uintptr_t)&r ^ (uintptr_t)name ^ (uintptr_t)getpid() * 2654435761u ^ (uintptr_t)tries;
      for (size_t i = 0; i < sizeof r; i++) s = s * 6364136223846793005u + 1442695040888963407u, r[i] = (unsigned char)(s >> 56);
    }
    char *p = name + dirlen;
    memcpy(p, ".dlt-", 5);
    for (size_t i = 0; i < sizeof r; i++) p[5 + i] = letters[r[i] % 36];
    memcpy(p + 5 + sizeof r, ".tmp", 5);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666); /* & ~umask, as fopen */
    if (fd >= 0) {
      *tmp = name;
      return fd;
    }
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
  if (rc != 0) unlink(tmp);
  free(tmp);
  if (rc == DLT_WRITE_FAILED) return -1; /* fill named the failure itself */
  if (rc != 0) return dlt_failn("%s: cannot write '%s': %s", fn, path, strerror(e));
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

static double half_to_double(uint16_t h) {
  int e = h >> 10 & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY)
                                              : ldexp(m + 1024, e - 25);
  return h & 0x8000 ? -v : v;
}

double dlt_decode_number(char kind, int size, const unsigned char *p) {
  union {
    float f;
    double d;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
  } u;
  memcpy(&u, p, (size_t)size);
  switch (kind) {
  case 'f': return size == 2 ? half_to_double(u.u16) : size == 4 ? u.f
                                                                 : u.d;
  case 'i': return size == 1 ? u.i8 : size == 2 ? u.i16
                                    : size == 4 ? u.i32
                                                : (double)u.i64;
  case 'u': return size == 1 ? u.u8 : size == 2 ? u.u16
                                    : size == 4 ? u.u32
                                                : (double)u.u64;
  case 'g': { /* bfloat16: the top half of a float32 */
    uint32_t b = (uint32_t)u.u16 << 16;
    float f;
    memcpy(&f, &b, 4);
    return f;
  }
  default: return u.u8 != 0;
  }
}
