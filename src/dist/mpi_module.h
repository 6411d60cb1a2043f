/* mpi_module.h: the interface between dlt and its MPI module (dlt_mpi.so, built from
 * comm_mpi.c and shared_mpi.c), which comm_load.c opens on the first distributed call so
 * that no process pays for loading Open MPI until it uses it. The module is the only
 * object linked to MPI; it reaches dlt's core only through the host table below (dlt.so
 * is loaded RTLD_LOCAL by a stock lua, so its symbols are invisible to the module). */
#ifndef DLT_DIST_MPI_MODULE_H
#define DLT_DIST_MPI_MODULE_H

#include "dist/comm.h"

/* Bump on any change to the two tables below or to the core types they pass (the
 * module reads dlt_tensor's storage field): host and module each refuse another number. */
#define DLT_MPI_ABI 2
/* the module's file name and its one exported function, a dlt_mpi_entry */
#define DLT_MPI_MODULE_FILE "dlt_mpi.so"
#define DLT_MPI_ENTRY "dlt_mpi_module"

/* what the module needs from dlt's core, filled by the host */
typedef struct dlt_mpi_host {
  void *(*fail)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
  int (*failn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
  dlt_tensor *(*from_memory)(void *data, int ndim, const int64_t *shape, dlt_dtype dtype,
                             void (*release)(dlt_storage *s, void *ctx), void *ctx);
  int (*storage_own)(dlt_storage *s);
} dlt_mpi_host;

/* comm.h's operations, as the module implements them (same meanings and arguments) */
typedef struct dlt_mpi_ops {
  int abi; /* first, so a host can read it from a module of any version */
  int (*init)(void);
  bool (*active)(void);
  int (*rank)(void);
  int (*size)(void);
  int (*finalize)(void);
  void (*abort)(int code);
  int (*barrier)(const char *fn);
  int (*allreduce)(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_reduce_op op);
  int (*broadcast)(const char *fn, void *buf, int64_t nbytes, int root);
  int (*allgather)(const char *fn, const void *in, int64_t nbytes, void *out);
  int (*agree)(const char *fn, const char *const *what, const int64_t *v, int n);
  int (*iallreduce_sum)(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_comm_request **req);
  int (*test)(dlt_comm_request **req, bool *done);
  int (*wait)(dlt_comm_request **req);
  dlt_comm_shared *(*shared_new)(int64_t nbytes);
  void *(*shared_mine)(const dlt_comm_shared *s);
  int (*shared_fence)(const char *fn, dlt_comm_shared *s);
  void (*shared_sum_slice)(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale);
  dlt_tensor *(*shared_tensor)(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype);
  void (*shared_release)(dlt_comm_shared *s);
  int (*shared_count)(void);
  void (*shared_free_all)(void);
} dlt_mpi_ops;

/* The module's table; it keeps host only when abi is its own DLT_MPI_ABI (the host
 * then checks the table's abi in turn and uses nothing else of a mismatched module). */
typedef const dlt_mpi_ops *(*dlt_mpi_entry)(int abi, const dlt_mpi_host *host);

/* Inside the module (hidden from everything else): the core functions the host passed, and the shared
 * windows' functions of shared_mpi.c that comm_mpi.c puts in the ops table. */
extern const dlt_mpi_host *dlt_mpi_core;
dlt_comm_shared *dlt_mpi_shared_new(int64_t nbytes);
void *dlt_mpi_shared_mine(const dlt_comm_shared *s);
int dlt_mpi_shared_fence(const char *fn, dlt_comm_shared *s);
void dlt_mpi_shared_sum_slice(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale);
dlt_tensor *dlt_mpi_shared_tensor(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype);
void dlt_mpi_shared_release(dlt_comm_shared *s);
int dlt_mpi_shared_count(void);
void dlt_mpi_shared_free_all(void);
/* comm_mpi.c's state, for shared_mpi.c */
bool dlt_mpi_active(void);
int dlt_mpi_size(void);

#endif
