/* worker.h: one helper thread that takes half of a job while the caller does the other
 * half, for products that one core would do alone (see core/blas.c). */
#ifndef DLT_WORKER_H
#define DLT_WORKER_H

/* Runs fn(a) on the helper thread and fn(b) on the calling thread, and returns once both
 * are done. With no helper (one CPU, a failed pthread_create, a call from the helper
 * itself) the caller runs both, a then b. */
void dlt_worker_run2(void (*fn)(void *), void *a, void *b);

#endif
