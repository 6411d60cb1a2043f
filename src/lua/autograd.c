/* autograd.c: grad-mode and anomaly-mode scopes (dlt.no_grad, dlt.enable_grad,
 * dlt.autograd.detect_anomaly) and dlt.autograd.gradcheck over a Lua function. */
#include <math.h>
#include <stdlib.h>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "lua/tensor_priv.h"

/* Calls the function at 1 with the arguments after it while a mode is switched, then
 * restores the mode whether or not it raised; returns what it returned. */
static int call_scoped(lua_State *L, void (*set)(bool), bool (*get)(void), bool on) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  bool old = get();
  set(on);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  set(old);
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

static int a_no_grad(lua_State *L) {
  return call_scoped(L, dlt_set_grad_enabled, dlt_grad_enabled, false);
}

static int a_enable_grad(lua_State *L) {
  return call_scoped(L, dlt_set_grad_enabled, dlt_grad_enabled, true);
}

static int a_detect_anomaly(lua_State *L) {
  return call_scoped(L, dlt_set_anomaly, dlt_anomaly_enabled, true);
}

static int a_set_grad_enabled(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  dlt_set_grad_enabled(lua_toboolean(L, 1));
  return 0;
}

static int a_is_grad_enabled(lua_State *L) {
  lua_pushboolean(L, dlt_grad_enabled());
  return 1;
}

static int a_set_detect_anomaly(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  dlt_set_anomaly(lua_toboolean(L, 1));
  return 0;
}

/* ---- gradcheck: the C check calls back into Lua ---- */

typedef struct {
  lua_State *L;
  int fn;      /* stack index of the Lua function in a_gradcheck's frame */
  int err_ref; /* registry ref of the first error the function raised, or LUA_NOREF */
  dlt_tensor *const *inputs;
  int n;
  dlt_tensor *out;
} gc_call;

/* runs protected: the Lua function on the inputs; its tensor result into c->out */
static int gc_body(lua_State *L) {
  gc_call *c = lua_touserdata(L, 1);
  lua_pushvalue(L, 2); /* the function */
  for (int i = 0; i < c->n; i++) dlt_lua_pushtensor(L, dlt_retain(c->inputs[i]));
  lua_call(L, c->n, 1);
  dlt_tensor *t = dlt_lua_testtensor(L, -1);
  if (!t) return dlt_lua_fail(L, "gradcheck: the function must return a tensor, got %s", luaL_typename(L, -1));
  c->out = dlt_retain(t);
  return 0;
}

static dlt_tensor *gc_callback(void *ud, dlt_tensor *const *inputs, int n) {
  gc_call *c = ud;
  lua_State *L = c->L;
  c->inputs = inputs;
  c->n = n;
  c->out = NULL;
  lua_pushcfunction(L, gc_body);
  lua_pushlightuserdata(L, c);
  lua_pushvalue(L, c->fn); /* an index of gradcheck's frame, which is current here */
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    /* keep the first error as raised, to rethrow it once the C check has cleaned up */
    if (c->err_ref == LUA_NOREF) c->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else lua_pop(L, 1);
    return dlt_fail("gradcheck: the function raised an error");
  }
  return c->out;
}

/* gradcheck(fn, inputs[, {eps, atol, rtol, per_element}]): true, or an error naming the
 * input and the worst element; inputs is a tensor or a list of tensors */
static int a_gradcheck(lua_State *L) {
  static const char *const o[] = {"eps", "atol", "rtol", "per_element", NULL};
  luaL_checktype(L, 1, LUA_TFUNCTION);
  dlt_lua_checkoptions(L, 3, "gradcheck", o);
  dlt_gradcheck_opts opts;
  dlt_gradcheck_defaults(&opts);
  opts.eps = dlt_lua_optnumber(L, 3, "eps", opts.eps);
  opts.atol = dlt_lua_optnumber(L, 3, "atol", opts.atol);
  opts.rtol = dlt_lua_optnumber(L, 3, "rtol", opts.rtol);
  opts.per_element = dlt_lua_optboolean(L, 3, "per_element", opts.per_element);
  if (!(opts.eps > 0 && isfinite(opts.eps)))
    return dlt_lua_fail(L, "gradcheck: eps must be positive and finite, got %g", opts.eps);
  int n = 1;
  dlt_tensor *single = dlt_lua_testtensor(L, 2);
  if (!single) {
    if (!lua_istable(L, 2)) return dlt_lua_fail(L, "gradcheck: expected a tensor or a list of tensors, got %s", luaL_typename(L, 2));
    n = (int)lua_rawlen(L, 2);
    if (n < 1 || n > 64) return dlt_lua_fail(L, "gradcheck: expected 1 to 64 input tensors, got %d", n);
  }
  dlt_tensor **xs = lua_newuserdatauv(L, sizeof *xs * (size_t)n, 0); /* freed by the GC */
  for (int i = 0; i < n && !single; i++) {
    lua_rawgeti(L, 2, i + 1);
    xs[i] = dlt_lua_testtensor(L, -1);
    if (!xs[i]) return dlt_lua_fail(L, "gradcheck: input %d is a %s, expected a tensor", i + 1, luaL_typename(L, -1));
    lua_pop(L, 1); /* the list keeps it alive */
  }
  if (single) xs[0] = single;
  gc_call c = {.L = L, .fn = 1, .err_ref = LUA_NOREF};
  int rc = dlt_gradcheck(gc_callback, &c, xs, n, &opts);
  if (c.err_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, c.err_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c.err_ref);
    return lua_error(L);
  }
  if (rc < 0) return dlt_lua_error(L);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"no_grad", a_no_grad},
  {"enable_grad", a_enable_grad},
  {"set_grad_enabled", a_set_grad_enabled},
  {"is_grad_enabled", a_is_grad_enabled},
  {NULL, NULL},
};

static const luaL_Reg autograd_funcs[] = {
  {"gradcheck", a_gradcheck},
  {"detect_anomaly", a_detect_anomaly},
  {"set_detect_anomaly", a_set_detect_anomaly},
  {"no_grad", a_no_grad},
  {NULL, NULL},
};

void dlt_open_autograd(lua_State *L, int dlt) {
  dlt = lua_absindex(L, dlt);
  lua_pushvalue(L, dlt);
  luaL_setfuncs(L, funcs, 0);
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_setfuncs(L, autograd_funcs, 0);
  lua_setfield(L, dlt, "autograd");
}
