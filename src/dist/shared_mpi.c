/* shared_mpi.c: the gradient sum of ranks that share one machine, through MPI-3 shared
 * windows instead of MPI_Allreduce: each rank writes its part, every rank sums a slice.
 * Windows are created at collective points (DDP's wrap) and freed only at collective
 * points: a window released on every rank is freed by the next creation or by finalize,
 * never by a garbage collector that runs at different times on different ranks. Tensors
 * over a window (DDP's gradients) hold it; finalize moves their bytes to dlt's memory. */
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "core/strided.h" /* DLT_VEC_CLONES */
#include "dist/mpi_module.h"

struct dlt_comm_shared {
  MPI_Comm node; /* the ranks of this machine: all of MPI_COMM_WORLD, in its order */
  MPI_Win win;
  char **part; /* part[r]: rank r's bytes, mapped into this process; NULL once freed */
  int rank, size;
  int refs;            /* holders: the creator and each storage over the window */
  dlt_storage **views; /* the live storages over this rank's part */
  int nviews, capviews;
};

static dlt_comm_shared **wins; /* every window, in creation order: the same on all ranks */
static int nwins;

static void win_free(dlt_comm_shared *s) {
  MPI_Win_unlock_all(s->win);
  MPI_Win_free(&s->win);
  MPI_Comm_free(&s->node);
  free(s->part);
  s->part = NULL;
}

/* collective: frees the windows released on every rank, keeping the rest in order */
static void collect(void) {
  if (!nwins) return;
  int *unused = malloc(sizeof *unused * (size_t)nwins);
  if (!unused) return;
  for (int k = 0; k < nwins; k++) unused[k] = wins[k]->refs == 0;
  if (MPI_Allreduce(MPI_IN_PLACE, unused, nwins, MPI_INT, MPI_MIN, MPI_COMM_WORLD) == MPI_SUCCESS) {
    int m = 0;
    for (int k = 0; k < nwins; k++) {
      if (unused[k]) {
        win_free(wins[k]);
        free(wins[k]->views);
        free(wins[k]);
      } else {
        wins[m++] = wins[k];
      }
    }
    nwins = m;
  }
  free(unused);
}

/* the window of nbytes per rank, or NULL (all ranks alike) when they are not on one machine */
static dlt_comm_shared *create(int64_t nbytes) {
  dlt_comm_shared *s = calloc(1, sizeof *s);
  dlt_comm_shared **grown = realloc(wins, sizeof *wins * (size_t)(nwins + 1));
  if (grown) wins = grown;
  int wsize, nsize = 0, ok = s && grown;
  MPI_Comm_size(MPI_COMM_WORLD, &wsize);
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) ok = 0;
  if (ok) MPI_Comm_size(node, &nsize);
  if (ok && nsize == wsize) s->part = calloc((size_t)nsize, sizeof *s->part);
  ok = s && s->part;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  void *mine = NULL;
  MPI_Aint size = (MPI_Aint)((nbytes + 63) / 64 * 64); /* parts on 64-byte lines */
  int got = ok && MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, node, &mine, &s->win) == MPI_SUCCESS;
  int all = got;
  MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!all) {
    if (got) MPI_Win_free(&s->win);
    if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    if (s) free(s->part);
    free(s);
    return NULL;
  }
  s->node = node;
  s->size = nsize;
  MPI_Comm_rank(node, &s->rank);
  MPI_Win_set_errhandler(s->win, MPI_ERRORS_RETURN);
  for (int r = 0; r < nsize; r++) {
    MPI_Aint sz;
    int unit;
    MPI_Win_shared_query(s->win, r, &sz, &unit, &s->part[r]);
  }
  MPI_Win_lock_all(MPI_MODE_NOCHECK, s->win);
  s->refs = 1;
  wins[nwins++] = s;
  return s;
}

dlt_comm_shared *dlt_mpi_shared_new(int64_t nbytes) {
  if (!dlt_mpi_active() || dlt_mpi_size() < 2 || getenv("DLT_DIST_NO_SHM")) return NULL;
  collect();
  return create(nbytes);
}

int dlt_mpi_shared_count(void) { return nwins; }

void dlt_mpi_shared_release(dlt_comm_shared *s) {
  if (!s || --s->refs > 0) return;
  if (!s->part) { /* its window went with the process group: only the struct is left */
    free(s->views);
    free(s);
  }
}

/* a storage over the window lost its last view */
static void view_release(dlt_storage *st, void *ctx) {
  dlt_comm_shared *s = ctx;
  for (int k = 0; k < s->nviews; k++)
    if (s->views[k] == st) {
      s->views[k] = s->views[--s->nviews];
      break;
    }
  dlt_mpi_shared_release(s);
}

