/* scratch.h: a buffer a kernel keeps from call to call, grown when a call needs more (the
 * engine runs its kernels from one thread, and each thread of a split has its own). */
#ifndef DLT_CORE_SCRATCH_H
#define DLT_CORE_SCRATCH_H

#include <stddef.h>

typedef struct {
  void *p;
  size_t n; /* bytes */
} dlt_scratch;

/* s's buffer of at least bytes (its contents undefined), or NULL with the error set when
 * it cannot grow; the old buffer is kept then */
void *dlt_scratch_get(dlt_scratch *s, size_t bytes);

#endif
