/* beside.c: where dlt's optional modules are found first: in the folder of the program
 * or library that holds the caller's code (dlt_mpi.so beside dltlua or dlt.so, as the
 * build and the install leave them). */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/io.h"

int dlt_path_beside(const void *code, const char *file, char *out, size_t cap) {
  Dl_info info;
  char self[PATH_MAX];
  /* dladdr names an executable by its argv[0], not a path when started from PATH */
  if (!dladdr(code, &info) || !info.dli_fname || !strchr(info.dli_fname, '/') || !realpath(info.dli_fname, self)) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
  }
  char *slash = strrchr(self, '/');
  if (!slash) return -1;
  slash[1] = '\0';
  int n = snprintf(out, cap, "%s%s", self, file);
  return n >= 0 && (size_t)n < cap ? 0 : -1;
}
