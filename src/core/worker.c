/* worker.c: the helper thread of dlt_worker_run2. It is started on first use on a CPU
 * other than the caller's, spins briefly after each job (the next product of a layer
 * loop follows within tens of microseconds) and then sleeps on a condition variable. */
#define _GNU_SOURCE  /* sched_getcpu, pthread_attr_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "core/worker.h"

#define SPIN_NS 300000L  /* how long the helper waits for the next job before sleeping */

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  pid_t pid;                /* the process that started it: a forked child starts its own */
  atomic_uint posted, done;  /* job counters: a job is posted when posted > done */
  atomic_bool sleeping;
  void (*fn)(void *);
  void *arg;
  int state;                 /* 0 not started, 1 running, -1 unavailable */
} W = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static _Thread_local bool on_worker;
static atomic_flag busy = ATOMIC_FLAG_INIT;  /* one job at a time: another caller runs both halves */

static long elapsed_ns(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* the next job's counter value once one is posted: spins SPIN_NS, then sleeps */
static unsigned next_job(unsigned seen) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 1; atomic_load_explicit(&W.posted, memory_order_acquire) == seen; i++)
    if (i % 256 == 0 && elapsed_ns(&t0) > SPIN_NS) {
      pthread_mutex_lock(&W.lock);
      atomic_store(&W.sleeping, true);
      while (atomic_load_explicit(&W.posted, memory_order_acquire) == seen) pthread_cond_wait(&W.wake, &W.lock);
      atomic_store(&W.sleeping, false);
      pthread_mutex_unlock(&W.lock);
    }
  return seen + 1;
}

static void *worker_main(void *unused) {
  (void)unused;
  on_worker = true;
  for (unsigned seen = 0;;) {
    seen = next_job(seen);
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
  atomic_store(&W.posted, 0);
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

void dlt_worker_run2(void (*fn)(void *), void *a, void *b) {
  if (on_worker || atomic_flag_test_and_set(&busy)) {
    fn(a);
    fn(b);
    return;
  }
  if (!start()) {
    atomic_flag_clear(&busy);
    fn(a);
    fn(b);
    return;
  }
  unsigned job = atomic_load(&W.done) + 1;
  W.fn = fn;
  W.arg = a;
  pthread_mutex_lock(&W.lock);
  atomic_store_explicit(&W.posted, job, memory_order_release);
  if (atomic_load(&W.sleeping)) pthread_cond_signal(&W.wake);
  pthread_mutex_unlock(&W.lock);
  fn(b);
  while (atomic_load_explicit(&W.done, memory_order_acquire) != job) sched_yield();
  atomic_flag_clear(&busy);
}
