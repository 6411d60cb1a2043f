/* nn.c: dlt.nn's C modules as userdata: the layers, the losses and Sequential, their
 * fields, calls and the primitives (_slots, _children, _to) that lua/dlt/nn.lua builds
 * parameters(), state_dict(), train() and the printout on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "lua/nn_bind.h"
#include "lua/tensor_priv.h" /* dlt_lua_optdtype */
#include "nn/module.h"

#define MODULE_MT "dlt.nn.Module"

/* registry key of the methods table shared by every C module (nn.lua adds to it) */
static const char methods_key = 0;

/* registry key of the module metatable: a light userdata, so the test in every call of
 * a Sequential's children skips luaL_testudata's string lookup; and the metatable's
 * address with the registry it belongs to, so that the test is one pointer comparison
 * (dlt_open_nn forgets them: a new state's registry may reuse a closed one's address) */
static const char module_mt_key = 0;
static const void *module_mt_registry, *module_mt_ptr;

/* Sequentials cache their children's structs (kids in module.h); any module's __gc,
 * an append and a new state start a new epoch, so no cache outlives what it points to
 * (a child is otherwise kept alive by its parent's table, which only grows) */
static uint64_t module_epoch = 1;

static dlt_module *test_module(lua_State *L, int idx) {
  void *p = lua_touserdata(L, idx);
  if (!p || !lua_getmetatable(L, idx)) return NULL;
  if (lua_topointer(L, LUA_REGISTRYINDEX) != module_mt_registry || !module_mt_ptr) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &module_mt_key);
    module_mt_ptr = lua_topointer(L, -1);
    module_mt_registry = module_mt_ptr ? lua_topointer(L, LUA_REGISTRYINDEX) : NULL;
    lua_pop(L, 1);
  }
  int same = module_mt_ptr && lua_topointer(L, -1) == module_mt_ptr;
  lua_pop(L, 1);
  return same ? p : NULL;
}

static dlt_module *check_module(lua_State *L, int idx) {
  dlt_module *m = test_module(L, idx);
  const char *name = !m && idx == 1 ? dlt_lua_method_hint(L) : NULL; /* model.forward(x) */
  if (name)
    dlt_lua_fail(L, "%s: expected a module, got %s; call it as model:%s(...), with ':'", name,
                 dlt_lua_testtensor(L, 1) ? "a tensor" : luaL_typename(L, 1), name);
  if (!m) dlt_lua_fail(L, "nn: expected a module, got %s", luaL_typename(L, idx));
  return m;
}

/* A new module userdata of kind with an empty field table (uservalue 1). */
static dlt_module *new_module(lua_State *L, dlt_module_kind kind) {
  dlt_module *m = lua_newuserdatauv(L, sizeof *m, 1);
  dlt_module_init(m, kind);
  luaL_setmetatable(L, MODULE_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  return m;
}

/* Allocates the parameters of the module on top and stores their userdata in its field
 * table, so m.weight is the same object on every access. */
static void setup_module_as(lua_State *L, dlt_module *m, dlt_dtype dt) {
  if (dlt_module_setup(m, dt)) dlt_lua_error(L);
  lua_getiuservalue(L, -1, 1);
  for (int k = 0; k < DLT_P_N; k++) {
    if (!m->t[k]) continue;
    dlt_lua_pushtensor(L, dlt_retain(m->t[k]));
    lua_setfield(L, -2, dlt_module_slot_name(k));
    /* pushtensor skipped it (m holds it too). At 8x, the full weight of a Lua byte: a
     * script makes layers by the hundred, and each dead one keeps its parameters until
     * the collector reaches it (2 MB less peak in scripts/initialization.lua) */
    dlt_lua_gc_account(L, m->t[k]->storage->nbytes * 8);
  }
  lua_pop(L, 1);
}

/* ---- constructors ---- */

static int64_t check_size(lua_State *L, int idx, const char *fn, const char *what) {
  if (!lua_isinteger(L, idx) && !(lua_isnumber(L, idx) && lua_tonumber(L, idx) == (double)(int64_t)lua_tonumber(L, idx)))
    dlt_lua_fail(L, "%s: %s must be an integer, got %s", fn, what, lua_isnumber(L, idx) ? lua_tostring(L, idx) : luaL_typename(L, idx));
  return (int64_t)lua_tonumber(L, idx);
}

/* the index of the string at idx in a NULL-terminated list; else an error listing them
 * ("'mean', 'sum' or 'none'") */
static int check_choice(lua_State *L, int idx, const char *fn, const char *what, const char *const *choices) {
  const char *s = lua_tostring(L, idx);
  int n = 0;
  for (; choices[n]; n++)
    if (s && lua_type(L, idx) == LUA_TSTRING && !strcmp(s, choices[n])) return n;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < n; i++) {
    if (i) luaL_addstring(&b, i == n - 1 ? " or " : ", ");
    luaL_addchar(&b, '\'');
    luaL_addstring(&b, choices[i]);
    luaL_addchar(&b, '\'');
  }
  luaL_pushresult(&b);
  return dlt_lua_fail(L, "%s: %s must be %s, got '%s'", fn, what, lua_tostring(L, -1), s ? s : luaL_typename(L, idx));
}

