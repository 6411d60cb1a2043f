/* optim.c: the C half of dlt.optim: one Lua function per fused update kernel (called
 * once per parameter tensor by lua/dlt/optim.lua) and the state helpers it needs. The
 * optimizer classes, schedulers, EarlyStopping and lr_find are written in Lua. */
#include <string.h>

#include "core/ops.h"
#include "lua/common.h"
#include "optim/optim.h"

/* the state's step count at idx: an integer (junk in the state is named, not a Lua
 * "number has no integer representation") */
static lua_Integer checkstep(lua_State *L, int idx, const char *fn) {
  int isint;
  lua_Integer step = lua_tointegerx(L, idx, &isint);
  if (!isint || lua_type(L, idx) != LUA_TNUMBER) {
    lua_pushvalue(L, idx);
    return dlt_lua_fail(L, "%s: state step must be an integer, got %s", fn, luaL_tolstring(L, -1, NULL));
  }
  return step;
}

static dlt_tensor *opttensor(lua_State *L, int idx) {
  return lua_isnoneornil(L, idx) ? NULL : dlt_lua_checktensor(L, idx);
}

/* sgd(p, buf|nil, first, lr, momentum, dampening, weight_decay, nesterov, maximize) */
static int k_sgd(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *buf = opttensor(L, 2);
  dlt_sgd_opts o = {luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6),
                    luaL_checknumber(L, 7), lua_toboolean(L, 8), lua_toboolean(L, 9)};
  if (dlt_sgd_step(p, p->grad, buf, lua_toboolean(L, 3), &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* adam(p, m, v, vmax|nil, step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
 * decoupled) */
static int k_adam(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *m = dlt_lua_checktensor(L, 2);
  dlt_tensor *v = dlt_lua_checktensor(L, 3), *vmax = opttensor(L, 4);
  lua_Integer step = checkstep(L, 5, lua_toboolean(L, 13) ? "AdamW.step" : "Adam.step");
  dlt_adam_opts o = {luaL_checknumber(L, 6), luaL_checknumber(L, 7), luaL_checknumber(L, 8),
                     luaL_checknumber(L, 9), luaL_checknumber(L, 10), lua_toboolean(L, 11),
                     lua_toboolean(L, 12), lua_toboolean(L, 13)};
  if (o.amsgrad && !vmax) return dlt_lua_fail(L, "Adam.step: amsgrad needs max_exp_avg_sq");
  if (!o.amsgrad) vmax = NULL;
  if (dlt_adam_step(p, p->grad, m, v, vmax, step, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* adam_group's upvalues: the key strings of the state and of the group, made once */
enum {
  UV_STEP = 1,
  UV_EXP_AVG,
  UV_EXP_AVG_SQ,
  UV_MAX_EXP_AVG_SQ,
  UV_LR,
  UV_BETAS,
  UV_EPS,
  UV_WEIGHT_DECAY,
  UV_AMSGRAD,
  UV_MAXIMIZE,
  UV_N = UV_MAXIMIZE
};

/* t[key] (key the string in upvalue uv), raw, pushed; returns its type */
static int rawget_uv(lua_State *L, int t, int uv) {
  lua_pushvalue(L, lua_upvalueindex(uv));
  return lua_rawget(L, t);
}

/* group[key] when it is a number (popped); false when it is not */
static bool group_number(lua_State *L, int g, int uv, double *out) {
  bool ok = rawget_uv(L, g, uv) == LUA_TNUMBER;
  *out = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return ok;
}

/* group[key] when it is a boolean (popped); false when it is not */
static bool group_boolean(lua_State *L, int g, int uv, bool *out) {
  bool ok = rawget_uv(L, g, uv) == LUA_TBOOLEAN;
  *out = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

/* The group's options as Optimizer:step's check (hyper) accepts them, read raw: false
 * when any is not a plain value (a group or betas with a metatable, a wrong type),
 * which the caller then leaves to that check. */
static bool adam_options(lua_State *L, int g, dlt_adam_opts *o) {
  if (lua_getmetatable(L, g)) {
    lua_pop(L, 1);
    return false;
  }
  bool ok = group_number(L, g, UV_LR, &o->lr) && group_number(L, g, UV_EPS, &o->eps) &&
            group_number(L, g, UV_WEIGHT_DECAY, &o->weight_decay) &&
            group_boolean(L, g, UV_AMSGRAD, &o->amsgrad) && group_boolean(L, g, UV_MAXIMIZE, &o->maximize);
  if (!ok || rawget_uv(L, g, UV_BETAS) != LUA_TTABLE || lua_getmetatable(L, -1)) {
    lua_settop(L, 5);
    return false;
  }
  ok = lua_rawgeti(L, -1, 1) == LUA_TNUMBER && lua_rawgeti(L, -2, 2) == LUA_TNUMBER;
  o->beta1 = lua_tonumber(L, -2);
  o->beta2 = lua_tonumber(L, -1);
  lua_settop(L, 5);
  return ok;
}

/* The tensor in the userdata at idx when its metatable is mt (the tensor metatable,
 * as dlt_lua_testtensor checks, fetched once per call), else NULL; a box freed by
 * __gc holds NULL. */
static dlt_tensor *box_tensor(lua_State *L, int idx, const void *mt) {
  dlt_tensor **box = lua_touserdata(L, idx);
  if (!box || !mt || !lua_getmetatable(L, idx)) return NULL;
  bool same = lua_topointer(L, -1) == mt;
  lua_pop(L, 1);
  return same ? *box : NULL;
}

/* adam_group(params, state, i, group, decoupled): Adam's step for params[i],
 * params[i+1], ... in one call, as optim.lua's per-parameter loop does it (parameters
 * without a gradient are skipped), with the group's options read here. Returns nil when
 * it did them all; the index of the first parameter it leaves to that loop (no state
 * yet, or state that is not the plain {step = integer, exp_avg, exp_avg_sq
 * [, max_exp_avg_sq]}); or 0, having done nothing, when the group's options are not
 * plain values (see adam_options). */
static int k_adam_group(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer i = luaL_checkinteger(L, 3), n = (lua_Integer)lua_rawlen(L, 1);
  luaL_checktype(L, 4, LUA_TTABLE);
  lua_settop(L, 5);
  dlt_adam_opts o = {0};
  o.decoupled = lua_toboolean(L, 5);
  if (!adam_options(L, 4, &o)) {
    lua_pushinteger(L, 0);
    return 1;
  }
  /* slot 6: the tensor metatable, so each box is checked with one pointer compare */
  luaL_getmetatable(L, DLT_TENSOR_MT);
  const void *mt = lua_topointer(L, 6);
  for (; i <= n; i++) {
    lua_rawgeti(L, 1, i); /* 7: params[i] (params keeps it alive) */
    dlt_tensor *p = box_tensor(L, 7, mt);
    if (!p) break;
    if (!p->grad) {
      lua_settop(L, 6);
      continue;
    }
    if (lua_rawgetp(L, 2, p) != LUA_TTABLE) break; /* 8: its state */
    int isint;
    rawget_uv(L, 8, UV_STEP); /* 9 */
    lua_Integer step = lua_tointegerx(L, 9, &isint);
    rawget_uv(L, 8, UV_EXP_AVG);    /* 10 */
    rawget_uv(L, 8, UV_EXP_AVG_SQ); /* 11 */
    dlt_tensor *m = box_tensor(L, 10, mt), *v = box_tensor(L, 11, mt), *vmax = NULL;
    if (o.amsgrad) {
      rawget_uv(L, 8, UV_MAX_EXP_AVG_SQ); /* 12 */
      vmax = box_tensor(L, 12, mt);
    }
    /* a step that cannot be incremented here goes to the Lua loop, whose call names it */
    if (!isint || step < 0 || step >= DLT_OPTIM_MAX_STEP || !m || !v || (o.amsgrad && !vmax)) break;
    if (dlt_adam_step(p, p->grad, m, v, vmax, step + 1, &o) < 0) return dlt_lua_error(L);
    lua_pushvalue(L, lua_upvalueindex(UV_STEP));
    lua_pushinteger(L, step + 1);
    lua_rawset(L, 8);
    lua_settop(L, 6);
  }
  if (i <= n) lua_pushinteger(L, i);
  else lua_pushnil(L);
  return 1;
}

/* nadam(p, m, v, step, mu_product, lr, beta1, beta2, eps, weight_decay, momentum_decay)
 * returns the new mu_product */
static int k_nadam(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *m = dlt_lua_checktensor(L, 2);
  dlt_tensor *v = dlt_lua_checktensor(L, 3);
  lua_Integer step = checkstep(L, 4, "NAdam.step");
  double mu_product = luaL_checknumber(L, 5);
  dlt_nadam_opts o = {luaL_checknumber(L, 6), luaL_checknumber(L, 7), luaL_checknumber(L, 8),
                      luaL_checknumber(L, 9), luaL_checknumber(L, 10), luaL_checknumber(L, 11)};
  if (dlt_nadam_step(p, p->grad, m, v, step, &mu_product, &o) < 0) return dlt_lua_error(L);
  lua_pushnumber(L, mu_product);
  return 1;
}

/* rmsprop(p, square_avg, buf|nil, grad_avg|nil, lr, alpha, eps, weight_decay, momentum,
 * centered, maximize) */
static int k_rmsprop(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *s = dlt_lua_checktensor(L, 2);
  dlt_tensor *buf = opttensor(L, 3), *ga = opttensor(L, 4);
  dlt_rmsprop_opts o = {luaL_checknumber(L, 5), luaL_checknumber(L, 6), luaL_checknumber(L, 7),
                        luaL_checknumber(L, 8), luaL_checknumber(L, 9), lua_toboolean(L, 10),
                        lua_toboolean(L, 11)};
  if (dlt_rmsprop_step(p, p->grad, s, buf, ga, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* adagrad(p, sum, step, lr, lr_decay, weight_decay, eps, maximize) */
static int k_adagrad(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *sum = dlt_lua_checktensor(L, 2);
  lua_Integer step = checkstep(L, 3, "Adagrad.step");
  dlt_adagrad_opts o = {luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6),
                        luaL_checknumber(L, 7), lua_toboolean(L, 8)};
  if (dlt_adagrad_step(p, p->grad, sum, step, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* adadelta(p, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize) */
static int k_adadelta(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *s = dlt_lua_checktensor(L, 2);
  dlt_tensor *acc = dlt_lua_checktensor(L, 3);
  dlt_adadelta_opts o = {luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6),
                         luaL_checknumber(L, 7), lua_toboolean(L, 8)};
  if (dlt_adadelta_step(p, p->grad, s, acc, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* adamax(p, exp_avg, exp_inf, step, lr, beta1, beta2, eps, weight_decay, maximize) */
static int k_adamax(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *m = dlt_lua_checktensor(L, 2);
  dlt_tensor *u = dlt_lua_checktensor(L, 3);
  lua_Integer step = luaL_checkinteger(L, 4);
  dlt_adamax_opts o = {luaL_checknumber(L, 5), luaL_checknumber(L, 6), luaL_checknumber(L, 7),
                       luaL_checknumber(L, 8), luaL_checknumber(L, 9), lua_toboolean(L, 10)};
  if (dlt_adamax_step(p, p->grad, m, u, step, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* radam(p, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay) */
static int k_radam(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *m = dlt_lua_checktensor(L, 2);
  dlt_tensor *v = dlt_lua_checktensor(L, 3);
  lua_Integer step = luaL_checkinteger(L, 4);
  dlt_radam_opts o = {luaL_checknumber(L, 5), luaL_checknumber(L, 6), luaL_checknumber(L, 7),
                      luaL_checknumber(L, 8), luaL_checknumber(L, 9)};
  if (dlt_radam_step(p, p->grad, m, v, step, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* asgd(p, ax, step, eta, mu, lr, lambd, alpha, t0, weight_decay, maximize) returns the
 * new eta and mu */
static int k_asgd(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *ax = dlt_lua_checktensor(L, 2);
  lua_Integer step = luaL_checkinteger(L, 3);
  double eta = luaL_checknumber(L, 4), mu = luaL_checknumber(L, 5);
  dlt_asgd_opts o = {luaL_checknumber(L, 6), luaL_checknumber(L, 7), luaL_checknumber(L, 8),
                     luaL_checknumber(L, 9), luaL_checknumber(L, 10), lua_toboolean(L, 11)};
  if (dlt_asgd_step(p, p->grad, ax, step, &eta, &mu, &o) < 0) return dlt_lua_error(L);
  lua_pushnumber(L, eta);
  lua_pushnumber(L, mu);
  return 2;
}

/* asgd_initial_eta(lr): lr as PyTorch's 0-dim state tensor holds it */
static int k_asgd_initial_eta(lua_State *L) {
  lua_pushnumber(L, dlt_asgd_initial_eta(luaL_checknumber(L, 1)));
  return 1;
}

/* rprop(p, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize) */
static int k_rprop(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *prev = dlt_lua_checktensor(L, 2);
  dlt_tensor *st = dlt_lua_checktensor(L, 3);
  dlt_rprop_opts o = {luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6),
                      luaL_checknumber(L, 7), lua_toboolean(L, 8)};
  if (dlt_rprop_step(p, p->grad, prev, st, &o) < 0) return dlt_lua_error(L);
  return 0;
}

/* has_grad(p): whether p.grad is set, without making a userdata for it */
static int k_has_grad(lua_State *L) {
  lua_pushboolean(L, dlt_lua_checktensor(L, 1)->grad != NULL);
  return 1;
}

/* param_problem(p): nil for a tensor an optimizer can update, else why not */
static int k_param_problem(lua_State *L) {
  dlt_tensor *p = dlt_lua_testtensor(L, 1);
  if (!p) lua_pushstring(L, "is not a tensor");
  else if (p->grad_fn) lua_pushstring(L, "is not a leaf tensor (it has a grad_fn)");
  else if (!p->requires_grad) lua_pushstring(L, "does not require grad");
  else lua_pushnil(L);
  return 1;
}

/* state(p, value): a contiguous tensor like p filled with value */
static int k_state(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1);
  dlt_lua_pushtensor(L, dlt_optim_state(p, luaL_optnumber(L, 2, 0)));
  return 1;
}

/* clone(t[, like]): a detached contiguous copy of t, in like's dtype when given */
static int k_clone(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1), *like = opttensor(L, 2);
  dlt_dtype dtype = like ? like->dtype : t->dtype;
  if (dtype == t->dtype && dlt_is_contiguous(t)) {
    dlt_tensor *c = dlt_empty(t->ndim, t->shape, t->dtype);
    if (c) memcpy(dlt_data(c), dlt_data(t), (size_t)dlt_numel(t) * dlt_dtype_size(t->dtype));
    dlt_lua_pushtensor(L, c);
  } else {
    /* a strided t is copied by dlt_contiguous, a contiguous one by the dtype change */
    dlt_tensor *c = dlt_contiguous(t), *d = c ? dlt_to_dtype(c, dtype) : NULL;
    dlt_release(c);
    dlt_lua_pushtensor(L, d);
  }
  return 1;
}

/* id(t): a light userdata naming the tensor itself, the same for every userdata box
 * of it (a key for duplicate checks) */
static int k_id(lua_State *L) {
  lua_pushlightuserdata(L, dlt_lua_checktensor(L, 1));
  return 1;
}

/* same_shape(a, b) */
static int k_same_shape(lua_State *L) {
  lua_pushboolean(L, dlt_same_shape(dlt_lua_checktensor(L, 1), dlt_lua_checktensor(L, 2)));
  return 1;
}

/* shape_str(t): "{3,4}" for error messages */
static int k_shape_str(lua_State *L) {
  char buf[128];
  lua_pushstring(L, dlt_shape_str(dlt_lua_checktensor(L, 1), buf, sizeof buf));
  return 1;
}

/* zero_grad(p, set_to_none): PyTorch 1.13's default zeroes the gradient in place */
static int k_zero_grad(lua_State *L) {
  dlt_tensor *p = dlt_lua_checktensor(L, 1), *g = p->grad;
  if (!g) return 0;
  if (lua_toboolean(L, 2) || !dlt_is_contiguous(g) || g->grad_fn) {
    dlt_tensor *z = lua_toboolean(L, 2) ? NULL : dlt_zeros(g->ndim, g->shape, g->dtype);
    if (!z && !lua_toboolean(L, 2)) return dlt_lua_error(L);
    p->grad = z;
    dlt_release(g);
    return 0;
  }
  dlt_zero_(g);
  return 0;
}

/* zero_grad_all(params, set_to_none): zero_grad of each tensor of the list */
static int k_zero_grad_all(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int none = lua_toboolean(L, 2);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  lua_settop(L, 2);
  luaL_getmetatable(L, DLT_TENSOR_MT); /* 3, for box_tensor */
  const void *mt = lua_topointer(L, 3);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    dlt_tensor *p = box_tensor(L, -1, mt), *g = p ? p->grad : NULL;
    if (p && g && !none && dlt_is_contiguous(g) && !g->grad_fn) {
      dlt_zero_(g); /* k_zero_grad's common case */
    } else if (!p || g) {
      lua_pushcfunction(L, k_zero_grad);
      lua_insert(L, -2);
      lua_pushboolean(L, none);
      lua_call(L, 2, 0);
    }
    lua_settop(L, 3);
  }
  return 0;
}

static const luaL_Reg kernels[] = {
  {"sgd", k_sgd},
  {"adam", k_adam},
  {"nadam", k_nadam},
  {"rmsprop", k_rmsprop},
  {"adagrad", k_adagrad},
  {"adadelta", k_adadelta},
  {"adamax", k_adamax},
  {"radam", k_radam},
  {"asgd", k_asgd},
  {"asgd_initial_eta", k_asgd_initial_eta},
  {"rprop", k_rprop},
  {"has_grad", k_has_grad},
  {"param_problem", k_param_problem},
  {"state", k_state},
  {"clone", k_clone},
  {"id", k_id},
  {"same_shape", k_same_shape},
  {"shape_str", k_shape_str},
  {"zero_grad", k_zero_grad},
  {"zero_grad_all", k_zero_grad_all},
  {NULL, NULL}};

/* dlt.optim (filled by lua/dlt/optim.lua); the kernels are the module "dlt.optim_kernels" */
void dlt_open_optim(lua_State *L, int dlt) {
  lua_newtable(L);
  lua_setfield(L, dlt, "optim");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  luaL_newlib(L, kernels);
  static const char *const keys[UV_N] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "lr", "betas", "eps",
                                         "weight_decay", "amsgrad", "maximize"};
  for (int k = 0; k < UV_N; k++) lua_pushstring(L, keys[k]);
  lua_pushcclosure(L, k_adam_group, UV_N);
  lua_setfield(L, -2, "adam_group");
  lua_setfield(L, -2, "dlt.optim_kernels");
  lua_pop(L, 1);
}
