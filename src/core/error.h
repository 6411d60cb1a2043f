/* error.h: how the engine reports a failure without knowing about Lua: the failing
 * function returns NULL (or -1) and leaves a message naming itself and the values. */
#ifndef DLT_ERROR_H
#define DLT_ERROR_H

#include <stdbool.h>
#include <stddef.h>

const char *dlt_error(void);
/* formats the message; returns NULL so callers can `return dlt_fail(...)` */
void *dlt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dlt_failn(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* returns -1 */
/* puts the formatted text before the current message, a lower layer's ("load_npy: 'f':
 * " before "tensor: ..."), so that the caller's name leads it; returns NULL */
void *dlt_fail_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rewrites each standalone "-nan" in s as "nan" (messages print NaN as PyTorch does) */
void dlt_unsign_nan(char *s);

/* Whether n bytes can be had at all: memory larger than the kernel says is available
 * would get the process killed when it is touched, instead of failing */
bool dlt_memory_available(size_t n);
/* malloc/calloc that fail with "cannot allocate N bytes", from the kernel or up front
 * when dlt_memory_available says no */
void *dlt_malloc(size_t n);
void *dlt_calloc(size_t count, size_t size);
/* n*size without overflow; false (with the error set) if it overflows */
int dlt_mul_size(size_t a, size_t b, size_t *out);

#endif
