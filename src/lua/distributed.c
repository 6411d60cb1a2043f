/* distributed.c: dlt.distributed's C part: the process group (init, rank, world size,
 * destroy), the collectives on tensors (all_reduce, broadcast, all_gather, barrier), and
 * for lua/dlt/distributed.lua DDP's gradient reducer and a differentiable sum. Ranks
 * are 1-based here, as every index in dlt's Lua API (MPI's rank 0 is rank 1). */
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "dist/comm.h"
#include "dist/functions.h"
#include "dist/reducer.h"
#include "lua/tensor_priv.h"

#define REDUCER_MT "dlt.distributed.Reducer"
#define GROUP_MT "dlt.distributed.ProcessGroup"
#define GROUP_KEY "dlt.distributed.group" /* the registry slot of the sentinel */

/* Fails unless a process group is up: the message says how to get one. */
static void need_group(lua_State *L, const char *fn) {
  if (!dlt_comm_available()) {
    dlt_comm_unavailable(fn);
    dlt_lua_error(L);
  }
  if (!dlt_comm_active()) dlt_lua_fail(L, "%s: no process group: call dlt.distributed.init_process_group() first", fn);
}

/* an error on this rank, named: "fn: rank 2 of 4: ..." */
static int rank_fail(lua_State *L, const char *fn, const char *msg) {
  return dlt_lua_fail(L, "%s: rank %d of %d: %s", fn, dlt_comm_rank() + 1, dlt_comm_size(), msg);
}

static int d_is_available(lua_State *L) {
  lua_pushboolean(L, dlt_comm_available());
  return 1;
}

static int d_is_initialized(lua_State *L) {
  lua_pushboolean(L, dlt_comm_active());
  return 1;
}

/* init_process_group([backend]) or ({backend = "mpi"}): rank and world size from MPI */
static int d_init_process_group(lua_State *L) {
  const char *backend = "mpi";
  if (lua_istable(L, 1)) {
    static const char *const opts[] = {"backend", NULL};
    dlt_lua_checkoptions(L, 1, "init_process_group", opts);
    backend = dlt_lua_optstring(L, 1, "backend", "mpi");
  } else if (!lua_isnoneornil(L, 1)) {
    backend = luaL_checkstring(L, 1);
  }
  if (strcmp(backend, "mpi") != 0)
    return dlt_lua_fail(L, "init_process_group: backend '%s' is not available; dlt has the 'mpi' backend", backend);
  if (dlt_comm_init()) return dlt_lua_error(L);
  /* a script that ends without destroy_process_group still finalizes MPI: the state's
   * close collects this sentinel (an error ends the job with MPI_Abort first, dltlua.c) */
  lua_newuserdatauv(L, 1, 0);
  luaL_setmetatable(L, GROUP_MT);
  lua_setfield(L, LUA_REGISTRYINDEX, GROUP_KEY);
  return 0;
}

static int group_gc(lua_State *L) {
  (void)L;
  dlt_comm_finalize();
  return 0;
}

static int d_destroy_process_group(lua_State *L) {
  need_group(L, "destroy_process_group");
  if (dlt_comm_finalize()) return dlt_lua_error(L);
  return 0;
}

static int d_get_rank(lua_State *L) {
  need_group(L, "get_rank");
  lua_pushinteger(L, dlt_comm_rank() + 1);
  return 1;
}

static int d_get_world_size(lua_State *L) {
  need_group(L, "get_world_size");
  lua_pushinteger(L, dlt_comm_size());
  return 1;
}

static int d_barrier(lua_State *L) {
  need_group(L, "barrier");
  if (dlt_comm_barrier("barrier")) return dlt_lua_error(L);
  return 0;
}

/* the tensor at idx, checked on this rank */
static dlt_tensor *check_tensor(lua_State *L, int idx, const char *fn) {
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (!t) {
    lua_pushfstring(L, "expected a tensor as argument %d, got %s", idx, luaL_typename(L, idx));
    rank_fail(L, fn, lua_tostring(L, -1));
  }
  return t;
}

/* an in-place collective writes every element of t: an expanded view cannot take it
 * (checked before the ranks agree, as the other argument checks) */
static void check_writable(lua_State *L, const dlt_tensor *t, const char *fn, const char *what) {
  if (!dlt_check_overlap(fn, t, NULL)) return;
  lua_pushfstring(L, "more than one element of %s refers to a single memory location (an expanded view); clone() it first",
                  what);
  rank_fail(L, fn, lua_tostring(L, -1));
}

/* A contiguous tensor with t's elements (t itself, retained, when it is contiguous);
 * write_back copies it into t after the collective. */