/* the value at idx into field f of m, checked by f's type */
static void read_field(lua_State *L, int idx, const char *fn, const dlt_module_field *f, dlt_module *m) {
  char *at = (char *)m + f->offset;
  switch (f->type) {
  case DLT_FT_INT: *(int64_t *)at = check_size(L, idx, fn, f->name); break;
  case DLT_FT_NUMBER:
    if (!lua_isnumber(L, idx)) dlt_lua_fail(L, "%s: %s must be a number, got %s", fn, f->name, luaL_typename(L, idx));
    *(double *)at = lua_tonumber(L, idx);
    break;
  case DLT_FT_NUMBER_OR_NONE:
    if (lua_isboolean(L, idx) && !lua_toboolean(L, idx)) *(double *)at = NAN;
    else if (lua_isnumber(L, idx) && !isnan(lua_tonumber(L, idx))) *(double *)at = lua_tonumber(L, idx);
    else dlt_lua_fail(L, "%s: %s must be a number or false (PyTorch's None), got %s", fn, f->name,
                      lua_isnumber(L, idx) ? "nan" : luaL_typename(L, idx));
    break;
  case DLT_FT_BOOL:
    if (!lua_isboolean(L, idx)) dlt_lua_fail(L, "%s: %s must be a boolean, got %s", fn, f->name, luaL_typename(L, idx));
    *(bool *)at = lua_toboolean(L, idx);
    break;
  case DLT_FT_DIM: {
    int64_t d = check_size(L, idx, fn, f->name);
    if (d == 0) dlt_lua_fail(L, "%s: %s is 1-based (or negative from the end), got 0", fn, f->name);
    if (d > DLT_MAXDIM || d < -DLT_MAXDIM) /* (int) of 2^32 + 1 would be a valid dim */
      dlt_lua_fail(L, "%s: %s %lld is out of range (tensors have at most %d dims)", fn, f->name, (long long)d, DLT_MAXDIM);
    *(int *)at = (int)(d > 0 ? d - 1 : d);
    break;
  }
  case DLT_FT_SHAPE:
    if (!lua_istable(L, idx)) {
      m->norm_ndim = 1;
      m->norm_shape[0] = check_size(L, idx, fn, f->name);
      break;
    }
    idx = lua_absindex(L, idx);
    m->norm_ndim = (int)lua_rawlen(L, idx);
    if (m->norm_ndim < 1 || m->norm_ndim > DLT_MAXDIM)
      dlt_lua_fail(L, "%s: %s must have 1 to %d sizes, got %d", fn, f->name, DLT_MAXDIM, m->norm_ndim);
    for (int d = 0; d < m->norm_ndim; d++) {
      lua_rawgeti(L, idx, d + 1);
      m->norm_shape[d] = check_size(L, -1, fn, f->name);
      lua_pop(L, 1);
    }
    break;
  case DLT_FT_ENUM: *(int *)at = check_choice(L, idx, fn, f->name, f->choices); break;
  }
}

