/* common.c: the tensor userdata box (checking, pushing, GC accounting), conversion of
 * Lua values to tensors, and the options-table helpers every binding file uses. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/common.h"

/* registry key of the tensor metatable: a light userdata, so lookups skip string hashing */
static const char mt_key = 0;

/* Lua sees only an 8-byte box per tensor, so it must be told about storage bytes.
 * 1. Pacing: each MB of new storage becomes one GC step as if Lua had allocated 128 KB
 *    (a tensor byte weighs 1/8 of a Lua byte), so the incremental collector keeps pace
 *    with tensor allocation: a loop of 8 KB temporaries leaves about 2 MB of garbage,
 *    and a full weight (1 MB per MB) would spend more time collecting than computing.
 * 2. Bound: when live storage exceeds gc_limit, a full collection runs and the limit
 *    becomes max(2 x live, live + 64 MB). This holds in generational mode too, where
 *    boxes that survive two minor collections only die in major ones, which Lua
 *    triggers by growth of its own heap. So live storage never exceeds the limit set
 *    after the last full collection plus the tensor being pushed, and full collections
 *    cost O(Lua heap) per 64 MB (or per doubling) of tensor allocation.
 * 3. Headers: every pushed tensor, a view too, also holds about HEADER_COST bytes that
 *    are not storage (its header, storage record, allocator overhead, and often a node),
 *    counted at the full weight of Lua bytes. Without this a loop of small results
 *    (x:sum() a million times) saw 8 bytes per 300 and grew to 230 MB of dead tensors. */
static size_t gc_pending;
#define GC_STEP_BYTES ((size_t)1 << 20)
#define GC_WEIGHT_SHIFT 3
#define GC_FLOOR_BYTES ((size_t)64 << 20)
static size_t gc_limit = GC_FLOOR_BYTES;
#define HEADER_COST 256

static void gc_account(lua_State *L, size_t nbytes) {
  gc_pending += nbytes;
  if (gc_pending >= GC_STEP_BYTES) {
    size_t kb = gc_pending >> (10 + GC_WEIGHT_SHIFT);
    gc_pending = 0;
    lua_gc(L, LUA_GCSTEP, (int)(kb > 1 << 30 ? 1 << 30 : kb));
  }
  if (dlt_live_bytes > gc_limit) {
    lua_gc(L, LUA_GCCOLLECT);
    size_t live = dlt_live_bytes;
    gc_limit = live > GC_FLOOR_BYTES ? 2 * live : live + GC_FLOOR_BYTES;
  }
}

void dlt_lua_gc_account(lua_State *L, size_t nbytes) { gc_account(L, nbytes); }

/* The tensor metatable's address, the registry (so the state) it belongs to, and its
 * slot in that registry's array part (luaL_ref): every argument check then compares one
 * pointer, and every new tensor fetches its metatable by index instead of hashing a key.
 * A new state forgets them (dlt_lua_forget_mt), in case its registry reuses a closed
 * state's address; the fetched value is still checked against the address. */
static const void *mt_registry, *mt_ptr;
static int mt_ref = LUA_NOREF;
static const char mt_ref_key = 0; /* registry key of this state's mt_ref */

void dlt_lua_forget_mt(void) {
  mt_registry = mt_ptr = NULL;
  mt_ref = LUA_NOREF;
}

/* pushes the metatable the slow way and fills the cache for this state */
static void push_mt_slow(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    luaL_getmetatable(L, DLT_TENSOR_MT); /* created by dlt_open_tensor */
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &mt_key);
  }
  mt_ptr = lua_topointer(L, -1);
  mt_registry = mt_ptr ? lua_topointer(L, LUA_REGISTRYINDEX) : NULL;
  mt_ref = LUA_NOREF;
  if (!mt_ptr) return;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_ref_key) == LUA_TNUMBER) {
    mt_ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushinteger(L, mt_ref);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &mt_ref_key);
  }
}

static void push_mt(lua_State *L) {
  if (mt_ref != LUA_NOREF && lua_topointer(L, LUA_REGISTRYINDEX) == mt_registry) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, mt_ref);
    if (lua_topointer(L, -1) == mt_ptr) return;
    lua_pop(L, 1);
  }
  push_mt_slow(L);
}

