/* tensor.c: the tensor userdata's metatable (fields, __gc, __len, __tostring, indexing
 * keys) and the argument helpers the other tensor_*.c binding files share. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "core/ops.h"
#include "lua/tensor_priv.h"

/* ---- argument helpers ---- */

int dlt_lua_todim(lua_State *L, lua_Integer d, int ndim, const char *fn) {
  int n = ndim ? ndim : 1;
  if (d == 0) dlt_lua_fail(L, "%s: dimension 0 is invalid (dimensions count from 1)", fn);
  if (d > n || d < -n) dlt_lua_fail(L, "%s: dimension %lld out of range for a %d-D tensor", fn, (long long)d, ndim);
  return d > 0 ? (int)d - 1 : (int)(d + n);
}

int dlt_lua_checkdim(lua_State *L, int idx, int ndim, const char *fn) {
  return dlt_lua_todim(L, dlt_lua_checkint(L, idx, fn, "dimension"), ndim, fn);
}

int dlt_lua_optdim(lua_State *L, int idx, int ndim, const char *fn, int def) {
  return lua_isnoneornil(L, idx) ? def : dlt_lua_checkdim(L, idx, ndim, fn);
}

int64_t dlt_lua_checkint(lua_State *L, int idx, const char *fn, const char *what) {
  int isint = 0;
  lua_Integer v = lua_tointegerx(L, idx, &isint);
  if (!isint) {
    if (lua_type(L, idx) == LUA_TNUMBER)
      dlt_lua_fail(L, "%s: %s must be an integer, got %s", fn, what, lua_tostring(L, idx));
    dlt_lua_fail(L, "%s: %s must be an integer, got %s", fn, what, luaL_typename(L, idx));
  }
  return (int64_t)v;
}

static int64_t checksize(lua_State *L, int idx, const char *fn, int allow_neg1) {
  int isint = 0;
  lua_Integer v = lua_tointegerx(L, idx, &isint);
  if (lua_type(L, idx) != LUA_TNUMBER)
    dlt_lua_fail(L, "%s: expected a size, got %s", fn, luaL_typename(L, idx));
  if (!isint || v < (allow_neg1 ? -1 : 0) || v > ((lua_Integer)1 << 53)) {
    lua_pushvalue(L, idx);
    dlt_lua_fail(L, "%s: invalid size %s", fn, lua_tostring(L, -1));
  }
  return (int64_t)v;
}

/* A shape table holds sizes at 1..n and nothing else: {2, 3, dtype = "float64"} would
 * otherwise quietly make a float32 tensor (options go in a table of their own) */
static void checkshapekeys(lua_State *L, int idx, lua_Unsigned n, const char *fn) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && (lua_Unsigned)lua_tointeger(L, -1) <= n) continue;
    if (lua_type(L, -1) == LUA_TSTRING)
      dlt_lua_fail(L, "%s: the shape table has the key '%s' (a shape holds only sizes; options go in a table of their own after it)", fn, lua_tostring(L, -1));
    dlt_lua_fail(L, "%s: the shape table has an entry at %s, beyond its %d sizes", fn, luaL_tolstring(L, -1, NULL), (int)n);
  }
}

int dlt_lua_checkshape(lua_State *L, int first, int last, const char *fn, int64_t *shape, int allow_neg1) {
  if (first <= last && lua_istable(L, first)) {
    lua_Unsigned n = lua_rawlen(L, first);
    if (n > DLT_MAXDIM) dlt_lua_fail(L, "%s: %d dimensions, at most %d allowed", fn, (int)n, DLT_MAXDIM);
    for (lua_Unsigned i = 1; i <= n; i++) {
      lua_rawgeti(L, first, (lua_Integer)i);
      shape[i - 1] = checksize(L, -1, fn, allow_neg1);
      lua_pop(L, 1);
    }
    if (last > first) dlt_lua_fail(L, "%s: unexpected argument #%d after a shape table", fn, first + 1);
    checkshapekeys(L, first, n, fn);
    return (int)n;
  }
  int n = last - first + 1;
  if (n < 0) n = 0;
  if (n > DLT_MAXDIM) dlt_lua_fail(L, "%s: %d dimensions, at most %d allowed", fn, n, DLT_MAXDIM);
  for (int i = 0; i < n; i++) shape[i] = checksize(L, first + i, fn, allow_neg1);
  return n;
}

