/* test_worker_split.c: dlt_worker_split (core/worker.c) covers [0, n) exactly once, in
 * two ranges cut at a multiple of align when it splits, in one call when the range is
 * below grain, one thread is asked for, or the cut would leave a side empty. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>

#include "core/worker.h"

enum { MAXN = 100000 };

typedef struct {
  atomic_int calls;
  int64_t lo[2], hi[2];
  unsigned char seen[MAXN];
} record;

static void mark(void *p, int64_t lo, int64_t hi) {
  record *r = p;
  int k = atomic_fetch_add(&r->calls, 1);
  if (k < 2) r->lo[k] = lo, r->hi[k] = hi;
  for (int64_t i = lo; i < hi; i++) r->seen[i]++;
}

static record *run(int64_t n, int64_t align, int64_t grain, bool threads) {
  static record r;
  memset(&r, 0, sizeof r);
  dlt_worker_split(mark, &r, n, align, grain, threads);
  for (int64_t i = 0; i < n; i++) cr_assert_eq(r.seen[i], 1, "n %lld: element %lld covered %d times", (long long)n, (long long)i, r.seen[i]);
  return &r;
}

Test(worker_split, two_ranges_cut_at_a_multiple_of_align) {
  record *r = run(1000, 8, 100, true);
  cr_assert_eq(atomic_load(&r->calls), 2);
  for (int k = 0; k < 2; k++) {
    int64_t cut = r->lo[k] == 0 ? r->hi[k] : r->lo[k];
    cr_assert_eq(cut % 8, 0, "cut at %lld", (long long)cut);
    cr_assert(cut >= 496 && cut <= 504, "cut at %lld, not near the middle", (long long)cut);
  }
}

Test(worker_split, one_call_below_grain_or_on_one_thread) {
  record *r = run(99, 1, 100, true);
  cr_assert_eq(atomic_load(&r->calls), 1);
  cr_assert(r->lo[0] == 0 && r->hi[0] == 99);
  r = run(MAXN, 1, 100, false);
  cr_assert_eq(atomic_load(&r->calls), 1, "threads false: the caller alone");
}

Test(worker_split, one_call_when_the_cut_leaves_a_side_empty) {
  /* n = 10 with align 64: the cut rounds to 0 */
  record *r = run(10, 64, 1, true);
  cr_assert_eq(atomic_load(&r->calls), 1);
  r = run(0, 1, 0, true);
  cr_assert_eq(atomic_load(&r->calls), 1, "an empty range: one call over nothing");
}

Test(worker_split, odd_sizes_cover_every_element_once) {
  for (int64_t n = 1; n < 200; n += 7) run(n, 4, 1, true);
  run(MAXN - 1, 16, 1000, true);
}
