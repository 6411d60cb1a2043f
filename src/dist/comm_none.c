/* comm_none.c: the transport of a dlt built without MPI: every call fails saying how to
 * get one that has it. */
#include "dist/comm.h"

#define NO_MPI \
  "dlt was built without MPI: install Open MPI (apt-get install libopenmpi-dev openmpi-bin, " \
  "as tools/setup.sh does) and rebuild dlt"

bool dlt_comm_available(void) { return false; }
bool dlt_comm_active(void) { return false; }
int dlt_comm_rank(void) { return 0; }
int dlt_comm_size(void) { return 1; }
int dlt_comm_init(void) { return dlt_failn("init_process_group: " NO_MPI); }
int dlt_comm_finalize(void) { return 0; }
void dlt_comm_abort(int code) { (void)code; }
int dlt_comm_barrier(const char *fn) { return dlt_failn("%s: " NO_MPI, fn); }

int dlt_comm_allreduce(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_reduce_op op) {
  return dlt_failn("%s: " NO_MPI, fn);
}

int dlt_comm_broadcast(const char *fn, void *buf, int64_t nbytes, int root) { return dlt_failn("%s: " NO_MPI, fn); }
int dlt_comm_allgather(const char *fn, const void *in, int64_t nbytes, void *out) { return dlt_failn("%s: " NO_MPI, fn); }

int dlt_comm_agree(const char *fn, const char *const *what, const int64_t *v, int n) {
  return dlt_failn("%s: " NO_MPI, fn);
}

int dlt_comm_iallreduce_sum(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_comm_request **req) {
  *req = NULL;
  return dlt_failn("%s: " NO_MPI, fn);
}

int dlt_comm_test(dlt_comm_request **req, bool *done) {
  *done = true;
  return 0;
}

int dlt_comm_wait(dlt_comm_request **req) { return 0; }

dlt_comm_shared *dlt_comm_shared_new(int64_t nbytes) { return NULL; }
void *dlt_comm_shared_mine(const dlt_comm_shared *s) { return NULL; }
int dlt_comm_shared_fence(const char *fn, dlt_comm_shared *s) { return dlt_failn("%s: " NO_MPI, fn); }
void dlt_comm_shared_sum_slice(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale) {}
dlt_tensor *dlt_comm_shared_tensor(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype) {
  return dlt_fail("DistributedDataParallel: " NO_MPI);
}
void dlt_comm_shared_release(dlt_comm_shared *s) { (void)s; }
void dlt_comm_shared_free_all(void) {}
int dlt_comm_shared_count(void) { return 0; }