int dlt_lua_trailingopts(lua_State *L) {
  int top = lua_gettop(L);
  if (top < 1 || !lua_istable(L, top)) return 0;
  if (dlt_lua_testtensor(L, top)) return 0;
  int is_list = lua_rawgeti(L, top, 1) != LUA_TNIL;
  lua_pop(L, 1);
  if (is_list) return 0;
  /* an empty table {} is a 0-D shape, not options */
  lua_pushnil(L);
  int empty = !lua_next(L, top);
  if (!empty) lua_pop(L, 2);
  return empty ? 0 : top;
}

dlt_tensor *dlt_lua_operand(lua_State *L, int idx, const dlt_tensor *like, const char *fn) {
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (t) return dlt_retain(t);
  const char *name = idx == 2 && lua_isnoneornil(L, 2) ? dlt_lua_method_hint(L) : NULL;
  if (name) /* x.add(y): y came first, nothing second */
    dlt_lua_fail(L, "%s: expected a tensor or number, got %s; call a method with ':', as t:%s(other)", fn,
                 luaL_typename(L, idx), name);
  if (lua_type(L, idx) != LUA_TNUMBER)
    dlt_lua_fail(L, "%s: expected a tensor or number, got %s", fn, luaL_typename(L, idx));
  t = dlt_scalar(lua_tonumber(L, idx), like ? like->dtype : dlt_default_dtype());
  if (!t) dlt_lua_error(L);
  return t;
}

int64_t *dlt_lua_checkindices(lua_State *L, int idx, int64_t size, const char *fn, int64_t *n) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) == LUA_TNUMBER) {
    int64_t *p = lua_newuserdatauv(L, sizeof *p, 0);
    int64_t v = dlt_lua_checkint(L, idx, fn, "index");
    if (v == 0 || v > size || v < -size)
      dlt_lua_fail(L, "%s: index %lld is out of range for size %lld", fn, (long long)v, (long long)size);
    *p = v > 0 ? v - 1 : v + size;
    *n = 1;
    return p;
  }
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (!t && !lua_istable(L, idx))
    dlt_lua_fail(L, "%s: expected indices as a tensor or table, got %s", fn, luaL_typename(L, idx));
  if (t && t->dtype == DLT_BOOL)
    dlt_lua_fail(L, "%s: a bool tensor is a mask, not indices (t[mask] or masked_select select by mask)", fn);
  /* a contiguous tensor (a DataLoader's slice of a permutation) is read in place */
  bool direct = t && dlt_is_contiguous(t);
  int64_t k = direct ? dlt_numel(t) : 0;
  double *v = direct ? NULL : dlt_lua_todoubles(L, idx, &k);
  int64_t *p = lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof *p, 0);
  if (direct && t->dtype == DLT_INT64) { /* exact, with no detour through doubles */
    const int64_t *q = dlt_data(t);
    for (int64_t i = 0; i < k; i++) {
      if (q[i] == 0 || q[i] > size || q[i] < -size)
        dlt_lua_fail(L, "%s: index %lld is out of range for size %lld", fn, (long long)q[i], (long long)size);
      p[i] = q[i] > 0 ? q[i] - 1 : q[i] + size;
    }
    *n = k;
    return p;
  }
  for (int64_t i = 0; i < k; i++) {
    double x = v ? v[i] : dlt_get_flat(t, i);
    if (x != floor(x) || x == 0 || x > (double)size || x < -(double)size) {
      free(v);
      dlt_lua_fail(L, "%s: index %g is out of range for size %lld", fn, x, (long long)size);
    }
    p[i] = x > 0 ? (int64_t)x - 1 : (int64_t)x + size;
  }
  free(v);
  *n = k;
  return p;
}

