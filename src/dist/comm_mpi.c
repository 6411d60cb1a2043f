/* comm_mpi.c: dlt's transport over MPI_COMM_WORLD, in the MPI module (dlt_mpi.so, see
 * mpi_module.h): start and stop, the collectives on raw buffers, the agreement check and
 * the nonblocking sum DDP overlaps with backward, and the module's entry point. MPI
 * returns its errors here (MPI_ERRORS_RETURN) and they become dlt errors. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "dist/mpi_module.h"

static bool active, finalized;
static bool local_only; /* a group of this one process, MPI not started */
static int rank_, size_;

const dlt_mpi_host *dlt_mpi_core;

bool dlt_mpi_active(void) { return active; }
static int comm_rank(void) { return rank_; }
int dlt_mpi_size(void) { return size_; }

/* the MPI error rc as a dlt error naming fn and this rank (1-based, as Lua shows ranks) */
static int mpi_fail(const char *fn, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error %d", rc);
  return dlt_mpi_core->failn("%s: rank %d of %d: MPI failed: %s", fn, rank_ + 1, size_, msg);
}

static int check_active(const char *fn) {
  if (active) return 0;
  return dlt_mpi_core->failn("%s: no process group: call dlt.distributed.init_process_group() first", fn);
}

/* Launchers tell their processes the job's size: Open MPI's mpirun, MPICH's hydra (PMI),
 * PMIx-based ones (srun). Without one, the process is alone: no MPI is needed. */
static bool launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static int comm_init(void) {
  if (active) return dlt_mpi_core->failn("init_process_group: the process group is already initialized");
  if (!launched()) {
    /* run without mpirun: a world of one, so a data-parallel script runs unchanged */
    local_only = active = true;
    rank_ = 0;
    size_ = 1;
    return 0;
  }
  if (finalized) return dlt_mpi_core->failn("init_process_group: MPI cannot start again after destroy_process_group()");
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    /* FUNNELED: dlt's helper threads never call MPI, only the thread that runs Lua */
    int provided, rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return dlt_mpi_core->failn("init_process_group: MPI_Init failed (error %d)", rc);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  active = true;
  return 0;
}

static int comm_finalize(void) {
  if (!active) return 0;
  active = false;
  if (local_only) {
    local_only = false;
    return 0;
  }
  finalized = true;
  dlt_mpi_shared_free_all();
  int rc = MPI_Finalize();
  return rc == MPI_SUCCESS ? 0 : mpi_fail("destroy_process_group", rc);
}

static void comm_abort(int code) {
  if (active && !local_only) MPI_Abort(MPI_COMM_WORLD, code);
}

static int comm_barrier(const char *fn) {
  if (check_active(fn)) return -1;
  if (local_only) return 0;
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(fn, rc);
}

static MPI_Datatype mpi_type(dlt_dtype d) { return d == DLT_FLOAT32 ? MPI_FLOAT : MPI_DOUBLE; }

static MPI_Op mpi_op(dlt_reduce_op op) {
  return op == DLT_REDUCE_MAX ? MPI_MAX : op == DLT_REDUCE_MIN ? MPI_MIN
                                                               : MPI_SUM;
}

/* MPI counts are ints: larger buffers go in pieces of at most CHUNK elements */
#define CHUNK ((int64_t)1 << 30)

static int comm_allreduce(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_reduce_op op) {
  if (check_active(fn)) return -1;
  if (local_only) return 0; /* the sum, max, min and mean of one rank's values are those values */
  size_t es = dlt_dtype_size(dtype);
  for (int64_t at = 0; at < n; at += CHUNK) {
    int cnt = (int)(n - at < CHUNK ? n - at : CHUNK);
    int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + (size_t)at * es, cnt, mpi_type(dtype), mpi_op(op), MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(fn, rc);
  }
  if (op == DLT_REDUCE_AVG) {
    if (dtype == DLT_FLOAT32) {
      float *p = buf, s = (float)size_;
      for (int64_t i = 0; i < n; i++) p[i] /= s;
    } else {
      double *p = buf, s = (double)size_;
      for (int64_t i = 0; i < n; i++) p[i] /= s;
    }
  }
  return 0;
}

