/* comm_load.c: comm.h in dltlua and dlt.so: opens the MPI module (dlt_mpi.so, see
 * mpi_module.h) on the first call that needs it and forwards to it. Loading it late keeps
 * Open MPI's libraries out of every process that never trains over MPI (their dynamic
 * linking was an eighth of dltlua's start-up). Without the module every call fails saying
 * why and how to get it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/io.h"
#include "dist/mpi_module.h"

#define INSTALL_MPI "install Open MPI (apt-get install libopenmpi-dev openmpi-bin, as tools/setup.sh does)"

static const dlt_mpi_ops *mod; /* the module's table, once loaded */
static bool tried;
static char why[PATH_MAX * 2 + 512]; /* why there is no module, after the try */

#ifdef DLT_MPI_MODULE_DIR
static const dlt_mpi_host core = {
  .fail = dlt_fail,
  .failn = dlt_failn,
  .from_memory = dlt_from_memory,
  .storage_own = dlt_storage_own,
};

#define HOW_TO_GET \
  INSTALL_MPI " and rebuild dlt, which puts " DLT_MPI_MODULE_FILE \
              " next to dltlua and dlt.so; " \
              "install it with cmake --install, or set DLT_MPI_MODULE to its path"

/* the module at path, which exists: its table, or NULL with why set */
static const dlt_mpi_ops *open_module(const char *path) {
  /* RTLD_GLOBAL: Open MPI's own plugins (mca_*.so) need libmpi's symbols global */
  void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    snprintf(why, sizeof why, "cannot load dlt's MPI module %s: %s", path, dlerror());
    return NULL;
  }
  dlt_mpi_entry entry = (dlt_mpi_entry)dlsym(h, DLT_MPI_ENTRY);
  const dlt_mpi_ops *ops = entry ? entry(DLT_MPI_ABI, &core) : NULL;
  if (!ops) {
    snprintf(why, sizeof why, "%s is not dlt's MPI module (it has no %s)", path, DLT_MPI_ENTRY);
    return NULL;
  }
  if (ops->abi != DLT_MPI_ABI) {
    snprintf(why, sizeof why, "dlt's MPI module %s has interface version %d, this dlt needs %d: rebuild it with this dlt",
             path, ops->abi, DLT_MPI_ABI);
    return NULL;
  }
  /* a refused module stays mapped: unloading Open MPI's libraries is not safe */
  return ops;
}

/* DLT_MPI_MODULE when set, else the first of: beside dltlua or dlt.so, the install directory */
static const dlt_mpi_ops *load(void) {
  const char *env = getenv("DLT_MPI_MODULE");
  if (env && *env) {
    if (access(env, F_OK) == 0) return open_module(env);
    snprintf(why, sizeof why, "dlt's MPI module %s (DLT_MPI_MODULE) does not exist: " HOW_TO_GET, env);
    return NULL;
  }
  char near[PATH_MAX];
  const char *installed = DLT_MPI_MODULE_DIR "/" DLT_MPI_MODULE_FILE;
  bool have_near = dlt_path_beside((const void *)dlt_comm_available, DLT_MPI_MODULE_FILE, near, sizeof near) == 0;
  if (have_near && access(near, F_OK) == 0) return open_module(near);
  if (access(installed, F_OK) == 0) return open_module(installed);
  snprintf(why, sizeof why, "dlt's MPI module " DLT_MPI_MODULE_FILE " is missing (looked for %s%s%s): " HOW_TO_GET,
           have_near ? near : "", have_near ? " and " : "", installed);
  return NULL;
}
#else
static const dlt_mpi_ops *load(void) {
  snprintf(why, sizeof why, "dlt was built without MPI: " INSTALL_MPI " and rebuild dlt");
  return NULL;
}
#endif

/* the module's table, loading it on the first call; NULL when there is none */
static const dlt_mpi_ops *loaded(void) {
  if (!tried) {
    tried = true;
    mod = load();
  }
  return mod;
}

bool dlt_comm_available(void) { return loaded() != NULL; }
int dlt_comm_unavailable(const char *fn) {
  loaded();
  return dlt_failn("%s: %s", fn, why);
}
int dlt_comm_init(void) { return loaded() ? mod->init() : dlt_comm_unavailable("init_process_group"); }

/* these never load the module: before it is loaded there is no process group */
bool dlt_comm_active(void) { return mod && mod->active(); }
int dlt_comm_rank(void) { return mod ? mod->rank() : 0; }
int dlt_comm_size(void) { return mod ? mod->size() : 1; }
int dlt_comm_finalize(void) { return mod ? mod->finalize() : 0; }
void dlt_comm_abort(int code) {
  if (mod) mod->abort(code);
}

int dlt_comm_barrier(const char *fn) { return loaded() ? mod->barrier(fn) : dlt_comm_unavailable(fn); }

int dlt_comm_allreduce(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_reduce_op op) {
  return loaded() ? mod->allreduce(fn, buf, n, dtype, op) : dlt_comm_unavailable(fn);
}

int dlt_comm_broadcast(const char *fn, void *buf, int64_t nbytes, int root) {
  return loaded() ? mod->broadcast(fn, buf, nbytes, root) : dlt_comm_unavailable(fn);
}

int dlt_comm_allgather(const char *fn, const void *in, int64_t nbytes, void *out) {
  return loaded() ? mod->allgather(fn, in, nbytes, out) : dlt_comm_unavailable(fn);
}

int dlt_comm_agree(const char *fn, const char *const *what, const int64_t *v, int n) {
  return loaded() ? mod->agree(fn, what, v, n) : dlt_comm_unavailable(fn);
}

int dlt_comm_iallreduce_sum(const char *fn, void *buf, int64_t n, dlt_dtype dtype, dlt_comm_request **req) {
  *req = NULL;
  return loaded() ? mod->iallreduce_sum(fn, buf, n, dtype, req) : dlt_comm_unavailable(fn);
}

/* requests and shared windows come only from a loaded module */
int dlt_comm_test(dlt_comm_request **req, bool *done) {
  if (mod) return mod->test(req, done);
  *done = true;
  return 0;
}

int dlt_comm_wait(dlt_comm_request **req) { return mod ? mod->wait(req) : 0; }

dlt_comm_shared *dlt_comm_shared_new(int64_t nbytes) { return mod ? mod->shared_new(nbytes) : NULL; }
void *dlt_comm_shared_mine(const dlt_comm_shared *s) { return mod ? mod->shared_mine(s) : NULL; }
int dlt_comm_shared_fence(const char *fn, dlt_comm_shared *s) {
  return mod ? mod->shared_fence(fn, s) : dlt_comm_unavailable(fn);
}
void dlt_comm_shared_sum_slice(dlt_comm_shared *s, int64_t off, int64_t n, dlt_dtype dtype, double scale) {
  if (mod) mod->shared_sum_slice(s, off, n, dtype, scale);
}
dlt_tensor *dlt_comm_shared_tensor(dlt_comm_shared *s, int64_t off, int ndim, const int64_t *shape, dlt_dtype dtype) {
  if (mod) return mod->shared_tensor(s, off, ndim, shape, dtype);
  dlt_comm_unavailable("DistributedDataParallel");
  return NULL;
}
void dlt_comm_shared_release(dlt_comm_shared *s) {
  if (mod) mod->shared_release(s);
}
int dlt_comm_shared_count(void) { return mod ? mod->shared_count() : 0; }
void dlt_comm_shared_free_all(void) {
  if (mod) mod->shared_free_all();
}
