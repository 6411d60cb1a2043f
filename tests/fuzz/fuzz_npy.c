/* fuzz_npy.c: libFuzzer target for the .npy reader (dlt.load_npy): any input must be
 * refused with an error or give a tensor whose every element can be read. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlt_tensor *t = dlt_parse_npy(data, size, "fuzz");
  if (!t) {
    if (strncmp(dlt_error(), "load_npy: ", 10) != 0 && strncmp(dlt_error(), "cannot allocate", 15) != 0) {
      fprintf(stderr, "unexpected error text: %s\n", dlt_error());
      __builtin_trap();
    }
    return 0;
  }
  double sum = 0;
  int64_t n = dlt_numel(t);
  if ((size_t)n * dlt_dtype_size(t->dtype) > size * 8) __builtin_trap(); /* at most 8 bytes per input byte */
  for (int64_t k = 0; k < n; k++) sum += dlt_get_flat(t, k);
  dlt_release(t);
  return sum == 12345.678;
}