static dlt_tensor *work_copy(lua_State *L, dlt_tensor *t) {
  dlt_tensor *c = dlt_contiguous(t);
  if (!c) dlt_lua_error(L);
  return c;
}

static void write_back(lua_State *L, dlt_tensor *t, dlt_tensor *c) {
  int rc = 0;
  if (c != t) rc = dlt_copy_(t, c);
  else dlt_bump_version(t);
  dlt_release(c);
  if (rc) dlt_lua_error(L);
}

static const char *const op_names[] = {"sum", "avg", "max", "min", NULL};

/* all_reduce(t, {op = "sum"}): t becomes the elementwise sum (avg, max, min) of every
 * rank's t; all ranks must pass the same numel and dtype. Returns t. */
static int d_all_reduce(lua_State *L) {
  need_group(L, "all_reduce");
  dlt_tensor *t = check_tensor(L, 1, "all_reduce");
  check_writable(L, t, "all_reduce", "the tensor");
  static const char *const opts[] = {"op", NULL};
  dlt_lua_checkoptions(L, 2, "all_reduce", opts);
  const char *opname = dlt_lua_optstring(L, 2, "op", "sum");
  int op = 0;
  while (op_names[op] && strcmp(op_names[op], opname) != 0) op++;
  if (!op_names[op]) {
    lua_pushfstring(L, "op must be 'sum', 'avg', 'max' or 'min', got '%s'", opname);
    return rank_fail(L, "all_reduce", lua_tostring(L, -1));
  }
  static const char *const what[3] = {"a tensor of numel", "dtype number (0 float32, 1 float64)", "op number"};
  int64_t meta[3] = {dlt_numel(t), t->dtype, op};
  if (dlt_comm_agree("all_reduce", what, meta, 3)) return dlt_lua_error(L);
  dlt_tensor *c = work_copy(L, t);
  if (dlt_comm_allreduce("all_reduce", dlt_data(c), dlt_numel(c), c->dtype, (dlt_reduce_op)op)) {
    dlt_release(c);
    return dlt_lua_error(L);
  }
  write_back(L, t, c);
  lua_settop(L, 1);
  return 1;
}

/* the rank at idx (1-based) checked against the world; returned 0-based */
static int check_rank(lua_State *L, int idx, const char *fn, const char *what) {
  int isnum;
  lua_Integer r = lua_tointegerx(L, idx, &isnum);
  if (!isnum || r < 1 || r > dlt_comm_size()) {
    lua_pushfstring(L, "%s must be a rank in 1..%d, got %s", what, dlt_comm_size(), luaL_tolstring(L, idx, NULL));
    rank_fail(L, fn, lua_tostring(L, -1));
  }
  return (int)r - 1;
}

/* broadcast(t, src): every rank's t becomes rank src's t. Returns t. */
static int d_broadcast(lua_State *L) {
  need_group(L, "broadcast");
  dlt_tensor *t = check_tensor(L, 1, "broadcast");
  check_writable(L, t, "broadcast", "the tensor");
  int src = check_rank(L, 2, "broadcast", "src");
  static const char *const what[3] = {"a tensor of numel", "dtype number (0 float32, 1 float64)", "src rank - 1"};
  int64_t meta[3] = {dlt_numel(t), t->dtype, src};
  if (dlt_comm_agree("broadcast", what, meta, 3)) return dlt_lua_error(L);
  dlt_tensor *c = work_copy(L, t);
  if (dlt_comm_broadcast("broadcast", dlt_data(c), dlt_numel(c) * (int64_t)dlt_dtype_size(c->dtype), src)) {
    dlt_release(c);
    return dlt_lua_error(L);
  }
  write_back(L, t, c);
  lua_settop(L, 1);
  return 1;
}

/* all_gather(list, t): list[r] = rank r's t for r = 1..world size (new tensors, or
 * copied into tensors of t's shape already in the list). Returns list. */