dlt_dtype dlt_lua_checkdtype(lua_State *L, int idx, const char *fn) {
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
  if (s && (!strcmp(s, "float32") || !strcmp(s, "float"))) return DLT_FLOAT32;
  if (s && (!strcmp(s, "float64") || !strcmp(s, "double"))) return DLT_FLOAT64;
  if (s && (!strcmp(s, "int64") || !strcmp(s, "long"))) return DLT_INT64;
  if (s && !strcmp(s, "bool")) return DLT_BOOL;
  if (s) dlt_lua_fail(L, "%s: unknown dtype '%s' (expected \"float32\", \"float64\", \"int64\" or \"bool\")", fn, s);
  dlt_lua_fail(L, "%s: expected a dtype name, got %s", fn, luaL_typename(L, idx));
  return DLT_FLOAT32;
}

void dlt_lua_check_grad_dtype(lua_State *L, const dlt_tensor *t, const char *fn) {
  if (!dlt_is_floating(t->dtype))
    dlt_lua_fail(L, "%s: only floating-point tensors can require gradients, got %s", fn, dlt_dtype_name(t->dtype));
}

dlt_dtype dlt_lua_optdtype(lua_State *L, int opts, const char *fn, dlt_dtype def) {
  if (!opts || !lua_istable(L, opts)) return def;
  dlt_lua_rawfield(L, opts, "dtype");
  dlt_dtype d = lua_isnil(L, -1) ? def : dlt_lua_checkdtype(L, -1, fn);
  lua_pop(L, 1);
  return d;
}

void dlt_lua_checkrc(lua_State *L, int rc) {
  if (rc < 0) dlt_lua_error(L);
}

/* ---- metamethods ---- */

/* The collector's finalizer, which scripts cannot reach: getmetatable(t) shows them a
 * copy of the metatable whose __gc is t_gc_by_hand (__metatable, dlt_open_tensor). So
 * this is the last call on an unreachable box, whose tensor no binding can be using: it
 * releases the tensor at once, without asking Lua who called (lua_getinfo, about 220
 * instructions of every tensor's end). The debug library reaches past __metatable, as
 * it reaches past every other guard. */
static int t_gc(lua_State *L) {
  dlt_tensor **box = dlt_lua_tensorbox(L, 1);
  if (!box) return 0;
  dlt_tensor *t = box[0] ? box[0] : box[1];
  box[0] = box[1] = NULL;
  dlt_release(t);
  return 0;
}

/* __gc as scripts see it (getmetatable(t).__gc), on any value: called by hand, maybe
 * while a binding is using the tensor (from a Lua finalizer that the binding's
 * allocation ran), so it only disarms a tensor's box: later use is an error, and the
 * collector's t_gc releases the tensor (box[1]) when the box is collected. */
static int t_gc_by_hand(lua_State *L) {
  dlt_tensor **box = dlt_lua_tensorbox(L, 1);
  if (box && box[0]) box[1] = box[0], box[0] = NULL;
  return 0;
}

static int t_tostring(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  char *s = dlt_format(t);
  if (!s) return dlt_lua_error(L);
  lua_pushstring(L, s);
  free(s);
  return 1;
}

static int t_len(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (t->ndim == 0) return dlt_lua_fail(L, "len: a 0-D tensor has no length");
  lua_pushinteger(L, t->shape[0]);
  return 1;
}

/* t.shape and t:size(): a fresh list of the sizes that prints as torch.Size does,
 * "(4, 2)", and compares by value (t.shape == u.shape) */
void dlt_lua_pushsize(lua_State *L, const dlt_tensor *t) {
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, t->shape[i]);
    lua_rawseti(L, -2, i + 1);
  }
  luaL_setmetatable(L, DLT_SIZE_MT);
}

/* Python's tuple form: (), (4,), (4, 2) */
static int size_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '(');
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushfstring(L, i > 1 ? ", %I" : "%I", v);
    luaL_addvalue(&b);
  }
  if (n == 1) luaL_addchar(&b, ',');
  luaL_addchar(&b, ')');
  luaL_pushresult(&b);
  return 1;
}