/* an optional field from the options table at idx, the default staying when absent */
static void read_option(lua_State *L, int idx, const char *fn, const dlt_module_field *f, dlt_module *m) {
  char *at = (char *)m + f->offset;
  switch (f->type) {
  case DLT_FT_NUMBER: *(double *)at = dlt_lua_optnumber(L, idx, f->name, *(double *)at); break;
  case DLT_FT_BOOL: *(bool *)at = dlt_lua_optboolean(L, idx, f->name, *(bool *)at); break;
  case DLT_FT_ENUM: {
    const char *s = dlt_lua_optstring(L, idx, f->name, NULL);
    if (!s) break;
    lua_pushstring(L, s);
    read_field(L, -1, fn, f, m);
    lua_pop(L, 1);
    break;
  }
  default: /* integers, dims, shapes: as a positional argument would be */
    if (!lua_istable(L, idx)) {
      if (f->flags & DLT_FF_REQUIRED) read_field(L, idx, fn, f, m); /* "got no value" */
      break;
    }
    idx = lua_absindex(L, idx);
    lua_pushstring(L, f->name);
    if (lua_rawget(L, idx) != LUA_TNIL || (f->flags & DLT_FF_REQUIRED)) read_field(L, -1, fn, f, m);
    lua_pop(L, 1);
  }
}

/* Every C module's constructor, its kind in upvalue 1: Kind(args..., {options}). The
 * kind's positional fields come first, in order (those that are also options may stop
 * early, giving their place to the options table: Dropout({p = 0.2})), then the options
 * table, whose keys are the kind's option fields (and dtype when the kind takes it). */
static int nn_new(lua_State *L) {
  dlt_module_kind kind = (dlt_module_kind)lua_tointeger(L, lua_upvalueindex(1));
  const dlt_module_kind_info *K = dlt_module_kind_of(kind);
  const char *fn = K->name, *opts[DLT_MAX_FIELDS + 2];
  dlt_module cfg;
  dlt_module_init(&cfg, kind);
  if (K->flags & DLT_K_ANYARGS) lua_settop(L, 0); /* Identity ignores its arguments, as PyTorch's */
  int pos = 1, nopt = 0;
  bool given[DLT_MAX_FIELDS] = {0};
  for (int j = 0; K->fields[j].name; j++) {
    const dlt_module_field *f = &K->fields[j];
    if (f->flags & DLT_FF_OPT) opts[nopt++] = f->name;
    if (!(f->flags & DLT_FF_ARG) || pos < 0) continue;
    if ((f->flags & DLT_FF_OPT) && (lua_isnoneornil(L, pos) || (lua_istable(L, pos) && f->type != DLT_FT_SHAPE))) {
      pos = -pos; /* the rest come from the options table */
      continue;
    }
    read_field(L, pos++, fn, f, &cfg);
    given[j] = true;
  }
  pos = pos < 0 ? -pos : pos;
  if (K->flags & DLT_K_DTYPE) opts[nopt++] = "dtype";
  opts[nopt] = NULL;
  dlt_lua_checkoptions(L, pos, fn, nopt ? opts : NULL);
  for (int j = 0; K->fields[j].name; j++)
    if ((K->fields[j].flags & DLT_FF_OPT) && !given[j]) read_option(L, pos, fn, &K->fields[j], &cfg);
  dlt_dtype dt = K->flags & DLT_K_DTYPE ? dlt_lua_optdtype(L, pos, fn, dlt_default_dtype()) : dlt_default_dtype();
  dlt_module *m = new_module(L, kind);
  *m = cfg;
  setup_module_as(L, m, dt);
  return 1;
}

int dlt_nn_optreduction(lua_State *L, int idx, const char *fn) {
  dlt_module cfg;
  dlt_module_init(&cfg, DLT_M_MSELOSS);
  read_option(L, idx, fn, dlt_module_field_of(DLT_M_MSELOSS, "reduction"), &cfg);
  return (int)dlt_module_reduction(&cfg);
}