static int d_all_gather(lua_State *L) {
  need_group(L, "all_gather");
  if (!lua_istable(L, 1)) {
    lua_pushfstring(L, "expected a list to fill as argument 1, got %s", luaL_typename(L, 1));
    return rank_fail(L, "all_gather", lua_tostring(L, -1));
  }
  dlt_tensor *t = check_tensor(L, 2, "all_gather");
  int world = dlt_comm_size();
  for (int r = 1; r <= world; r++) {
    lua_rawgeti(L, 1, r);
    dlt_tensor *o = dlt_lua_testtensor(L, -1);
    if (!lua_isnil(L, -1) && (!o || !dlt_same_shape(o, t) || o->dtype != t->dtype)) {
      lua_pushfstring(L, "list[%d] must be nil or a tensor of the shape and dtype of the tensor sent", r);
      return rank_fail(L, "all_gather", lua_tostring(L, -1));
    }
    if (o) {
      lua_pushfstring(L, "list[%d]", r);
      check_writable(L, o, "all_gather", lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  static const char *const what[2] = {"a tensor of numel", "dtype number (0 float32, 1 float64)"};
  int64_t meta[2] = {dlt_numel(t), t->dtype};
  if (dlt_comm_agree("all_gather", what, meta, 2)) return dlt_lua_error(L);
  int64_t shape[DLT_MAXDIM + 1] = {world};
  memcpy(shape + 1, t->shape, sizeof(int64_t) * (size_t)t->ndim);
  dlt_tensor *all = dlt_empty(t->ndim + 1, shape, t->dtype);
  dlt_tensor *c = all ? dlt_contiguous(t) : NULL;
  if (!c) {
    dlt_release(all);
    return dlt_lua_error(L);
  }
  int64_t nbytes = dlt_numel(c) * (int64_t)dlt_dtype_size(c->dtype);
  int rc = dlt_comm_allgather("all_gather", dlt_data(c), nbytes, dlt_data(all));
  dlt_release(c);
  if (rc) {
    dlt_release(all);
    return dlt_lua_error(L);
  }
  for (int r = 1; r <= world; r++) {
    /* rank r's piece as a tensor of its own (a copy, so the list holds no views of one buffer) */
    dlt_tensor *piece = dlt_empty(t->ndim, t->shape, t->dtype);
    if (!piece) {
      dlt_release(all);
      return dlt_lua_error(L);
    }
    memcpy(dlt_data(piece), (char *)dlt_data(all) + (size_t)(r - 1) * (size_t)nbytes, (size_t)nbytes);
    lua_rawgeti(L, 1, r);
    dlt_tensor *o = dlt_lua_testtensor(L, -1);
    lua_pop(L, 1);
    if (o) {
      rc = dlt_copy_(o, piece);
      dlt_release(piece);
      if (rc) {
        dlt_release(all);
        return dlt_lua_error(L);
      }
    } else {
      dlt_lua_pushtensor(L, piece);
      lua_rawseti(L, 1, r);
    }
  }
  dlt_release(all);
  lua_settop(L, 1);
  return 1;
}

/* _abort(code): ends every process of the job (MPI_Abort); nothing when no group is up */
static int d_abort(lua_State *L) {
  lua_Integer code = luaL_optinteger(L, 1, 1);
  dlt_comm_abort((int)code);
  return 0;
}

/* _allgather_string(s): every rank's s, as a list indexed by rank */
static int d_allgather_string(lua_State *L) {
  need_group(L, "all_gather");
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int world = dlt_comm_size();
  int64_t len = (int64_t)n, *lens = malloc(sizeof *lens * (size_t)world);
  if (!lens) return dlt_lua_fail(L, "all_gather: cannot allocate the lengths");
  if (dlt_comm_allgather("all_gather", &len, sizeof len, lens)) {
    free(lens);
    return dlt_lua_error(L);
  }
  int64_t maxlen = 0;
  for (int r = 0; r < world; r++) maxlen = lens[r] > maxlen ? lens[r] : maxlen;
  char *in = calloc((size_t)maxlen + 1, 1), *out = malloc(((size_t)maxlen + 1) * (size_t)world);
  if (!in || !out) {
    free(in), free(out), free(lens);
    return dlt_lua_fail(L, "all_gather: cannot allocate %d strings of %d bytes", world, (int)maxlen);
  }
  memcpy(in, s, n);
  int rc = dlt_comm_allgather("all_gather", in, maxlen + 1, out);
  if (!rc) {
    lua_createtable(L, world, 0);
    for (int r = 0; r < world; r++) {
      lua_pushlstring(L, out + (size_t)r * ((size_t)maxlen + 1), (size_t)lens[r]);
      lua_rawseti(L, -2, r + 1);
    }
  }
  free(in), free(out), free(lens);
  return rc ? dlt_lua_error(L) : 1;
}

/* _all_reduce_sum(x): a new tensor, x summed over the ranks, differentiable */
static int d_all_reduce_sum(lua_State *L) {
  need_group(L, "all_reduce");
  dlt_tensor *x = check_tensor(L, 1, "all_reduce");
  dlt_lua_pushtensor(L, dlt_dist_all_reduce_sum(x));
  return 1;
}

/* ---- the reducer ---- */

typedef struct {
  dlt_reducer *r;
} reducer_box;

static reducer_box *check_reducer(lua_State *L) {
  reducer_box *b = luaL_checkudata(L, 1, REDUCER_MT);
  if (!b->r) dlt_lua_fail(L, "DistributedDataParallel: the reducer was closed");
  return b;
}

/* _reducer(params, first_bucket_bytes, bucket_bytes, overlap) */
static int d_reducer(lua_State *L) {
  need_group(L, "DistributedDataParallel");
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer first = luaL_checkinteger(L, 2), cap = luaL_checkinteger(L, 3);
  luaL_argcheck(L, first > 0 && cap > 0, 2, "bucket sizes must be positive");
  int overlap = lua_toboolean(L, 4);
  int n = (int)luaL_len(L, 1);
  dlt_tensor **ps = lua_newuserdatauv(L, sizeof *ps * (size_t)(n ? n : 1), 0); /* freed by the GC */
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    ps[i - 1] = dlt_lua_testtensor(L, -1);
    if (!ps[i - 1]) return dlt_lua_fail(L, "DistributedDataParallel: parameter %d is not a tensor", i);
    lua_pop(L, 1); /* the table keeps it alive; the reducer retains it */
  }
  reducer_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->r = NULL;
  luaL_setmetatable(L, REDUCER_MT);
  b->r = dlt_reducer_new(ps, n, (size_t)first, (size_t)cap, overlap);
  if (!b->r) return dlt_lua_error(L);
  return 1;
}

static int r_prepare(lua_State *L) {
  dlt_reducer_prepare(check_reducer(L)->r);
  return 0;
}

static int r_pending(lua_State *L) {
  lua_pushboolean(L, dlt_reducer_pending(check_reducer(L)->r));
  return 1;
}

static int r_early_launches(lua_State *L) {
  lua_pushinteger(L, dlt_reducer_early_launches(check_reducer(L)->r));
  return 1;
}

static int r_shared(lua_State *L) {
  lua_pushboolean(L, dlt_reducer_shared(check_reducer(L)->r));
  return 1;
}

/* _shared_windows(): how many shared windows this process holds (tests) */
static int d_shared_windows(lua_State *L) {
  lua_pushinteger(L, dlt_comm_shared_count());
  return 1;
}

/* buckets(): {{i, j, ...}, ...}: the 1-based parameter indices of each bucket, in the
 * order their sums start */
static int r_buckets(lua_State *L) {
  dlt_reducer *r = check_reducer(L)->r;
  int nb = dlt_reducer_nbuckets(r);
  int *idx = lua_newuserdatauv(L, sizeof(int) * (size_t)(dlt_reducer_nparams(r) + 1), 0);
  lua_createtable(L, nb, 0);
  for (int b = 0; b < nb; b++) {
    int m = dlt_reducer_bucket(r, b, idx);
    lua_createtable(L, m, 0);
    for (int k = 0; k < m; k++) {
      lua_pushinteger(L, idx[k] + 1);
      lua_rawseti(L, -2, k + 1);
    }
    lua_rawseti(L, -2, b + 1);
  }
  return 1;
}

static int r_gc(lua_State *L) {
  reducer_box *b = luaL_checkudata(L, 1, REDUCER_MT);
  dlt_reducer_free(b->r);
  b->r = NULL;
  return 0;
}

static const luaL_Reg reducer_methods[] = {
  {"prepare", r_prepare},
  {"pending", r_pending},
  {"early_launches", r_early_launches},
  {"shared", r_shared},
  {"buckets", r_buckets},
  {"close", r_gc},
  {NULL, NULL},
};

static const luaL_Reg reducer_meta[] = {{"__gc", r_gc}, {NULL, NULL}};
static const luaL_Reg group_meta[] = {{"__gc", group_gc}, {NULL, NULL}};

static const luaL_Reg funcs[] = {
  {"is_available", d_is_available},
  {"is_initialized", d_is_initialized},
  {"init_process_group", d_init_process_group},
  {"destroy_process_group", d_destroy_process_group},
  {"get_rank", d_get_rank},
  {"get_world_size", d_get_world_size},
  {"barrier", d_barrier},
  {"all_reduce", d_all_reduce},
  {"broadcast", d_broadcast},
  {"all_gather", d_all_gather},
  {"_abort", d_abort},
  {"_allgather_string", d_allgather_string},
  {"_all_reduce_sum", d_all_reduce_sum},
  {"_reducer", d_reducer},
  {"_shared_windows", d_shared_windows},
  {NULL, NULL},
};

void dlt_open_distributed(lua_State *L, int dlt) {
  dlt = lua_absindex(L, dlt);
  dlt_lua_newclass(L, REDUCER_MT, reducer_meta, reducer_methods);
  dlt_lua_newclass(L, GROUP_MT, group_meta, NULL);
  luaL_newlib(L, funcs);
  lua_setfield(L, dlt, "distributed");
}
