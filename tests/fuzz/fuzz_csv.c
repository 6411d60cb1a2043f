/* fuzz_csv.c: libFuzzer target for the CSV reader (dlt.data.load_csv). The first byte
 * picks the header mode and dtype; the rest is the file. Errors must name load_csv. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int header = data[0] % 3 - 1; /* AUTO, NO_HEADER, HEADER */
  dlt_dtype dt = data[0] & 4 ? DLT_FLOAT64 : DLT_FLOAT32;
  dlt_csv *c = dlt_parse_csv((const char *)data + 1, size - 1, header, dt, "fuzz");
  if (!c) {
    if (strncmp(dlt_error(), "load_csv: ", 10) != 0 && strncmp(dlt_error(), "cannot allocate", 15) != 0) {
      fprintf(stderr, "unexpected error text: %s\n", dlt_error());
      __builtin_trap();
    }
    return 0;
  }
  if (c->data->ndim != 2 || c->data->shape[1] != c->ncols) __builtin_trap();
  double sum = 0;
  int64_t n = dlt_numel(c->data);
  for (int64_t k = 0; k < n; k++) sum += dlt_get_flat(c->data, k);
  for (int i = 0; c->colnames && i < c->ncols; i++) sum += (double)strlen(c->colnames[i]);
  dlt_csv_free(c);
  return sum == 12345.678;
}