/* true for a C module or a Lua module (a table with an _order list, see nn.lua) */
static bool is_module(lua_State *L, int idx) {
  if (test_module(L, idx)) return true;
  if (!lua_istable(L, idx)) return false;
  bool lua_mod = lua_getfield(L, idx, "_order") == LUA_TTABLE;
  lua_pop(L, 1);
  return lua_mod;
}

static int nn_sequential(lua_State *L) {
  int n = lua_gettop(L);
  for (int i = 1; i <= n; i++)
    if (!is_module(L, i)) dlt_lua_fail(L, "Sequential: argument %d is not a module (got %s)", i, luaL_typename(L, i));
  new_module(L, DLT_M_SEQUENTIAL);
  lua_getiuservalue(L, -1, 1);
  for (int i = 1; i <= n; i++) {
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i);
  }
  lua_pop(L, 1);
  return 1;
}

/* seq:append(m): adds m at the end; returns seq */
static int m_append(lua_State *L) {
  dlt_module *s = check_module(L, 1);
  module_epoch++;
  if (s->kind != DLT_M_SEQUENTIAL) dlt_lua_fail(L, "%s: append is a method of Sequential", dlt_module_name(s->kind));
  if (!is_module(L, 2)) dlt_lua_fail(L, "Sequential.append: expected a module, got %s", luaL_typename(L, 2));
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_settop(L, 1);
  return 1;
}

/* ---- calling ---- */

static dlt_tensor *input_tensor(lua_State *L, int idx, const char *fn) {
  return dlt_lua_checkfloatarg(L, idx, fn, "input");
}

/* seq->kids for its children env[1..n], filled again when stale (see module_epoch) */
static void cache_kids(lua_State *L, dlt_module *seq, int env, lua_Integer n) {
  if (seq->kids_epoch == module_epoch && seq->nkids == n) return;
  if (n > 0) {
    dlt_module **grown = realloc(seq->kids, (size_t)n * sizeof *grown);
    if (!grown) dlt_lua_fail(L, "Sequential: cannot allocate %d child pointers", (int)n);
    seq->kids = grown;
  }
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, env, i);
    seq->kids[i - 1] = test_module(L, -1);
    lua_pop(L, 1); /* env keeps it alive */
  }
  seq->nkids = n;
  seq->kids_epoch = module_epoch;
}

/* Runs the children in turn. Between C modules the value stays a C reference (cur), so
 * intermediate results never become Lua objects and the modules' output buffers come
 * free again once backward is done; before a Lua child, and at the end, it goes onto the
 * stack (slot 4). The engine runs each stretch of C children (dlt_sequential_run),
 * fusing what its planner recognizes into one node. */
static int sequential_forward(lua_State *L, dlt_module *seq) {
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, 1);
  int env = 3;
  lua_pushvalue(L, 2); /* 4: the current value when cur is NULL */
  dlt_tensor *cur = NULL;
  int64_t n = (int64_t)lua_rawlen(L, env);
  cache_kids(L, seq, env, n);
  for (int64_t i = 0; i < n;) {
    dlt_module *c = seq->kids[i];
    if (!dlt_module_runs_in_c(c)) {
      if (cur) {
        dlt_lua_pushtensor(L, cur);
        lua_replace(L, 4);
        cur = NULL;
      }
      lua_rawgeti(L, env, i + 1);
      lua_pushvalue(L, 4);
      lua_call(L, 1, 1);
      lua_replace(L, 4);
      i++;
      /* the child ran Lua code, which may have collected or appended modules (the
       * children the loop runs stay the first n, as before) */
      cache_kids(L, seq, env, (lua_Integer)lua_rawlen(L, env));
      continue;
    }
    dlt_tensor *x = cur ? cur : input_tensor(L, 4, dlt_module_name(c->kind));
    cur = dlt_sequential_run(seq->kids, n, &i, x, cur != NULL);
    if (!cur) dlt_lua_error(L);
  }
  if (cur) {
    dlt_lua_pushtensor(L, cur);
    lua_replace(L, 4);
  }
  lua_settop(L, 4);
  return 1;
}