static int size_eq(lua_State *L) {
  int same = lua_type(L, 1) == LUA_TTABLE && lua_type(L, 2) == LUA_TTABLE &&
             lua_rawlen(L, 1) == lua_rawlen(L, 2);
  for (lua_Integer i = 1; same && i <= (lua_Integer)lua_rawlen(L, 1); i++) {
    lua_rawgeti(L, 1, i);
    lua_rawgeti(L, 2, i);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pushboolean(L, same);
  return 1;
}

static const luaL_Reg size_meta[] = {
  {"__tostring", size_tostring},
  {"__eq", size_eq},
  {NULL, NULL},
};

/* upvalue 1: the methods table */
static int t_index(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING) { /* a method: t:sum() looks one up per call */
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
  }
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_type(L, 2) != LUA_TSTRING) return dlt_tensor_index_get(L, t, 2);
  const char *k = lua_tostring(L, 2);
  if (!strcmp(k, "shape")) dlt_lua_pushsize(L, t);
  else if (!strcmp(k, "dtype")) lua_pushstring(L, dlt_dtype_name(t->dtype));
  else if (!strcmp(k, "requires_grad")) lua_pushboolean(L, t->requires_grad || t->grad_fn);
  else if (!strcmp(k, "is_leaf")) lua_pushboolean(L, t->grad_fn == NULL);
  else if (!strcmp(k, "grad_fn")) {
    if (t->grad_fn) lua_pushstring(L, t->grad_fn->name);
    else lua_pushnil(L);
  } else if (!strcmp(k, "grad")) {
    if (t->grad) dlt_lua_pushtensor(L, dlt_retain(t->grad));
    else lua_pushnil(L);
  } else if (!strcmp(k, "ndim")) lua_pushinteger(L, t->ndim);
  else if (!strcmp(k, "T")) { /* PyTorch's t.T: the dims reversed (a transpose for 2-D) */
    int dims[DLT_MAXDIM];
    for (int i = 0; i < t->ndim; i++) dims[i] = t->ndim - 1 - i;
    dlt_lua_pushtensor(L, dlt_ag_permute(t, dims));
  } else lua_pushnil(L);
  return 1;
}

static int t_newindex(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_type(L, 2) != LUA_TSTRING) {
    dlt_tensor_index_set(L, 1, t, 2, 3);
    return 0;
  }
  const char *k = lua_tostring(L, 2);
  if (!strcmp(k, "requires_grad")) {
    luaL_checktype(L, 3, LUA_TBOOLEAN);
    int b = lua_toboolean(L, 3);
    if (b) dlt_lua_check_grad_dtype(L, t, "requires_grad");
    if (t->grad_fn && !b)
      return dlt_lua_fail(L, "requires_grad: can only change requires_grad of leaf tensors (this one has grad_fn %s); use detach()", t->grad_fn->name);
    t->requires_grad = b;
  } else if (!strcmp(k, "grad")) {
    dlt_tensor *g = lua_isnil(L, 3) ? NULL : dlt_lua_checktensor(L, 3);
    if (g && (!dlt_same_shape(g, t) || g->dtype != t->dtype)) {
      char a[128], b[128];
      return dlt_lua_fail(L, "grad: assigned gradient has shape %s (%s), expected %s (%s)", dlt_shape_str(g, a, sizeof a),
                          dlt_dtype_name(g->dtype), dlt_shape_str(t, b, sizeof b), dlt_dtype_name(t->dtype));
    }
    /* an alias over g's storage, not g itself: t.grad = t (or a.grad = b, b.grad = a)
     * would otherwise be a reference cycle that refcounting never frees */
    dlt_tensor *ga = g ? dlt_alias(g) : NULL;
    if (g && !ga) return dlt_lua_error(L);
    dlt_release(t->grad);
    t->grad = ga;
  } else {
    return dlt_lua_fail(L, "tensor: cannot set field '%s'", k);
  }
  return 0;
}

static const luaL_Reg meta[] = {
  {"__gc", t_gc},
  {"__tostring", t_tostring},
  {"__len", t_len},
  {"__newindex", t_newindex},
  {NULL, NULL},
};

/* metamethods that are plain methods too (__add, ...) come from the area tables */
extern const luaL_Reg dlt_tensor_math_meta[];

static int is_tensor(lua_State *L) {
  lua_pushboolean(L, dlt_lua_testtensor(L, 1) != NULL);
  return 1;
}

