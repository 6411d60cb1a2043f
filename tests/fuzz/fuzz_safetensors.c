/* fuzz_safetensors.c: libFuzzer target for the safetensors reader (dlt.load): any input
 * must be refused with an error or give tensors whose every element can be read. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlt_tensor_dict *d = dlt_parse_safetensors(data, size, "fuzz");
  if (!d) {
    if (strncmp(dlt_error(), "load: ", 6) != 0 && strncmp(dlt_error(), "cannot allocate", 15) != 0) {
      fprintf(stderr, "unexpected error text: %s\n", dlt_error());
      __builtin_trap();
    }
    return 0;
  }
  double sum = 0;
  for (int i = 0; i < d->n; i++) {
    int64_t n = dlt_numel(d->tensors[i]);
    for (int64_t k = 0; k < n; k++) sum += dlt_get_flat(d->tensors[i], k);
    if (strlen(d->names[i]) > size) __builtin_trap();
  }
  for (int i = 0; i < d->nmeta; i++)
    if (strlen(d->meta_keys[i]) + strlen(d->meta_values[i]) > size) __builtin_trap();
  dlt_tensor_dict_free(d);
  return sum == 12345.678; /* keeps the reads; libFuzzer ignores the value */
}
