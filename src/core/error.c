/* error.c: the engine's last error message, and allocation that reports instead of aborting. */
#include "core/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char errbuf[512];

const char *dlt_error(void) { return errbuf[0] ? errbuf : "unknown error"; }

void dlt_unsign_nan(char *s) {
  /* a NaN with its sign bit set (0/0 on x86) prints as "-nan" through printf's %g/%f;
   * PyTorch and Python print "nan". A standalone "-nan" only: names keep their text. */
  for (char *p = s; (p = strstr(p, "-nan")) != NULL; p++) {
    char before = p == s ? ' ' : p[-1], after = p[4];
    if (strchr(" ([{,=:", before) && !isalnum((unsigned char)after)) memmove(p, p + 1, strlen(p));
  }
}

static void vset(const char *fmt, va_list ap) {
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  dlt_unsign_nan(errbuf);
}

void *dlt_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
  return NULL;
}

int dlt_failn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
  return -1;
}

void *dlt_fail_prefix(const char *fmt, ...) {
  char inner[sizeof errbuf];
  memcpy(inner, errbuf, sizeof inner);
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
  size_t n = strlen(errbuf);
  snprintf(errbuf + n, sizeof errbuf - n, "%s", inner[0] ? inner : "unknown error");
  return NULL;
}

/* From 256 MiB up, asks the kernel (MemAvailable plus free swap); unknown is yes. */
bool dlt_memory_available(size_t n) {
  if (n < ((size_t)256 << 20)) return true;
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return true;
  char line[128];
  unsigned long long kb, avail = 0, swap = 0;
  bool seen = false;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) avail = kb, seen = true;
    else if (sscanf(line, "SwapFree: %llu kB", &kb) == 1) swap = kb;
  }
  fclose(f);
  return !seen || n / 1024 <= avail + swap;
}

void *dlt_malloc(size_t n) {
  if (!dlt_memory_available(n)) return dlt_fail("cannot allocate %zu bytes", n);
  void *p = malloc(n ? n : 1);
  if (!p) dlt_fail("cannot allocate %zu bytes", n);
  return p;
}

void *dlt_calloc(size_t count, size_t size) {
  size_t n;
  if (!dlt_mul_size(count, size, &n)) return NULL;
  if (!dlt_memory_available(n)) return dlt_fail("cannot allocate %zu bytes", n);
  void *p = calloc(n ? n : 1, 1);
  if (!p) dlt_fail("cannot allocate %zu bytes", n);
  return p;
}

int dlt_mul_size(size_t a, size_t b, size_t *out) {
  if (b && a > (size_t)-1 / b) {
    dlt_fail("cannot allocate %zu x %zu bytes: size overflows", a, b);
    return 0;
  }
  *out = a * b;
  return 1;
}