static int comm_broadcast(const char *fn, void *buf, int64_t nbytes, int root) {
  if (check_active(fn)) return -1;
  if (local_only) return 0;
  for (int64_t at = 0; at < nbytes; at += CHUNK) {
    int cnt = (int)(nbytes - at < CHUNK ? nbytes - at : CHUNK);
    int rc = MPI_Bcast((char *)buf + at, cnt, MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(fn, rc);
  }
  return 0;
}

static int comm_allgather(const char *fn, const void *in, int64_t nbytes, void *out) {
  if (check_active(fn)) return -1;
  if (local_only) {
    memcpy(out, in, (size_t)nbytes);
    return 0;
  }
  if (nbytes <= INT_MAX) {
    int rc = MPI_Allgather(in, (int)nbytes, MPI_BYTE, out, (int)nbytes, MPI_BYTE, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(fn, rc);
  }
  /* each rank's piece broadcast in turn: a gather of more than 2 GB per rank is rare */
  for (int r = 0; r < size_; r++) {
    char *dst = (char *)out + (size_t)r * (size_t)nbytes;
    if (r == rank_) memcpy(dst, in, (size_t)nbytes);
    if (comm_broadcast(fn, dst, nbytes, r)) return -1;
  }
  return 0;
}

static int comm_agree(const char *fn, const char *const *what, const int64_t *v, int n) {
  if (check_active(fn)) return -1;
  if (local_only) return 0;
  int64_t *all = malloc(sizeof *all * (size_t)n * (size_t)size_);
  if (!all) return dlt_mpi_core->failn("%s: cannot allocate %zu bytes", fn, sizeof *all * (size_t)n * (size_t)size_);
  int rc = MPI_Allgather(v, n, MPI_INT64_T, all, n, MPI_INT64_T, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) {
    free(all);
    return mpi_fail(fn, rc);
  }
  for (int r = 1; r < size_; r++)
    for (int k = 0; k < n; k++)
      if (all[(size_t)r * n + k] != all[k]) {
        int64_t mine = all[(size_t)r * n + k], first = all[k];
        free(all);
        return dlt_mpi_core->failn("%s: rank %d has %s %lld but rank 1 has %lld (seen on rank %d of %d)", fn, r + 1, what[k],
                                   (long long)mine, (long long)first, rank_ + 1, size_);
      }
  free(all);
  return 0;
}

struct dlt_comm_request {
  MPI_Request req;
  const char *fn;
};

static int comm_iallreduce_sum(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_comm_request **req) {
  *req = NULL;
  if (check_active(fn)) return -1;
  if (local_only) return 0; /* done at once: *req NULL */
  if (n > INT_MAX) return dlt_mpi_core->failn("%s: a bucket of %lld elements is too large for one MPI call", fn, (long long)n);
  dlt_comm_request *r = malloc(sizeof *r);
  if (!r) return dlt_mpi_core->failn("%s: cannot allocate %zu bytes", fn, sizeof *r);
  r->fn = fn;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, mpi_type(dtype), MPI_SUM, MPI_COMM_WORLD, &r->req);
  if (rc != MPI_SUCCESS) {
    free(r);
    return mpi_fail(fn, rc);
  }
  *req = r;
  return 0;
}

static int comm_test(dlt_comm_request **req, bool *done) {
  int flag = 0, rc = MPI_Test(&(*req)->req, &flag, MPI_STATUS_IGNORE);
  *done = false;
  if (rc != MPI_SUCCESS) return mpi_fail((*req)->fn, rc);
  if (flag) {
    free(*req);
    *req = NULL;
    *done = true;
  }
  return 0;
}

static int comm_wait(dlt_comm_request **req) {
  int rc = MPI_Wait(&(*req)->req, MPI_STATUS_IGNORE);
  const char *fn = (*req)->fn;
  free(*req);
  *req = NULL;
  return rc == MPI_SUCCESS ? 0 : mpi_fail(fn, rc);
}

static const dlt_mpi_ops ops = {
  .abi = DLT_MPI_ABI,
  .init = comm_init,
  .active = dlt_mpi_active,
  .rank = comm_rank,
  .size = dlt_mpi_size,
  .finalize = comm_finalize,
  .abort = comm_abort,
  .barrier = comm_barrier,
  .allreduce = comm_allreduce,
  .broadcast = comm_broadcast,
  .allgather = comm_allgather,
  .agree = comm_agree,
  .iallreduce_sum = comm_iallreduce_sum,
  .test = comm_test,
  .wait = comm_wait,
  .shared_new = dlt_mpi_shared_new,
  .shared_mine = dlt_mpi_shared_mine,
  .shared_fence = dlt_mpi_shared_fence,
  .shared_sum_slice = dlt_mpi_shared_sum_slice,
  .shared_tensor = dlt_mpi_shared_tensor,
  .shared_release = dlt_mpi_shared_release,
  .shared_count = dlt_mpi_shared_count,
  .shared_free_all = dlt_mpi_shared_free_all,
};

/* the one symbol the module exports (the rest is hidden: -fvisibility=hidden) */
__attribute__((visibility("default"))) const dlt_mpi_ops *dlt_mpi_module(int abi, const dlt_mpi_host *host) {
  if (abi == DLT_MPI_ABI) dlt_mpi_core = host;
  return &ops;
}
