/* tensor_create.c: making tensors (dlt.tensor, zeros, arange, rand, cat, ...), random
 * in-place fills, and getting values out (item, totable, float, to, detach, backward). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/functions.h"
#include "core/random.h"
#include "lua/tensor_priv.h"

static const char *const create_opts[] = {"dtype", "requires_grad", NULL};

/* Pushes a freshly created t, then applies {requires_grad} (after the push, so an
 * option error cannot leak t). */
static int finish(lua_State *L, dlt_tensor *t, int opts) {
  dlt_lua_pushtensor(L, t);
  if (opts && dlt_lua_optboolean(L, opts, "requires_grad", 0)) {
    dlt_lua_check_grad_dtype(L, t, "tensor");
    t->requires_grad = true;
  }
  return 1;
}

/* options index (0 if none) after checking its keys; *last = last positional argument */
static int creation_opts(lua_State *L, const char *fn, int *last) {
  int opts = dlt_lua_trailingopts(L);
  *last = opts ? opts - 1 : lua_gettop(L);
  dlt_lua_checkoptions(L, opts, fn, create_opts);
  return opts;
}

/* true when the value at idx, or its first element at every depth, is a boolean:
 * dlt.tensor({true, false}) is a bool tensor, as torch.tensor([True, False]) */
static bool first_leaf_is_boolean(lua_State *L, int idx) {
  lua_pushvalue(L, idx);
  for (int depth = 0; depth <= DLT_MAXDIM && lua_type(L, -1) == LUA_TTABLE && !dlt_lua_testtensor(L, -1); depth++) {
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  bool b = lua_type(L, -1) == LUA_TBOOLEAN;
  lua_pop(L, 1);
  return b;
}

static int l_tensor(lua_State *L) {
  int last, opts = creation_opts(L, "tensor", &last);
  if (last < 1) return dlt_lua_fail(L, "tensor: expected a number, table or tensor");
  if (last > 1) return dlt_lua_fail(L, "tensor: unexpected argument #2 (%s); options go in a table", luaL_typename(L, 2));
  dlt_tensor *src = dlt_lua_testtensor(L, 1);
  dlt_dtype dt = dlt_lua_optdtype(L, opts, "tensor", src ? src->dtype : first_leaf_is_boolean(L, 1) ? DLT_BOOL
                                                                                                    : dlt_default_dtype());
  dlt_tensor *t;
  if (src) {
    /* like torch.tensor(t): a detached copy */
    dlt_tensor *c = dlt_clone(src);
    if (!c) return dlt_lua_error(L);
    t = dlt_to_dtype(c, dt);
    dlt_release(c);
  } else {
    t = dlt_lua_totensor(L, 1, dt);
  }
  return finish(L, t, opts);
}

typedef enum { FILL_EMPTY,
               FILL_ZEROS,
               FILL_ONES,
               FILL_RAND,
               FILL_RANDN } fill_kind;

static dlt_tensor *make_filled(lua_State *L, fill_kind k, int ndim, const int64_t *shape, dlt_dtype dt) {
  dlt_tensor *t = NULL;
  switch (k) {
  case FILL_EMPTY: t = dlt_empty(ndim, shape, dt); break;
  case FILL_ZEROS: t = dlt_zeros(ndim, shape, dt); break;
  case FILL_ONES: t = dlt_full(ndim, shape, 1.0, dt); break;
  case FILL_RAND:
    t = dlt_empty(ndim, shape, dt);
    if (t) dlt_uniform_(t, 0, 1);
    break;
  case FILL_RANDN:
    t = dlt_empty(ndim, shape, dt);
    if (t) dlt_normal_(t, 0, 1);
    break;
  }
  if (!t) dlt_lua_error(L);
  return t;
}

static int shaped(lua_State *L, const char *fn, fill_kind k) {
  int last, opts = creation_opts(L, fn, &last);
  int64_t shape[DLT_MAXDIM];
  int ndim = dlt_lua_checkshape(L, 1, last, fn, shape, 0);
  dlt_dtype dt = dlt_lua_optdtype(L, opts, fn, dlt_default_dtype());
  return finish(L, make_filled(L, k, ndim, shape, dt), opts);
}

static int l_zeros(lua_State *L) { return shaped(L, "zeros", FILL_ZEROS); }
static int l_ones(lua_State *L) { return shaped(L, "ones", FILL_ONES); }
static int l_empty(lua_State *L) { return shaped(L, "empty", FILL_EMPTY); }
static int l_rand(lua_State *L) { return shaped(L, "rand", FILL_RAND); }
static int l_randn(lua_State *L) { return shaped(L, "randn", FILL_RANDN); }

/* full(shape, v, {opts}): shape a table or a single size */
static int l_full(lua_State *L) {
  int last, opts = creation_opts(L, "full", &last);
  if (last != 2) return dlt_lua_fail(L, "full: expected (shape, value), got %d arguments", last);
  int64_t shape[DLT_MAXDIM];
  int ndim = dlt_lua_checkshape(L, 1, 1, "full", shape, 0);
  if (lua_type(L, 2) != LUA_TNUMBER) return dlt_lua_fail(L, "full: expected a number as value, got %s", luaL_typename(L, 2));
  dlt_dtype dt = dlt_lua_optdtype(L, opts, "full", dlt_default_dtype());
  dlt_tensor *t = dlt_full(ndim, shape, lua_tonumber(L, 2), dt);
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

static int like(lua_State *L, const char *fn, fill_kind k) {
  dlt_tensor *src = dlt_lua_checktensor(L, 1);
  dlt_lua_checkoptions(L, 2, fn, create_opts);
  int opts = lua_istable(L, 2) ? 2 : 0;
  dlt_dtype dt = dlt_lua_optdtype(L, opts, fn, src->dtype);
  return finish(L, make_filled(L, k, src->ndim, src->shape, dt), opts);
}

static int l_zeros_like(lua_State *L) { return like(L, "zeros_like", FILL_ZEROS); }
static int l_ones_like(lua_State *L) { return like(L, "ones_like", FILL_ONES); }
static int l_empty_like(lua_State *L) { return like(L, "empty_like", FILL_EMPTY); }
static int l_rand_like(lua_State *L) { return like(L, "rand_like", FILL_RAND); }
static int l_randn_like(lua_State *L) { return like(L, "randn_like", FILL_RANDN); }

static int l_full_like(lua_State *L) {
  dlt_tensor *src = dlt_lua_checktensor(L, 1);
  double v = luaL_checknumber(L, 2);
  dlt_lua_checkoptions(L, 3, "full_like", create_opts);
  int opts = lua_istable(L, 3) ? 3 : 0;
  dlt_dtype dt = dlt_lua_optdtype(L, opts, "full_like", src->dtype);
  dlt_tensor *t = dlt_full(src->ndim, src->shape, v, dt);
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

static int l_eye(lua_State *L) {
  int last, opts = creation_opts(L, "eye", &last);
  if (last < 1 || last > 2) return dlt_lua_fail(L, "eye: expected (n[, m])");
  int64_t n = dlt_lua_checkint(L, 1, "eye", "n"), m = last == 2 ? dlt_lua_checkint(L, 2, "eye", "m") : n;
  if (n < 0 || m < 0) return dlt_lua_fail(L, "eye: invalid size %lld", (long long)(n < 0 ? n : m));
  dlt_tensor *t = dlt_eye(n, m, dlt_lua_optdtype(L, opts, "eye", dlt_default_dtype()));
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

/* arange(stop) | arange(start, stop[, step]); stop exclusive as in torch */
static int l_arange(lua_State *L) {
  int last, opts = creation_opts(L, "arange", &last);
  if (last < 1 || last > 3) return dlt_lua_fail(L, "arange: expected (stop) or (start, stop[, step]), got %d arguments", last);
  double a = 0, b, step = 1;
  if (last == 1) b = luaL_checknumber(L, 1);
  else {
    a = luaL_checknumber(L, 1);
    b = luaL_checknumber(L, 2);
    if (last == 3) step = luaL_checknumber(L, 3);
  }
  if (step == 0 || !isfinite(a) || !isfinite(b) || !isfinite(step))
    return dlt_lua_fail(L, "arange: invalid range start=%g, stop=%g, step=%g", a, b, step);
  if ((b - a) / step > 1e12) return dlt_lua_fail(L, "arange: range start=%g, stop=%g, step=%g is too long", a, b, step);
  dlt_tensor *t = dlt_arange(a, b, step, dlt_lua_optdtype(L, opts, "arange", dlt_default_dtype()));
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

static int l_linspace(lua_State *L) {
  int last, opts = creation_opts(L, "linspace", &last);
  if (last != 3) return dlt_lua_fail(L, "linspace: expected (start, stop, steps), got %d arguments", last);
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
  int64_t n = dlt_lua_checkint(L, 3, "linspace", "steps");
  if (n < 0) return dlt_lua_fail(L, "linspace: invalid size %lld", (long long)n);
  dlt_tensor *t = dlt_linspace(a, b, n, dlt_lua_optdtype(L, opts, "linspace", dlt_default_dtype()));
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

static int l_logspace(lua_State *L) {
  int last, opts = creation_opts(L, "logspace", &last);
  if (last != 3 && last != 4) return dlt_lua_fail(L, "logspace: expected (start, stop, steps[, base]), got %d arguments", last);
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2), base = last == 4 ? luaL_checknumber(L, 4) : 10;
  int64_t n = dlt_lua_checkint(L, 3, "logspace", "steps");
  if (n < 0) return dlt_lua_fail(L, "logspace: invalid size %lld", (long long)n);
  dlt_tensor *t = dlt_logspace(a, b, n, base, dlt_lua_optdtype(L, opts, "logspace", dlt_default_dtype()));
  if (!t) return dlt_lua_error(L);
  return finish(L, t, opts);
}

/* meshgrid(x, y[, {indexing="xy"}]): X, Y of shape (#y, #x) for "xy", (#x, #y) for "ij" */
static int l_meshgrid(lua_State *L) {
  static const char *const o[] = {"indexing", NULL};
  dlt_tensor *x = dlt_lua_checktensor(L, 1), *y = dlt_lua_checktensor(L, 2);
  dlt_lua_checkoptions(L, 3, "meshgrid", o);
  const char *ix = dlt_lua_optstring(L, 3, "indexing", "xy");
  int xy = !strcmp(ix, "xy");
  if (!xy && strcmp(ix, "ij")) return dlt_lua_fail(L, "meshgrid: indexing must be \"xy\" or \"ij\", got '%s'", ix);
  if (x->ndim != 1 || y->ndim != 1) return dlt_lua_fail(L, "meshgrid: expected 1-D tensors, got %d-D and %d-D", x->ndim, y->ndim);
  int64_t shape[2] = {xy ? y->shape[0] : x->shape[0], xy ? x->shape[0] : y->shape[0]};
  /* the "xy" X varies along columns: x as a row; Y varies along rows: y as a column */
  dlt_tensor *xs = dlt_ag_unsqueeze(x, xy ? 0 : 1);
  if (!xs) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, xs);
  dlt_tensor *ys = dlt_ag_unsqueeze(y, xy ? 1 : 0);
  if (!ys) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, ys);
  dlt_tensor *xe = dlt_ag_expand(xs, 2, shape);
  dlt_lua_pushtensor(L, xe);
  dlt_tensor *ye = dlt_ag_expand(ys, 2, shape);
  dlt_lua_pushtensor(L, ye);
  dlt_lua_pushtensor(L, dlt_ag_contiguous(xe));
  dlt_lua_pushtensor(L, dlt_ag_contiguous(ye));
  return 2;
}

/* the tensors of the list at idx, in a Lua-owned array pushed on the stack */
static dlt_tensor **tensor_list(lua_State *L, int idx, const char *fn, int *n) {
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_Unsigned k = lua_rawlen(L, idx);
  if (k == 0) dlt_lua_fail(L, "%s: expected a non-empty list of tensors", fn);
  if (k > (1u << 24)) dlt_lua_fail(L, "%s: too many tensors (%d)", fn, (int)k);
  dlt_tensor **ts = lua_newuserdatauv(L, k * sizeof *ts, 0);
  for (lua_Unsigned i = 1; i <= k; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i);
    ts[i - 1] = dlt_lua_testtensor(L, -1);
    if (!ts[i - 1]) dlt_lua_fail(L, "%s: element %d is a %s, expected a tensor", fn, (int)i, luaL_typename(L, -1));
    lua_pop(L, 1); /* the list keeps it alive */
  }
  *n = (int)k;
  return ts;
}

/* (list[, dim]): the slot of dim is fixed before tensor_list pushes its array */
static int l_cat(lua_State *L) {
  int n;
  lua_settop(L, 2);
  dlt_tensor **ts = tensor_list(L, 1, "cat", &n);
  int dim = dlt_lua_optdim(L, 2, ts[0]->ndim, "cat", 0);
  dlt_lua_pushtensor(L, dlt_ag_cat(ts, n, dim));
  return 1;
}

static int l_stack(lua_State *L) {
  int n;
  lua_settop(L, 2);
  dlt_tensor **ts = tensor_list(L, 1, "stack", &n);
  int dim = dlt_lua_optdim(L, 2, ts[0]->ndim + 1, "stack", 0);
  dlt_lua_pushtensor(L, dlt_ag_stack(ts, n, dim));
  return 1;
}

/* randint(lo, hi, shape[, opts]) or randint(hi, shape[, opts]); hi exclusive */
static int l_randint(lua_State *L) {
  int last, opts = creation_opts(L, "randint", &last);
  int64_t lo = 0, hi;
  int shp;
  if (last >= 2 && lua_type(L, 2) == LUA_TTABLE) {
    hi = dlt_lua_checkint(L, 1, "randint", "high");
    shp = 2;
  } else {
    if (last < 3) return dlt_lua_fail(L, "randint: expected (low, high, shape)");
    lo = dlt_lua_checkint(L, 1, "randint", "low");
    hi = dlt_lua_checkint(L, 2, "randint", "high");
    shp = 3;
  }
  if (hi <= lo) return dlt_lua_fail(L, "randint: expects low < high, got low=%lld, high=%lld", (long long)lo, (long long)hi);
  if (lo < -((int64_t)1 << 53) || hi > ((int64_t)1 << 53))
    return dlt_lua_fail(L, "randint: bounds must lie within +-2^53, got low=%lld, high=%lld", (long long)lo, (long long)hi);
  int64_t shape[DLT_MAXDIM];
  int ndim = dlt_lua_checkshape(L, shp, last, "randint", shape, 0);
  /* int64 unless asked otherwise, as torch.randint */
  dlt_tensor *t = dlt_empty(ndim, shape, dlt_lua_optdtype(L, opts, "randint", DLT_INT64));
  if (!t) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, t);
  dlt_lua_checkrc(L, dlt_randint_(t, lo, hi));
  if (opts && dlt_lua_optboolean(L, opts, "requires_grad", 0)) {
    dlt_lua_check_grad_dtype(L, t, "randint");
    t->requires_grad = true;
  }
  return 1;
}

/* randperm(n): a random permutation of 1..n, int64 unless asked otherwise */
static int l_randperm(lua_State *L) {
  int last, opts = creation_opts(L, "randperm", &last);
  if (last != 1) return dlt_lua_fail(L, "randperm: expected (n), got %d arguments", last);
  int64_t n = dlt_lua_checkint(L, 1, "randperm", "n");
  if (n < 0) return dlt_lua_fail(L, "randperm: invalid size %lld", (long long)n);
  dlt_tensor *t = dlt_empty(1, &n, dlt_lua_optdtype(L, opts, "randperm", DLT_INT64)); /* as torch.randperm */
  if (!t) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, t);
  if (t->dtype == DLT_INT64) { /* in place: no second buffer of n values */
    int64_t *q = dlt_data(t);
    dlt_randperm_into(q, n);
    for (int64_t i = 0; i < n; i++) q[i] += 1;
    return 1;
  }
  int64_t *p = dlt_randperm_idx(n);
  if (!p) return dlt_lua_error(L);
  if (t->dtype == DLT_FLOAT32)
    for (int64_t i = 0; i < n; i++) ((float *)dlt_data(t))[i] = (float)(double)(p[i] + 1);
  else
    for (int64_t i = 0; i < n; i++) dlt_set(t, &i, (double)(p[i] + 1));
  free(p);
  return 1;
}

