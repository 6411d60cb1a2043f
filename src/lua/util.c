/* util.c: dlt.clock, dlt.num_threads, dlt.version, the seed, the default dtype and
 * dlt.memory_in_use (bytes of live tensor storage). */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include <time.h>

#include "core/ops.h"
#include "core/random.h"
#include "lua/tensor_priv.h"

#define DLT_VERSION "0.1.0"

static int u_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
  return 1;
}

/* num_threads([n]): the BLAS thread count; sets it when n is given, returns the current one */
static int u_num_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    int64_t n = dlt_lua_checkint(L, 1, "num_threads", "n");
    if (n < 1 || n > 1024) return dlt_lua_fail(L, "num_threads: expected 1..1024 threads, got %lld", (long long)n);
    dlt_blas_set_num_threads((int)n);
  }
  lua_pushinteger(L, dlt_blas_num_threads());  /* core/blas.c starts the threads for large products */
  return 1;
}

static int u_manual_seed(lua_State *L) {
  int64_t s = dlt_lua_checkint(L, 1, "manual_seed", "seed");
  dlt_manual_seed((uint64_t)s);
  return 0;
}

static int u_initial_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)dlt_initial_seed());
  return 1;
}

static int u_set_default_dtype(lua_State *L) {
  dlt_set_default_dtype(dlt_lua_checkdtype(L, 1, "set_default_dtype"));
  return 0;
}

static int u_get_default_dtype(lua_State *L) {
  lua_pushstring(L, dlt_dtype_name(dlt_default_dtype()));
  return 1;
}

static int u_memory_in_use(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)dlt_live_bytes);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"clock", u_clock},
  {"num_threads", u_num_threads},
  {"manual_seed", u_manual_seed},
  {"initial_seed", u_initial_seed},
  {"set_default_dtype", u_set_default_dtype},
  {"get_default_dtype", u_get_default_dtype},
  {"memory_in_use", u_memory_in_use},
  {NULL, NULL},
};

void dlt_open_util(lua_State *L, int dlt) {
  dlt = lua_absindex(L, dlt);
  lua_pushvalue(L, dlt);
  luaL_setfuncs(L, funcs, 0);
  lua_pushstring(L, DLT_VERSION);
  lua_setfield(L, -2, "version");
  lua_pop(L, 1);
}