/* box[0]: the tensor, NULL once __gc'd; box[1]: a tensor whose __gc was called by hand */
static inline dlt_tensor **tensor_box(lua_State *L, int idx) {
  dlt_tensor **box = lua_touserdata(L, idx);
  if (!box || !lua_getmetatable(L, idx)) return NULL;
  if (lua_topointer(L, LUA_REGISTRYINDEX) != mt_registry || !mt_ptr) {
    push_mt_slow(L);
    lua_pop(L, 1);
  }
  int same = mt_ptr && lua_topointer(L, -1) == mt_ptr;
  lua_pop(L, 1);
  return same ? box : NULL;
}

dlt_tensor **dlt_lua_tensorbox(lua_State *L, int idx) { return tensor_box(L, idx); }

dlt_tensor *dlt_lua_testtensor(lua_State *L, int idx) {
  dlt_tensor **box = tensor_box(L, idx);
  return box ? *box : NULL;
}

const char *dlt_lua_method_hint(lua_State *L) {
  lua_Debug ar;
  if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "n", &ar) || !ar.name) return NULL;
  /* obj:name(), or an operator (a + b): the object was there */
  if (strcmp(ar.namewhat, "method") == 0 || strcmp(ar.namewhat, "metamethod") == 0) return NULL;
  return ar.name;
}

void *dlt_lua_checkself(lua_State *L, int idx, const char *tname, const char *var) {
  void *p = luaL_testudata(L, idx, tname);
  const char *name = !p && idx == 1 ? dlt_lua_method_hint(L) : NULL;
  if (name)
    luaL_argerror(L, 1, lua_pushfstring(L, "%s expected, got %s; call a method with ':', as %s:%s(...)", tname, luaL_typename(L, 1), var, name));
  return p ? p : luaL_checkudata(L, idx, tname);
}

dlt_tensor *dlt_lua_checktensor(lua_State *L, int idx) {
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (!t && luaL_testudata(L, idx, DLT_TENSOR_MT))
    luaL_argerror(L, idx, "tensor expected, got a tensor freed by its __gc");
  /* t.sum() passes no tensor, t.view(8) passes 8 first: say how a method is called */
  const char *name = !t && idx == 1 ? dlt_lua_method_hint(L) : NULL;
  if (name)
    luaL_argerror(L, 1, lua_pushfstring(L, "tensor expected, got %s; call a method with ':', as t:%s(...)", luaL_typename(L, 1), name));
  if (!t) luaL_typeerror(L, idx, "tensor");
  return t;
}

dlt_tensor *dlt_lua_checkfloat(lua_State *L, int idx) {
  dlt_tensor *t = dlt_lua_checktensor(L, idx);
  if (!dlt_is_floating(t->dtype)) {
    lua_pushfstring(L, "expected a floating-point tensor, got %s (convert with :float())", dlt_dtype_name(t->dtype));
    luaL_argerror(L, idx, lua_tostring(L, -1));
  }
  return t;
}

dlt_tensor *dlt_lua_checkfloatarg(lua_State *L, int idx, const char *fn, const char *what) {
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (!t) dlt_lua_fail(L, "%s: expected a tensor %s, got %s", fn, what, luaL_typename(L, idx));
  if (!dlt_is_floating(t->dtype))
    dlt_lua_fail(L, "%s: expected a floating-point %s, got %s (convert with :float())", fn, what,
                 dlt_dtype_name(t->dtype));
  return t;
}

void dlt_lua_pushtensor(lua_State *L, dlt_tensor *t) {
  if (!t) dlt_lua_error(L);
  /* the box exists before it owns t, so a failing allocation here cannot leak t;
   * box[1] keeps t when __gc is called by hand (tensor.c, t_gc_by_hand) */
  dlt_tensor **box = lua_newuserdatauv(L, 2 * sizeof *box, 0);
  box[0] = t;
  box[1] = NULL;
  push_mt(L);
  lua_setmetatable(L, -2);
  /* new storage only: not a view (storage shared), nor a tensor held elsewhere too
   * (a module's weight, a .grad), whose bytes Lua was told about when they were made */
  size_t n = (size_t)HEADER_COST << GC_WEIGHT_SHIFT; /* point 3 above */
  if (t->refcount == 1 && t->storage->refcount == 1) n += t->storage->nbytes;
  gc_account(L, n);
}

