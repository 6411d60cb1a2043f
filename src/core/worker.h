/* worker.h: one helper thread that takes part of a job while the caller does the rest
 * (halves of products in core/blas.c, draws in core/random.c, bands of a figure in
 * plot/png.c), and the spin-then-sleep wait that it and its users share. */
#ifndef DLT_WORKER_H
#define DLT_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Runs fn(a) on the helper thread and fn(b) on the calling thread, and returns once both
 * are done. With no helper (one CPU, a failed pthread_create, a call from the helper
 * itself, the helper busy) the caller runs both, a then b. */
void dlt_worker_run2(void (*fn)(void *), void *a, void *b);
/* fn(ctx, lo, hi) over [0, n): with threads true and n at least grain, [0, m) on the
 * caller and [m, n) on the helper, m a multiple of align near n/2; else fn(ctx, 0, n).
 * For the short passes around the larger jobs (a layer's bias and ReLU, a gradient's
 * zeroing), which would otherwise each need a job struct and a run2 of their own. */
void dlt_worker_split(void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx, int64_t n, int64_t align,
                      int64_t grain, bool threads);
/* Starts fn(arg) on the helper and returns at once; false (nothing started) when there
 * is no helper free, as for run2. A true return must be followed by dlt_worker_wait. */
bool dlt_worker_post(void (*fn)(void *), void *arg);
/* Returns once the posted job is done. */
void dlt_worker_wait(void);

/* A value one thread waits on while another changes it: the waiter spins for a while
 * (the change usually follows within microseconds, and a sleeping thread woken later is
 * often put behind its waker on the same CPU), then sleeps on a condition variable. */
typedef struct {
  atomic_uint value;
  atomic_bool sleeping;
  pthread_mutex_t lock;
  pthread_cond_t wake;
} dlt_waiter;

#define DLT_WAITER_INIT \
  { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER }
void dlt_waiter_init(dlt_waiter *w); /* value 0 */
void dlt_waiter_destroy(dlt_waiter *w);
/* Stores v and wakes the waiter if it sleeps. */
void dlt_waiter_set(dlt_waiter *w, unsigned v);
/* The value once it differs from seen: spins up to spin_ns, then sleeps. */
unsigned dlt_waiter_wait(dlt_waiter *w, unsigned seen, long spin_ns);

#endif