/* dlt.random.laplace(loc, scale, shape[, opts]) */
static int l_laplace(lua_State *L) {
  int last, opts = creation_opts(L, "laplace", &last);
  double loc = luaL_checknumber(L, 1), scale = luaL_checknumber(L, 2);
  int64_t shape[DLT_MAXDIM];
  int ndim = dlt_lua_checkshape(L, 3, last, "laplace", shape, 0);
  dlt_tensor *t = dlt_empty(ndim, shape, dlt_lua_optdtype(L, opts, "laplace", dlt_default_dtype()));
  if (!t) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, t);
  dlt_lua_checkrc(L, dlt_laplace_(t, loc, scale));
  return 1;
}

/* dlt.random.get_rng_state(): the default generator's state, as a string of 64 hex
 * digits (its four words) that set_rng_state takes back (PyTorch's names; PyTorch's is a
 * ByteTensor) */
static int l_get_rng_state(lua_State *L) {
  uint64_t st[4];
  char hex[65];
  dlt_generator_get_state(NULL, st);
  for (int i = 0; i < 4; i++) snprintf(hex + 16 * i, 17, "%016llx", (unsigned long long)st[i]);
  lua_pushlstring(L, hex, 64);
  return 1;
}

/* dlt.random.set_rng_state(state): every later draw repeats those after get_rng_state */
static int l_set_rng_state(lua_State *L) {
  size_t n;
  const char *h = luaL_checklstring(L, 1, &n);
  uint64_t st[4] = {0, 0, 0, 0};
  bool ok = n == 64;
  for (size_t i = 0; ok && i < 64; i++) {
    int c = h[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                                            : -1;
    if (v < 0) ok = false;
    else st[i / 16] = st[i / 16] << 4 | (uint64_t)v;
  }
  luaL_argcheck(L, ok, 1, "expected a state from get_rng_state (64 hex digits)");
  dlt_lua_checkrc(L, dlt_generator_set_state(NULL, st));
  return 0;
}

/* ---- methods: random fills ---- */

static dlt_tensor *check_fill(lua_State *L, const char *fn) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_lua_checkrc(L, dlt_check_inplace(fn, t));
  return t;
}

