/* file.c: the file helpers every format shares (io.h): a whole file into memory, and
 * the atomic writer (a temporary beside the target, renamed onto it). */
#define _POSIX_C_SOURCE 200809L  /* fdopen, fileno, fsync */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"

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