static int m_forward(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  const char *fn = dlt_module_name(m->kind);
  if (m->kind == DLT_M_SEQUENTIAL) return sequential_forward(L, m);
  dlt_tensor *x = input_tensor(L, 2, fn);
  if (dlt_module_is_loss(m->kind)) {
    if (lua_isnoneornil(L, 3)) dlt_lua_fail(L, "%s: expected an input and a target", fn);
    dlt_tensor *t = dlt_lua_totensor(L, 3, x->dtype);
    dlt_tensor *y = dlt_module_loss(m, x, t);
    dlt_release(t);
    dlt_lua_pushtensor(L, y);
    return 1;
  }
  dlt_lua_pushtensor(L, dlt_module_forward(m, x));
  return 1;
}

/* ---- fields ---- */

static int slot_of(const char *k) {
  for (int s = 0; s < DLT_P_N; s++)
    if (!strcmp(k, dlt_module_slot_name(s))) return s;
  return -1;
}

/* pushes field f of m as Lua sees it */
static void push_field(lua_State *L, const dlt_module *m, const dlt_module_field *f) {
  const char *at = (const char *)m + f->offset;
  switch (f->type) {
  case DLT_FT_INT: lua_pushinteger(L, *(const int64_t *)at); break;
  case DLT_FT_NUMBER: lua_pushnumber(L, *(const double *)at); break;
  case DLT_FT_NUMBER_OR_NONE:
    if (isnan(*(const double *)at)) lua_pushboolean(L, false);
    else lua_pushnumber(L, *(const double *)at);
    break;
  case DLT_FT_BOOL: lua_pushboolean(L, *(const bool *)at); break;
  case DLT_FT_DIM: {
    int d = *(const int *)at;
    lua_pushinteger(L, d >= 0 ? d + 1 : d);
    break;
  }
  case DLT_FT_SHAPE:
    lua_createtable(L, m->norm_ndim, 0);
    for (int d = 0; d < m->norm_ndim; d++) {
      lua_pushinteger(L, m->norm_shape[d]);
      lua_rawseti(L, -2, d + 1);
    }
    break;
  case DLT_FT_ENUM: lua_pushstring(L, f->choices[*(const int *)at]); break;
  }
}

/* the field k that Lua may read, or NULL */
static const dlt_module_field *readable(const dlt_module *m, const char *k) {
  const dlt_module_field *f = dlt_module_field_of(m->kind, k);
  return f && (f->flags & DLT_FF_READ) ? f : NULL;
}

/* pushes a configuration field; false when m has no such field */
static bool push_config(lua_State *L, const dlt_module *m, const char *k) {
  const dlt_module_field *f;
  if (!strcmp(k, "training")) lua_pushboolean(L, m->training);
  else if ((f = readable(m, k))) push_field(L, m, f);
  else return false;
  return true;
}

static int m_index(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &methods_key);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) return 1;
    lua_pop(L, 2);
    if (push_config(L, m, lua_tostring(L, 2))) return 1;
  }
  if (lua_isinteger(L, 2) && m->kind == DLT_M_SEQUENTIAL) {
    lua_getiuservalue(L, 1, 1);
    lua_Integer i = lua_tointeger(L, 2), n = (lua_Integer)lua_rawlen(L, -1);
    if (i < 0) i += n + 1;
    if (i < 1 || i > n) dlt_lua_fail(L, "Sequential: index %d is out of range for %d modules", (int)lua_tointeger(L, 2), (int)n);
    lua_rawgeti(L, -1, i);
    return 1;
  }
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

/* m.weight = t: the same shape and dtype as before (so optimizers' and kernels'
 * expectations hold), or nil to remove an optional tensor */