/* functions also exposed as dlt.<name>(t, ...), as torch.<name> */
static const char *const function_forms[] = {
  "abs",
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "sign",
  "floor",
  "ceil",
  "round",
  "clamp",
  "neg",
  "square",
  "reciprocal",
  "log1p",
  "expm1",
  "erf",
  "isnan",
  "isinf",
  "maximum",
  "minimum",
  "pow",
  "add",
  "sub",
  "mul",
  "div",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "sum",
  "mean",
  "prod",
  "var",
  "std",
  "max",
  "min",
  "argmax",
  "argmin",
  "norm",
  "all",
  "any",
  "softmax",
  "log_softmax",
  "mm",
  "dot",
  "transpose",
  "reshape",
  "flatten",
  "squeeze",
  "unsqueeze",
  "narrow",
  "select",
  "index_select",
  "masked_fill",
  "masked_select",
  "nonzero",
  "clone",
  "detach",
  "numel",
  "permute",
  "t",
  "leaky_relu",
  NULL,
};

void dlt_open_tensor(lua_State *L, int dlt) {
  dlt = lua_absindex(L, dlt);
  luaL_newmetatable(L, DLT_SIZE_MT);
  luaL_setfuncs(L, size_meta, 0);
  lua_pop(L, 1);
  luaL_newmetatable(L, DLT_TENSOR_MT);
  dlt_lua_forget_mt();
  int mt = lua_gettop(L);
  luaL_setfuncs(L, meta, 0);
  luaL_setfuncs(L, dlt_tensor_math_meta, 0);
  lua_pushstring(L, "dlt.Tensor");
  lua_setfield(L, mt, "__name");
  /* methods */
  lua_newtable(L);
  int methods = lua_gettop(L);
  luaL_setfuncs(L, dlt_tensor_create_methods, 0);
  luaL_setfuncs(L, dlt_tensor_shape_methods, 0);
  luaL_setfuncs(L, dlt_tensor_math_methods, 0);
  lua_pushvalue(L, methods);
  lua_pushcclosure(L, t_index, 1);
  lua_setfield(L, mt, "__index");
  /* what getmetatable(t) returns: a copy of these fields with t_gc_by_hand as __gc (see
   * t_gc); fields added to it do not change tensors */
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, mt)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushcfunction(L, t_gc_by_hand);
  lua_setfield(L, -2, "__gc");
  lua_setfield(L, mt, "__metatable");
  /* dlt.Tensor: the methods table, so Lua code can add methods */
  lua_pushvalue(L, methods);
  lua_setfield(L, dlt, "Tensor");
  /* functions */
  lua_pushvalue(L, dlt);
  luaL_setfuncs(L, dlt_tensor_create_funcs, 0);
  luaL_setfuncs(L, dlt_tensor_shape_funcs, 0);
  luaL_setfuncs(L, dlt_tensor_math_funcs, 0);
  lua_newtable(L);
  luaL_setfuncs(L, dlt_tensor_random_funcs, 0);
  lua_setfield(L, dlt, "random");
  lua_newtable(L);
  luaL_setfuncs(L, dlt_tensor_linalg_funcs, 0);
  lua_setfield(L, dlt, "linalg");
  lua_pushcfunction(L, is_tensor);
  lua_setfield(L, dlt, "is_tensor");
  /* dtype constants: the names t.dtype gives, so t.dtype == dlt.int64 compares them */
  static const char *const dtypes[][2] = {{"float32", "float32"}, {"float64", "float64"}, {"int64", "int64"}, {"bool", "bool"}, {"float", "float32"}, {"double", "float64"}, {"long", "int64"}};
  for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++) {
    lua_pushstring(L, dtypes[i][1]);
    lua_setfield(L, dlt, dtypes[i][0]);
  }
  lua_pop(L, 1);
  for (int i = 0; function_forms[i]; i++) {
    lua_getfield(L, dlt, function_forms[i]);
    int have = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (have) continue;
    if (lua_getfield(L, methods, function_forms[i]) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_setfield(L, dlt, function_forms[i]);
  }
  lua_settop(L, dlt);
}