static int m_uniform_(lua_State *L) {
  dlt_tensor *t = check_fill(L, "uniform_");
  dlt_lua_checkrc(L, dlt_uniform_(t, luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)));
  lua_settop(L, 1);
  return 1;
}

static int m_normal_(lua_State *L) {
  dlt_tensor *t = check_fill(L, "normal_");
  dlt_lua_checkrc(L, dlt_normal_(t, luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)));
  lua_settop(L, 1);
  return 1;
}

static int m_bernoulli_(lua_State *L) {
  dlt_tensor *t = check_fill(L, "bernoulli_");
  dlt_lua_checkrc(L, dlt_bernoulli_(t, luaL_optnumber(L, 2, 0.5)));
  lua_settop(L, 1);
  return 1;
}

static int m_exponential_(lua_State *L) {
  dlt_tensor *t = check_fill(L, "exponential_");
  dlt_lua_checkrc(L, dlt_exponential_(t, luaL_optnumber(L, 2, 1)));
  lua_settop(L, 1);
  return 1;
}

/* ---- methods: values out, conversions, autograd ---- */

static int m_item(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int64_t n = dlt_numel(t);
  if (n != 1) return dlt_lua_fail(L, "item: a tensor with %lld elements cannot be converted to a number", (long long)n);
  dlt_lua_pushelement(L, t, t->offset);
  return 1;
}

