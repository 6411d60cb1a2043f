/* util.c: dlt.clock, dlt.num_threads, dlt.version, the seed, the default dtype,
 * dlt.memory_in_use (bytes of live tensor storage), and two small OS helpers the
 * scripts need without spawning a shell: dlt.makedirs and dlt.isatty. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "core/ops.h"
#include "core/random.h"
#include "lua/tensor_priv.h"

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
  lua_pushinteger(L, dlt_blas_num_threads()); /* core/blas.c starts the threads for large products */
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

/* makedirs(path): creates path and its missing parents, as Python's
 * os.makedirs(path, exist_ok=True); an existing directory is fine */
static int u_makedirs(lua_State *L) {
  size_t n;
  const char *path = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n > 0 && strlen(path) == n, 1, "expected a non-empty path without NUL bytes");
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, n + 1);
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    struct stat st;
    if (mkdir(p, 0777) != 0 && !(errno == EEXIST && stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
      return dlt_lua_fail(L, "makedirs: cannot create '%s': %s", p, strerror(errno == EEXIST ? ENOTDIR : errno));
    p[i] = c;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* isatty(file): whether an open Lua file (io.stdout, io.stderr, ...) is a terminal */
static int u_isatty(lua_State *L) {
  luaL_Stream *s = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  luaL_argcheck(L, s->closef != NULL, 1, "isatty: the file is closed");
  lua_pushboolean(L, isatty(fileno(s->f)));
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
  {"makedirs", u_makedirs},
  {"isatty", u_isatty},
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
