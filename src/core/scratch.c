/* scratch.c: kernels' reusable buffers (scratch.h). */
#include <stdlib.h>

#include "core/error.h"
#include "core/scratch.h"

void *dlt_scratch_get(dlt_scratch *s, size_t bytes) {
  if (bytes <= s->n && s->p) return s->p;
  void *p = dlt_malloc(bytes ? bytes : 1);
  if (!p) return NULL;
  free(s->p);
  s->p = p;
  s->n = bytes;
  return p;
}