dlt_tensor *dlt_mpi_shared_tensor(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype) {
  if (!s->part) return dlt_mpi_core->fail("DistributedDataParallel: no process group: it was destroyed");
  if (s->nviews == s->capviews) {
    int cap = s->capviews ? 2 * s->capviews : 16;
    dlt_storage **v = realloc(s->views, sizeof *v * (size_t)cap);
    if (!v) return dlt_mpi_core->fail("DistributedDataParallel: cannot allocate %zu bytes", sizeof *v * (size_t)cap);
    s->views = v;
    s->capviews = cap;
  }
  dlt_tensor *t = dlt_mpi_core->from_memory(s->part[s->rank] + off, ndim, shape, dtype, view_release, s);
  if (!t) return NULL;
  s->views[s->nviews++] = t->storage;
  s->refs++;
  return t;
}

void dlt_mpi_shared_free_all(void) {
  for (int k = 0; k < nwins; k++) {
    dlt_comm_shared *s = wins[k];
    /* tensors that outlive the process group keep their bytes, now in dlt's memory */
    while (s->nviews > 0 && dlt_mpi_core->storage_own(s->views[s->nviews - 1]) == 0) {
      s->nviews--;
      s->refs--;
    }
    if (s->nviews > 0) continue; /* out of memory: the window stays mapped for them */
    win_free(s);
    /* a window still held keeps its struct, its part NULL: the holder sees it is gone */
    if (s->refs == 0) {
      free(s->views);
      free(s);
    }
  }
  free(wins);
  wins = NULL;
  nwins = 0;
}

void *dlt_mpi_shared_mine(const dlt_comm_shared *s) { return s->part ? s->part[s->rank] : NULL; }

/* makes every rank's writes to the window visible to all (the MPI-3 shared-memory idiom) */
int dlt_mpi_shared_fence(const char *fn, dlt_comm_shared *s) {
  if (!s->part) return dlt_mpi_core->failn("%s: no process group: call dlt.distributed.init_process_group() first", fn);
  MPI_Win_sync(s->win);
  int rc = MPI_Barrier(s->node);
  MPI_Win_sync(s->win);
  if (rc == MPI_SUCCESS) return 0;
  return dlt_mpi_core->failn("%s: rank %d of %d: MPI_Barrier failed (error %d)", fn, s->rank + 1, s->size, rc);
}

/* This rank's slice of n elements: whole 64-byte lines, so no two ranks write one line. */
static void slice(const dlt_comm_shared *s, int64_t n, size_t es, int64_t *lo, int64_t *hi) {
  int64_t line = 64 / (int64_t)es, lines = (n + line - 1) / line;
  *lo = lines * s->rank / s->size * line;
  *hi = lines * (s->rank + 1) / s->size * line;
  if (*lo > n) *lo = n;
  if (*hi > n) *hi = n;
}

#define BLOCK 1024

/* sum[i] = (part[0][i] + part[1][i] + ...) * scale (rank order) for i in [lo, hi),
 * through a block on the stack, written back to every rank's part: one rank computes
 * each element, so all ranks get the same bits. Vector clones: baseline x86-64 sums
 * four floats at a time, and this sum is most of DDP's cost on one machine. */
#define SUM_SLICE(T) \
  DLT_VEC_CLONES static void sum_slice_##T(char *const *part, int size, int64_t off, int64_t lo, int64_t hi, \
                                           double scale) { \
    T acc[BLOCK], sc = (T)scale; \
    for (int64_t b = lo; b < hi; b += BLOCK) { \
      int64_t m = hi - b < BLOCK ? hi - b : BLOCK; \
      const T *p0 = (const T *)part[0] + off + b; \
      for (int64_t i = 0; i < m; i++) acc[i] = p0[i]; \
      for (int r = 1; r < size; r++) { \
        const T *pr = (const T *)part[r] + off + b; \
        for (int64_t i = 0; i < m; i++) acc[i] += pr[i]; \
      } \
      for (int64_t i = 0; i < m; i++) acc[i] *= sc; \
      for (int r = 0; r < size; r++) \
        memcpy((T *)part[r] + off + b, acc, (size_t)m * sizeof(T)); \
    } \
  }
SUM_SLICE(float)
SUM_SLICE(double)

void dlt_mpi_shared_sum_slice(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale) {
  int64_t lo, hi;
  slice(s, n, dlt_dtype_size(dtype), &lo, &hi);
  if (dtype == DLT_FLOAT32) sum_slice_float(s->part, s->size, off, lo, hi, scale);
  else sum_slice_double(s->part, s->size, off, lo, hi, scale);
}