static void set_slot(lua_State *L, dlt_module *m, int s) {
  const char *fn = dlt_module_name(m->kind), *k = dlt_module_slot_name(s);
  dlt_tensor *old = m->t[s], *t = NULL;
  if (!old) dlt_lua_fail(L, "%s: this module has no %s to replace", fn, k);
  if (!lua_isnil(L, 3)) {
    t = dlt_lua_testtensor(L, 3);
    if (!t) dlt_lua_fail(L, "%s: %s must be a tensor, got %s", fn, k, luaL_typename(L, 3));
    char a[128], b[128];
    if (!dlt_same_shape(t, old) || t->dtype != old->dtype)
      dlt_lua_fail(L, "%s: %s must be %s of shape %s, got %s of shape %s", fn, k, dlt_dtype_name(old->dtype),
                   dlt_shape_str(old, a, sizeof a), dlt_dtype_name(t->dtype), dlt_shape_str(t, b, sizeof b));
  } else if (s == DLT_P_WEIGHT && m->kind == DLT_M_LINEAR) {
    dlt_lua_fail(L, "Linear: the weight cannot be removed");
  } else if (!dlt_module_slot_is_param(s)) {
    /* the kernels update running statistics through these: a forward would use NULL */
    dlt_lua_fail(L,
                 "%s: %s is a buffer and cannot be removed (construct the module with "
                 "track_running_stats = false instead)",
                 fn, k);
  } else if (m->kind != DLT_M_LINEAR) {
    /* a norm's weight and bias go together (affine): one alone would be ignored */
    dlt_lua_fail(L, "%s: %s cannot be removed (construct the module with %s = false instead)", fn, k,
                 m->kind == DLT_M_LAYERNORM ? "elementwise_affine" : "affine");
  }
  m->t[s] = dlt_retain(t);
  dlt_release(old);
  if (!t && s == DLT_P_BIAS && m->kind == DLT_M_LINEAR) m->affine = false;
  if (!t && s == DLT_P_WEIGHT) m->affine = false;
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, k);
}

static int m_newindex(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  const char *k = luaL_checkstring(L, 2), *fn = dlt_module_name(m->kind);
  int s = slot_of(k);
  if (s >= 0) {
    set_slot(L, m, s);
    return 0;
  }
  if (!strcmp(k, "training")) {
    if (!lua_isboolean(L, 3)) dlt_lua_fail(L, "%s: training must be a boolean, got %s", fn, luaL_typename(L, 3));
    m->training = lua_toboolean(L, 3);
    return 0;
  }
  const dlt_module_field *f = readable(m, k);
  if (f && (f->flags & DLT_FF_WRITE)) {
    dlt_module cfg = *m; /* the new value checked as the constructor checks it */
    read_field(L, 3, fn, f, &cfg);
    if (dlt_module_check(&cfg)) dlt_lua_error(L);
    *m = cfg;
    return 0;
  }
  if (push_config(L, m, k)) dlt_lua_fail(L, "%s: field '%s' is fixed at construction", fn, k);
  return dlt_lua_fail(L, "%s: cannot set field '%s' (C modules have fixed fields; wrap them in an nn.Module:extend class)", fn, k);
}

