/* comm.h: dlt's transport, a thin layer over MPI's world communicator (comm_mpi.c, in
 * the MPI module that comm_load.c opens on first use), or over nothing when there is no
 * module or dlt was built without MPI (every call fails saying how to get it). Ranks are
 * 0-based here, as MPI's; the Lua bindings add 1.
 * Buffers must be contiguous; the caller checks shapes and dtypes. */
#ifndef DLT_DIST_COMM_H
#define DLT_DIST_COMM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tensor.h"

typedef enum { DLT_REDUCE_SUM,
               DLT_REDUCE_AVG,
               DLT_REDUCE_MAX,
               DLT_REDUCE_MIN } dlt_reduce_op;

/* true when the MPI module is loaded (the first call loads it): dlt was built with MPI
 * and its module was found */
bool dlt_comm_available(void);
/* sets the error "fn: why MPI is not available, and how to get it"; returns -1 */
int dlt_comm_unavailable(const char *fn);
/* starts MPI (once per process: MPI cannot be restarted after finalize); a process not
 * started by an MPI launcher (mpirun) is a group of one and starts no MPI */
int dlt_comm_init(void);
/* true between dlt_comm_init and dlt_comm_finalize */
bool dlt_comm_active(void);
int dlt_comm_rank(void);
int dlt_comm_size(void);
int dlt_comm_finalize(void);
/* ends every process of the job with code (MPI_Abort); returns only when MPI is not active */
void dlt_comm_abort(int code);

int dlt_comm_barrier(const char *fn);
/* in place over n elements of dtype at buf, on every rank */
int dlt_comm_allreduce(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_reduce_op op);
int dlt_comm_broadcast(const char *fn, void *buf, int64_t nbytes, int root);
/* out holds size() * nbytes: rank r's nbytes at out + r * nbytes */
int dlt_comm_allgather(const char *fn, const void *in, int64_t nbytes, void *out);

/* Every rank passes n integers; fails on every rank (naming fn, the first rank that
 * differs from rank 0 and what it passed) unless all ranks passed the same values.
 * The check that keeps a mismatched collective from hanging or corrupting memory. */
int dlt_comm_agree(const char *fn, const char *const *what, const int64_t *v, int n);

/* nonblocking sum of n elements in place; *req is the request to test or wait (NULL:
 * already done) */
typedef struct dlt_comm_request dlt_comm_request;
int dlt_comm_iallreduce_sum(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_comm_request **req);
/* true (and *req freed, set NULL) when the request finished; lets MPI progress it */
int dlt_comm_test(dlt_comm_request **req, bool *done);
int dlt_comm_wait(dlt_comm_request **req);

/* Memory the ranks of one machine share (MPI-3 shared windows), for DDP's bucket sums:
 * between processes of one machine MPI moves bytes with the CPU anyway (no transfer can
 * run behind the backward), and a sum through shared memory reads each part once where
 * MPI_Allreduce copies it through MPI's buffers first. Collective: NULL on every rank (and no error) when
 * the ranks are not all on one machine, MPI is absent, or DLT_DIST_NO_SHM is set. */
typedef struct dlt_comm_shared dlt_comm_shared;
dlt_comm_shared *dlt_comm_shared_new(int64_t nbytes);
/* this rank's nbytes, NULL once the process group was destroyed */
void *dlt_comm_shared_mine(const dlt_comm_shared *s);
/* collective: every rank's writes to its part are seen by all after it */
int dlt_comm_shared_fence(const char *fn, dlt_comm_shared *s);
/* Between two fences, on every rank: the n elements at element offset off of every
 * rank's part become their sum over the ranks times scale (in rank order, the same bits
 * on every rank; each rank adds a slice and writes it to all parts). */
void dlt_comm_shared_sum_slice(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale);
/* a contiguous tensor over this rank's part at byte offset off; it holds the window */
dlt_tensor *dlt_comm_shared_tensor(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype);
/* not collective (a garbage collector may call it): the next collective point frees it */
void dlt_comm_shared_release(dlt_comm_shared *s);
/* the windows this process holds (released ones included, until freed): for tests */
int dlt_comm_shared_count(void);
/* collective, at finalize: frees every window */
void dlt_comm_shared_free_all(void);

#endif