void dlt_lua_pushelement(lua_State *L, const dlt_tensor *t, int64_t off) {
  const void *p = t->storage->data;
  if (t->dtype == DLT_BOOL) {
    lua_pushboolean(L, ((const uint8_t *)p)[off]);
  } else if (t->dtype == DLT_INT64) {
    lua_pushinteger(L, (lua_Integer)((const int64_t *)p)[off]);
  } else {
    /* whole values come back as Lua integers (exact below 2^53), so counts print as 3
     * and can index tables; everything else is a float */
    double v = t->dtype == DLT_FLOAT32 ? ((const float *)p)[off] : ((const double *)p)[off];
    if (v == floor(v) && fabs(v) < 9007199254740992.0) lua_pushinteger(L, (lua_Integer)v);
    else lua_pushnumber(L, v);
  }
}

static int64_t elem_offset(const dlt_tensor *t, const int64_t *idx) {
  int64_t off = t->offset;
  for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
  return off;
}

static void totable(lua_State *L, const dlt_tensor *t, int d, int64_t *idx) {
  lua_createtable(L, (int)t->shape[d], 0);
  for (int64_t i = 0; i < t->shape[d]; i++) {
    idx[d] = i;
    if (d + 1 < t->ndim) totable(L, t, d + 1, idx);
    else if (dlt_is_floating(t->dtype)) lua_pushnumber(L, dlt_get(t, idx));
    else dlt_lua_pushelement(L, t, elem_offset(t, idx));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int m_totable(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int64_t idx[DLT_MAXDIM] = {0};
  luaL_checkstack(L, DLT_MAXDIM + 4, "totable"); /* one table per depth */
  if (t->ndim == 0 && dlt_is_floating(t->dtype)) lua_pushnumber(L, dlt_item(t));
  else if (t->ndim == 0) dlt_lua_pushelement(L, t, t->offset);
  else totable(L, t, 0, idx);
  return 1;
}

static int to_dtype(lua_State *L, dlt_dtype d) {
  dlt_lua_pushtensor(L, dlt_ag_to_dtype(dlt_lua_checktensor(L, 1), d));
  return 1;
}

static int m_float(lua_State *L) { return to_dtype(L, DLT_FLOAT32); }
static int m_double(lua_State *L) { return to_dtype(L, DLT_FLOAT64); }
static int m_long(lua_State *L) { return to_dtype(L, DLT_INT64); }
static int m_bool(lua_State *L) { return to_dtype(L, DLT_BOOL); }
static int m_to(lua_State *L) {
  dlt_lua_checktensor(L, 1);
  return to_dtype(L, dlt_lua_checkdtype(L, 2, "to"));
}

static int m_type(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) {
    static const char *const names[DLT_NDTYPES] = {"dlt.FloatTensor", "dlt.DoubleTensor", "dlt.LongTensor", "dlt.BoolTensor"};
    lua_pushstring(L, names[t->dtype]);
    return 1;
  }
  return to_dtype(L, dlt_lua_checkdtype(L, 2, "type"));
}

static int m_detach(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_detach(dlt_lua_checktensor(L, 1)));
  return 1;
}