static int m_len(lua_State *L) {
  check_module(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

#define FREED_MT "dlt.nn.Module (freed by its __gc)"

static int m_freed(lua_State *L) { return dlt_lua_fail(L, "nn: this module was freed by its __gc"); }

static int m_gc(lua_State *L) {
  /* a script can call __gc by hand, on anything, twice: the userdata then takes the
   * freed-module metatable, so using it again is an error, not a NULL weight; a binding
   * may still be running it (a Sequential whose Lua child did this), so only the
   * collector's call clears it (see dlt_lua_gc_by_collector) */
  dlt_module *m = luaL_testudata(L, 1, MODULE_MT);
  if (!m) m = luaL_testudata(L, 1, FREED_MT);
  if (!m) return 0;
  module_epoch++;
  if (dlt_lua_gc_by_collector(L)) dlt_module_clear(m);
  else lua_settop(L, 1), luaL_setmetatable(L, FREED_MT); /* sets the top's metatable */
  return 0;
}

/* ---- primitives for nn.lua ---- */

static int m_get_name(lua_State *L) {
  lua_pushstring(L, dlt_module_name(check_module(L, 1)->kind));
  return 1;
}

static int m_extra_repr(lua_State *L) {
  char buf[512];
  lua_pushstring(L, dlt_module_extra_repr(check_module(L, 1), buf, sizeof buf));
  return 1;
}

/* {{name, tensor, is_parameter}, ...} for the tensors the module has, in PyTorch's order */
static int m_slots(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_newtable(L);
  int n = 0;
  for (int s = 0; s < DLT_P_N; s++) {
    if (!m->t[s]) continue;
    lua_createtable(L, 3, 0);
    lua_pushstring(L, dlt_module_slot_name(s));
    lua_rawseti(L, -2, 1);
    lua_getfield(L, 2, dlt_module_slot_name(s));
    lua_rawseti(L, -2, 2);
    lua_pushboolean(L, dlt_module_slot_is_param(s));
    lua_rawseti(L, -2, 3);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* {{"1", child}, ...} for a Sequential, {} otherwise */
static int m_children(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_newtable(L);
  if (m->kind != DLT_M_SEQUENTIAL) return 1;
  lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_createtable(L, 2, 0);
    lua_pushfstring(L, "%I", i);
    lua_rawseti(L, -2, 1);
    lua_rawgeti(L, 2, i);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

/* {child, ...} for a Sequential, {} otherwise: _children without the names */
static int m_kids(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_Integer n = m->kind == DLT_M_SEQUENTIAL ? (lua_Integer)lua_rawlen(L, 2) : 0;
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, i);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

/* Whether the module at idx and, for a Sequential, its descendants are all C modules
 * (at most 100 deep, as nn.lua's walks), with each one's training set to mode when set. */
static bool c_tree(lua_State *L, int idx, bool mode, bool set, int depth) {
  dlt_module *m = test_module(L, idx);
  if (!m || depth > 100 || !lua_checkstack(L, 4)) return false;
  if (set) m->training = mode;
  if (m->kind != DLT_M_SEQUENTIAL) return true;
  lua_getiuservalue(L, idx, 1);
  int env = lua_gettop(L);
  bool all = true;
  for (lua_Integer i = 1, n = (lua_Integer)lua_rawlen(L, env); all && i <= n; i++) {
    lua_rawgeti(L, env, i);
    all = c_tree(L, lua_gettop(L), mode, set, depth + 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return all;
}

/* m:_set_training(mode): train(mode) of a tree of C modules in one call; false, having
 * changed nothing, when a Lua module is in it (nn.lua then walks it) */
static int m_set_training(lua_State *L) {
  check_module(L, 1);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  bool mode = lua_toboolean(L, 2), all = c_tree(L, 1, mode, false, 0);
  if (all) c_tree(L, 1, mode, true, 0);
  lua_pushboolean(L, all);
  return 1;
}

static dlt_dtype check_dtype(lua_State *L, int idx) {
  const char *d = luaL_checkstring(L, idx);
  if (strcmp(d, "float32") && strcmp(d, "float64")) dlt_lua_fail(L, "to: unknown dtype '%s' (float32 or float64)", d);
  return !strcmp(d, "float64") ? DLT_FLOAT64 : DLT_FLOAT32;
}

/* m:_to("float32" | "float64"): converts this module's own tensors in place (nn.lua recurses) */
static int m_to_dtype(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  if (dlt_module_to(m, check_dtype(L, 2))) dlt_lua_error(L);
  lua_settop(L, 1);
  return 1;
}

/* nn._convert_(t, dtype): t's elements converted in place, t keeping its identity */
static int nn_convert(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (dlt_tensor_convert_(t, check_dtype(L, 2))) dlt_lua_error(L);
  lua_settop(L, 1);
  return 1;
}

static int m_is_c_module(lua_State *L) {
  lua_pushboolean(L, test_module(L, 1) != NULL);
  return 1;
}

/* nn._copy_into(dst, src): dst's elements from src (same shape), outside autograd,
 * for load_state_dict */
static int nn_copy_into(lua_State *L) {
  dlt_tensor *dst = dlt_lua_checktensor(L, 1), *src = dlt_lua_checktensor(L, 2);
  if (dlt_copy_(dst, src)) dlt_lua_error(L);
  return 0;
}

/* nn.Parameter(t): a leaf sharing t's elements that requires grad */
static int nn_parameter(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_tensor *p = dlt_alias(t);
  if (p) p->requires_grad = lua_isnoneornil(L, 2) ? true : lua_toboolean(L, 2);
  dlt_lua_pushtensor(L, p);
  return 1;
}

/* m:_clone(): a new module of m's kind and configuration with copies of m's tensors
 * (parameters stay leaves that require grad); a Sequential's children are not copied
 * (dlt.deepcopy appends copies of them) */
static int m_clone(lua_State *L) {
  dlt_module *m = check_module(L, 1);
  dlt_module *c = lua_newuserdatauv(L, sizeof *c, 1);
  *c = *m;
  for (int k = 0; k < DLT_P_N; k++) c->t[k] = NULL;
  c->bufs = NULL;
  c->kids = NULL;
  c->nkids = 0;
  c->kids_epoch = 0;
  luaL_setmetatable(L, MODULE_MT); /* from here __gc releases what c holds */
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  lua_getiuservalue(L, -1, 1);
  for (int k = 0; k < DLT_P_N; k++) {
    if (!m->t[k]) continue;
    if (!(c->t[k] = dlt_clone(m->t[k]))) dlt_lua_error(L);
    c->t[k]->requires_grad = m->t[k]->requires_grad;
    dlt_lua_pushtensor(L, dlt_retain(c->t[k]));
    lua_setfield(L, -2, dlt_module_slot_name(k));
  }
  lua_pop(L, 1);
  return 1;
}

static const luaL_Reg module_methods[] = {
  {"forward", m_forward},
  {"append", m_append},
  {"add", m_append},
  {"extra_repr", m_extra_repr},
  {"_get_name", m_get_name},
  {"_slots", m_slots},
  {"_children", m_children},
  {"_kids", m_kids},
  {"_set_training", m_set_training},
  {"_to", m_to_dtype},
  {"_clone", m_clone},
  {NULL, NULL}};

static const luaL_Reg module_meta[] = {
  {"__index", m_index},
  {"__newindex", m_newindex},
  {"__call", m_forward},
  {"__len", m_len},
  {"__gc", m_gc},
  {NULL, NULL}};

static const luaL_Reg nn_funcs[] = {
  {"Sequential", nn_sequential},
  {"Parameter", nn_parameter},
  {"_copy_into", nn_copy_into},
  {"_convert_", nn_convert},
  {"_is_c_module", m_is_c_module},
  {NULL, NULL}};

/* a module freed by __gc called by hand: every use of it is an error */
static const luaL_Reg freed_meta[] = {{"__gc", m_gc}, {"__index", m_freed}, {"__newindex", m_freed}, {NULL, NULL}};

void dlt_open_nn(lua_State *L, int dlt) {
  dlt_lua_newclass(L, FREED_MT, freed_meta, NULL);
  luaL_newmetatable(L, MODULE_MT);
  luaL_setfuncs(L, module_meta, 0);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &module_mt_key);
  module_mt_registry = module_mt_ptr = NULL;
  module_epoch++;
  lua_newtable(L);
  luaL_setfuncs(L, module_methods, 0);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &methods_key);
  lua_newtable(L); /* dlt.nn */
  luaL_setfuncs(L, nn_funcs, 0);
  for (int k = 0; k < DLT_M_NKINDS; k++) { /* Sequential has its own constructor */
    if (dlt_module_kind_of((dlt_module_kind)k)->flags & DLT_K_CONTAINER) continue;
    lua_pushinteger(L, k);
    lua_pushcclosure(L, nn_new, 1);
    lua_setfield(L, -2, dlt_module_name((dlt_module_kind)k));
  }
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "_cmethods");
  luaL_getmetatable(L, MODULE_MT);
  lua_setfield(L, -2, "_cmeta");
  dlt_nn_open_functional(L, lua_gettop(L));
  dlt_nn_open_conv(L, lua_gettop(L));
  lua_setfield(L, dlt, "nn");
  lua_pop(L, 1);
}
