/* worker.c: the helper thread of dlt_worker_run2/post and the spin-then-sleep waiter.
 * The helper is started on first use on a CPU other than the caller's, spins briefly
 * after each job (the next product of a layer loop follows within tens of
 * microseconds) and then sleeps. */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np */
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "core/worker.h"

#define SPIN_NS 300000L /* how long the helper waits for the next job before sleeping */

/* ---- the waiter ---- */

void dlt_waiter_init(dlt_waiter *w) {
  atomic_init(&w->value, 0);
  atomic_init(&w->sleeping, false);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->wake, NULL);
}

void dlt_waiter_destroy(dlt_waiter *w) {
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->wake);
}

/* The store comes before the lock and the waiter checks the value under it before it
 * sleeps, so a waiter either sees the value or is asleep when the signal comes. */
void dlt_waiter_set(dlt_waiter *w, unsigned v) {
  atomic_store_explicit(&w->value, v, memory_order_release);
  pthread_mutex_lock(&w->lock);
  if (atomic_load(&w->sleeping)) pthread_cond_broadcast(&w->wake);
  pthread_mutex_unlock(&w->lock);
}

static long elapsed_ns(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

unsigned dlt_waiter_wait(dlt_waiter *w, unsigned seen, long spin_ns) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned v;
  for (long i = 1; (v = atomic_load_explicit(&w->value, memory_order_acquire)) == seen; i++)
    if (i % 256 == 0 && elapsed_ns(&t0) > spin_ns) {
      pthread_mutex_lock(&w->lock);
      atomic_store(&w->sleeping, true);
      while ((v = atomic_load_explicit(&w->value, memory_order_acquire)) == seen) pthread_cond_wait(&w->wake, &w->lock);
      atomic_store(&w->sleeping, false);
      pthread_mutex_unlock(&w->lock);
    }
  return v;
}

/* ---- the helper thread ---- */

static struct {
  dlt_waiter posted; /* job counter: a job is posted when posted > done */
  pthread_t thread;
  pid_t pid; /* the process that started it: a forked child starts its own */
  atomic_uint done;
  void (*fn)(void *);
  void *arg;
  unsigned job; /* the posted job's number */
  int state;    /* 0 not started, 1 running, -1 unavailable */
} W = {.posted = DLT_WAITER_INIT};

static _Thread_local bool on_worker;
static atomic_flag busy = ATOMIC_FLAG_INIT; /* one job at a time: another caller runs both halves */

static void *worker_main(void *unused) {
  (void)unused;
  on_worker = true;
  for (unsigned seen = 0;;) {
    seen = dlt_waiter_wait(&W.posted, seen, SPIN_NS);
    W.fn(W.arg);
    atomic_store_explicit(&W.done, seen, memory_order_release);
  }
  return NULL;
}

/* starts the helper on the CPUs other than the caller's; 1 when it runs */
static int start(void) {
  if (W.state == 1 && W.pid == getpid()) return 1;
  if (W.state == -1 && W.pid == getpid()) return 0;
  W.pid = getpid();
  W.state = -1;
  atomic_store(&W.posted.value, 0);
  atomic_store(&W.done, 0);
  cpu_set_t cpus;
  int cur = sched_getcpu();
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) < 2) return 0;
  if (cur >= 0 && CPU_ISSET(cur, &cpus)) CPU_CLR(cur, &cpus);
  pthread_attr_t at;
  if (pthread_attr_init(&at) != 0) return 0;
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  bool ok = pthread_attr_setaffinity_np(&at, sizeof cpus, &cpus) == 0 &&
            pthread_create(&W.thread, &at, worker_main, NULL) == 0;
  pthread_attr_destroy(&at);
  if (ok) W.state = 1;
  return ok;
}

bool dlt_worker_post(void (*fn)(void *), void *arg) {
  if (on_worker || atomic_flag_test_and_set(&busy)) return false;
  if (!start()) {
    atomic_flag_clear(&busy);
    return false;
  }
  W.job = atomic_load(&W.done) + 1;
  W.fn = fn;
  W.arg = arg;
  dlt_waiter_set(&W.posted, W.job);
  return true;
}

void dlt_worker_wait(void) {
  while (atomic_load_explicit(&W.done, memory_order_acquire) != W.job) sched_yield();
  atomic_flag_clear(&busy);
}

void dlt_worker_run2(void (*fn)(void *), void *a, void *b) {
  if (!dlt_worker_post(fn, a)) {
    fn(a);
    fn(b);
    return;
  }
  fn(b);
  dlt_worker_wait();
}

typedef struct {
  void (*fn)(void *ctx, int64_t lo, int64_t hi);
  void *ctx;
  int64_t lo, hi;
} range_job;

static void run_range(void *p) {
  range_job *r = p;
  r->fn(r->ctx, r->lo, r->hi);
}

void dlt_worker_split(void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx, int64_t n, int64_t align,
                      int64_t grain, bool threads) {
  int64_t m = (n / 2 + align / 2) / align * align;
  if (!threads || n < grain || m <= 0 || m >= n) {
    fn(ctx, 0, n);
    return;
  }
  range_job a = {fn, ctx, m, n}, b = {fn, ctx, 0, m};
  dlt_worker_run2(run_range, &a, &b);
}