/* Lua marks the finalizer calls it makes itself: getinfo names them metamethod "__gc"
 * (a call by hand is a field, method or global, or unnamed from C; a __gc used as some
 * other metamethod is named after that one). */
int dlt_lua_gc_by_collector(lua_State *L) {
  lua_Debug ar;
  return lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.namewhat && ar.name &&
         strcmp(ar.namewhat, "metamethod") == 0 && strcmp(ar.name, "__gc") == 0;
}

void dlt_lua_newclass(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, meta, 0);
  if (methods) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

/* The position luaL_error would give (the calling Lua line), found past the frames of
 * dlt's own Lua code ("=[dlt]/<file>.lua", tools/embed_lua.c): a binding called from
 * nn.Flatten's forward or from plt.plot reports the user's line that called them, not a
 * line inside dlt. Nothing when a C function (a pcall) comes first, as luaL_where. */
static void where_user(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline <= 0) break;
    if (strncmp(ar.source, "=[dlt]/", 7) != 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

int dlt_lua_fail(lua_State *L, const char *fmt, ...) {
  char buf[512], *msg = buf;
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n >= (int)sizeof buf) { /* a long message: room for all of it (Lua frees it) */
    msg = lua_newuserdatauv(L, (size_t)n + 1, 0);
    vsnprintf(msg, (size_t)n + 1, fmt, again);
  }
  va_end(again);
  va_end(ap);
  dlt_unsign_nan(msg);
  where_user(L);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* as luaL_argerror: the argument counted without self in a method call */
int dlt_lua_argerror(lua_State *L, int arg, const char *extramsg) {
  lua_Debug ar;
  if (!lua_getstack(L, 0, &ar)) return dlt_lua_fail(L, "bad argument #%d (%s)", arg, extramsg);
  lua_getinfo(L, "n", &ar);
  if (ar.namewhat && strcmp(ar.namewhat, "method") == 0 && --arg == 0)
    return dlt_lua_fail(L, "calling '%s' on bad self (%s)", ar.name, extramsg);
  return dlt_lua_fail(L, "bad argument #%d to '%s' (%s)", arg, ar.name ? ar.name : "?", extramsg);
}

/* as lauxlib's typeerror: the expected type and the given one (its __name if it has one) */
static int type_error(lua_State *L, int arg, const char *tname) {
  const char *given = luaL_getmetafield(L, arg, "__name") == LUA_TSTRING ? lua_tostring(L, -1)
                      : lua_type(L, arg) == LUA_TLIGHTUSERDATA           ? "light userdata"
                                                                         : luaL_typename(L, arg);
  return dlt_lua_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", tname, given));
}

const char *dlt_lua_checkstring(lua_State *L, int arg) {
  const char *s = lua_tostring(L, arg);
  if (!s) type_error(L, arg, "string");
  return s;
}

lua_Number dlt_lua_checknumber(lua_State *L, int arg) {
  int isnum;
  lua_Number v = lua_tonumberx(L, arg, &isnum);
  if (!isnum) type_error(L, arg, "number");
  return v;
}

lua_Integer dlt_lua_checkinteger(lua_State *L, int arg) {
  int isint;
  lua_Integer v = lua_tointegerx(L, arg, &isint);
  if (!isint) {
    if (lua_isnumber(L, arg)) dlt_lua_argerror(L, arg, "number has no integer representation");
    type_error(L, arg, "number");
  }
  return v;
}

lua_Integer dlt_lua_optinteger(lua_State *L, int arg, lua_Integer def) {
  return lua_isnoneornil(L, arg) ? def : dlt_lua_checkinteger(L, arg);
}

int dlt_lua_error(lua_State *L) {
  const char *e = dlt_error();
  size_t k = strspn(e, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
  lua_Debug ar;
  if (k > 0 && e[k] == ':') return dlt_lua_fail(L, "%s", e); /* "Linear: ...", "load_csv: ..." */
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name) return dlt_lua_fail(L, "%s: %s", ar.name, e);
  return dlt_lua_fail(L, "%s", e);
}

/* ---- nested tables -> tensors ---- */

typedef struct {
  const char *fn;
  int ndim;
  int64_t shape[DLT_MAXDIM];
  double *buf;
  int64_t pos;
} nested;

/* The shape is read down the first elements; fill then checks every table against it. */
static void nested_shape(lua_State *L, int idx, nested *s) {
  lua_pushvalue(L, idx);
  s->ndim = 0;
  while (lua_type(L, -1) == LUA_TTABLE) {
    if (s->ndim == DLT_MAXDIM) dlt_lua_fail(L, "%s: nested table deeper than %d levels", s->fn, DLT_MAXDIM);
    lua_Unsigned n = lua_rawlen(L, -1);
    s->shape[s->ndim++] = (int64_t)n;
    if (n == 0) break;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
}

static void nested_fill(lua_State *L, int depth, nested *s) {
  /* the table for this depth is at the top of the stack */
  lua_Unsigned n = lua_rawlen(L, -1);
  if ((int64_t)n != s->shape[depth])
    dlt_lua_fail(L, "%s: ragged nested table at depth %d: %d elements, expected %d", s->fn, depth + 1,
                 (int)n, (int)s->shape[depth]);
  for (lua_Unsigned i = 1; i <= n; i++) {
    int ty = lua_rawgeti(L, -1, (lua_Integer)i);
    if (depth + 1 < s->ndim) {
      if (ty != LUA_TTABLE)
        dlt_lua_fail(L, "%s: ragged nested table at depth %d: element %d is a %s, expected a table", s->fn,
                     depth + 1, (int)i, luaL_typename(L, -1));
      nested_fill(L, depth + 1, s);
    } else if (ty == LUA_TNUMBER) {
      s->buf[s->pos++] = lua_tonumber(L, -1);
    } else if (ty == LUA_TBOOLEAN) {
      s->buf[s->pos++] = lua_toboolean(L, -1);
    } else {
      dlt_tensor *e = dlt_lua_testtensor(L, -1);
      if (e && dlt_numel(e) == 1 && e->ndim == 0) s->buf[s->pos++] = dlt_item(e);
      else
        dlt_lua_fail(L, "%s: element %d at depth %d is a %s, expected a number", s->fn, (int)i, depth + 1,
                     e ? "tensor" : luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
}

static dlt_tensor *from_table(lua_State *L, int idx, const char *fn, dlt_dtype dtype) {
  nested s = {.fn = fn};
  luaL_checkstack(L, 2 * DLT_MAXDIM + 8, "nested table"); /* one table per depth, and elements */
  nested_shape(L, idx, &s);
  int64_t n = 1;
  for (int i = 0; i < s.ndim; i++) {
    if (s.shape[i] > ((int64_t)1 << 40) / (n ? n : 1)) dlt_lua_fail(L, "%s: nested table too large", fn);
    n *= s.shape[i];
  }
  /* the buffer is a userdata so that an error half way leaks nothing */
  s.buf = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(double), 0);
  lua_pushvalue(L, idx);
  if (s.ndim > 0) nested_fill(L, 0, &s);
  lua_pop(L, 1);
  dlt_tensor *t = dlt_from_doubles(s.buf, s.ndim, s.shape, dtype);
  lua_pop(L, 1);
  if (!t) dlt_lua_error(L);
  return t;
}

dlt_tensor *dlt_lua_totensor(lua_State *L, int idx, dlt_dtype dtype) {
  idx = lua_absindex(L, idx);
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (t) return dlt_retain(t);
  switch (lua_type(L, idx)) {
  case LUA_TBOOLEAN:
  case LUA_TNUMBER:
    t = dlt_scalar(lua_type(L, idx) == LUA_TBOOLEAN ? lua_toboolean(L, idx) : lua_tonumber(L, idx), dtype);
    if (!t) dlt_lua_error(L);
    return t;
  case LUA_TTABLE:
    return from_table(L, idx, "tensor", dtype);
  default:
    dlt_lua_fail(L, "tensor: expected a tensor, number or table, got %s", luaL_typename(L, idx));
    return NULL;
  }
}

double *dlt_lua_todoubles(lua_State *L, int idx, int64_t *n) {
  dlt_tensor *t = dlt_lua_totensor(L, idx, DLT_FLOAT64);
  int64_t k = dlt_numel(t);
  double *v = dlt_malloc((size_t)(k ? k : 1) * sizeof(double));
  if (!v) {
    dlt_release(t);
    dlt_lua_error(L);
  }
  if (dlt_is_contiguous(t) && t->dtype == DLT_FLOAT64) memcpy(v, dlt_data(t), (size_t)k * sizeof(double));
  else
    for (int64_t i = 0; i < k; i++) v[i] = dlt_get_flat(t, i);
  dlt_release(t);
  *n = k;
  return v;
}

/* ---- options tables ---- */

void dlt_lua_checkoptions(lua_State *L, int idx, const char *fn, const char *const *allowed) {
  if (idx == 0 || lua_isnoneornil(L, idx)) return;
  if (!lua_istable(L, idx)) dlt_lua_fail(L, "%s: expected an options table, got %s", fn, luaL_typename(L, idx));
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pushvalue(L, -1); /* a copy: lua_tostring must not convert the key lua_next uses */
      dlt_lua_fail(L, "%s: unknown option [%s] (options are named)", fn, luaL_tolstring(L, -1, NULL));
    }
    const char *k = lua_tostring(L, -1);
    int ok = 0;
    for (int i = 0; allowed && allowed[i]; i++)
      if (strcmp(k, allowed[i]) == 0) {
        ok = 1;
        break;
      }
    if (!ok) dlt_lua_fail(L, "%s: unknown option '%s'", fn, k);
  }
}

int dlt_lua_rawfield(lua_State *L, int idx, const char *key) {
  idx = lua_absindex(L, idx);
  lua_pushstring(L, key);
  return lua_rawget(L, idx);
}

/* pushes opts[key], raw (nil when idx holds no table) */
static int getopt(lua_State *L, int idx, const char *key) {
  if (idx == 0 || !lua_istable(L, idx)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  return dlt_lua_rawfield(L, idx, key);
}

/* an option of the wrong type (its value on top): named after the running function
 * when Lua knows its name, as luaL_argerror does */
static int opt_type_error(lua_State *L, const char *key, const char *want) {
  lua_Debug ar;
  const char *got = luaL_typename(L, -1);
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name)
    return dlt_lua_fail(L, "%s: option '%s': expected %s, got %s", ar.name, key, want, got);
  return dlt_lua_fail(L, "option '%s': expected %s, got %s", key, want, got);
}

double dlt_lua_optnumber(lua_State *L, int idx, const char *key, double def) {
  if (idx) idx = lua_absindex(L, idx);
  int ty = getopt(L, idx, key);
  double v = def;
  if (ty == LUA_TNUMBER) v = lua_tonumber(L, -1);
  else if (ty != LUA_TNIL) opt_type_error(L, key, "a number");
  lua_pop(L, 1);
  return v;
}

int dlt_lua_optboolean(lua_State *L, int idx, const char *key, int def) {
  if (idx) idx = lua_absindex(L, idx);
  int ty = getopt(L, idx, key);
  int v = def;
  if (ty == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (ty != LUA_TNIL) opt_type_error(L, key, "a boolean");
  lua_pop(L, 1);
  return v;
}

const char *dlt_lua_optstring(lua_State *L, int idx, const char *key, const char *def) {
  if (idx) idx = lua_absindex(L, idx);
  int ty = getopt(L, idx, key);
  const char *v = def;
  /* stays alive: the options table holds it, and reading it ran no Lua code that could
   * change the table (a raw read: no __index) */
  if (ty == LUA_TSTRING) v = lua_tostring(L, -1);
  else if (ty != LUA_TNIL) opt_type_error(L, key, "a string");
  lua_pop(L, 1);
  return v;
}
