/* test_io_util.h: what the io tests share: a scratch directory, whole-file reads and
 * exact-size heap copies (so a parser reading one byte too far trips ASan). */
#ifndef TEST_IO_UTIL_H
#define TEST_IO_UTIL_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* mkdtemp, DIR */
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/io.h"
#include "core/tensor.h"

static char scratch[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* removes the scratch directory when the test's process ends */
static void remove_scratch(void) {
  if (scratch[0]) nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* a fresh directory under /tmp for each test (criterion runs each in its own process) */
static inline const char *scratch_dir(void) {
  snprintf(scratch, sizeof scratch, "/tmp/dlt-io-test-XXXXXX");
  cr_assert(mkdtemp(scratch) != NULL);
  atexit(remove_scratch);
  return scratch;
}

static inline char *scratch_path(const char *name) {
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 512, "%s/%s", scratch, name);
  return p;
}

/* number of entries in a directory, . and .. aside */
static inline int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static inline int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static inline unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  cr_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static inline void spit(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert(f != NULL);
  cr_assert(fwrite(b, 1, n, f) == n);
  fclose(f);
}

/* an exact-size heap copy, so reading past n is an ASan error */
static inline void *exact_copy(const void *b, size_t n) {
  void *c = malloc(n ? n : 1);
  memcpy(c, b, n);
  return c;
}

/* a float32 tensor of the given shape holding base + i/8 at flat index i */
static inline dlt_tensor *ramp(int ndim, const int64_t *shape, dlt_dtype dt, double base) {
  dlt_tensor *t = dlt_empty(ndim, shape, dt);
  cr_assert(t != NULL);
  int64_t n = dlt_numel(t);
  for (int64_t i = 0; i < n; i++) {
    if (dt == DLT_FLOAT32) ((float *)t->storage->data)[i] = (float)(base + (double)i / 8);
    else ((double *)t->storage->data)[i] = base + (double)i / 8 + 1e-12;
  }
  return t;
}

static inline void expect_same(const dlt_tensor *a, const dlt_tensor *b) {
  cr_assert_eq(a->dtype, b->dtype, "dtype %d vs %d", a->dtype, b->dtype);
  cr_assert_eq(a->ndim, b->ndim, "ndim %d vs %d", a->ndim, b->ndim);
  for (int d = 0; d < a->ndim; d++) cr_assert_eq(a->shape[d], b->shape[d]);
  int64_t n = dlt_numel(a);
  for (int64_t i = 0; i < n; i++)
    cr_assert_eq(dlt_get_flat(a, i), dlt_get_flat(b, i), "element %lld: %.17g vs %.17g", (long long)i, dlt_get_flat(a, i), dlt_get_flat(b, i));
}

static inline void expect_error(const char *needle) {
  cr_assert(strstr(dlt_error(), needle) != NULL, "error '%s' does not contain '%s'", dlt_error(), needle);
}

#endif