static int m_requires_grad_(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int b = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  if (t->grad_fn && !b)
    return dlt_lua_fail(L, "requires_grad_: can only change requires_grad of leaf tensors (this one has grad_fn %s); use detach()", t->grad_fn->name);
  if (b) dlt_lua_check_grad_dtype(L, t, "requires_grad_");
  t->requires_grad = b;
  lua_settop(L, 1);
  return 1;
}

/* backward([grad][, {retain_graph=false}]) */
static int m_backward(lua_State *L) {
  static const char *const o[] = {"retain_graph", NULL};
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int opts = dlt_lua_trailingopts(L);
  if (opts == 1) opts = 0;
  dlt_lua_checkoptions(L, opts, "backward", o);
  int retain = dlt_lua_optboolean(L, opts, "retain_graph", 0);
  if (!t->requires_grad && !t->grad_fn)
    return dlt_lua_fail(L, "backward: tensor does not require grad and has no grad_fn");
  dlt_tensor *g = NULL;
  if (!lua_isnoneornil(L, 2) && opts != 2) {
    g = lua_istable(L, 2) && !dlt_lua_testtensor(L, 2) ? dlt_lua_totensor(L, 2, t->dtype) : dlt_lua_operand(L, 2, t, "backward");
    dlt_lua_pushtensor(L, g); /* owned by Lua from here on */
  }
  dlt_lua_checkrc(L, dlt_backward(t, g, retain));
  return 0;
}

const luaL_Reg dlt_tensor_create_funcs[] = {
  {"tensor", l_tensor},
  {"zeros", l_zeros},
  {"ones", l_ones},
  {"full", l_full},
  {"empty", l_empty},
  {"zeros_like", l_zeros_like},
  {"ones_like", l_ones_like},
  {"empty_like", l_empty_like},
  {"full_like", l_full_like},
  {"rand_like", l_rand_like},
  {"randn_like", l_randn_like},
  {"eye", l_eye},
  {"arange", l_arange},
  {"linspace", l_linspace},
  {"logspace", l_logspace},
  {"meshgrid", l_meshgrid},
  {"cat", l_cat},
  {"stack", l_stack},
  {"rand", l_rand},
  {"randn", l_randn},
  {"randint", l_randint},
  {"randperm", l_randperm},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_random_funcs[] = {
  {"laplace", l_laplace},
  {"rand", l_rand},
  {"randn", l_randn},
  {"randint", l_randint},
  {"randperm", l_randperm},
  {"get_rng_state", l_get_rng_state},
  {"set_rng_state", l_set_rng_state},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_create_methods[] = {
  {"uniform_", m_uniform_},
  {"normal_", m_normal_},
  {"bernoulli_", m_bernoulli_},
  {"exponential_", m_exponential_},
  {"item", m_item},
  {"totable", m_totable},
  {"tolist", m_totable},
  {"float", m_float},
  {"double", m_double},
  {"long", m_long},
  {"bool", m_bool},
  {"to", m_to},
  {"type", m_type},
  {"detach", m_detach},
  {"requires_grad_", m_requires_grad_},
  {"backward", m_backward},
  {NULL, NULL},
};
