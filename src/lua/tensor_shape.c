/* tensor_shape.c: shape queries and views (view, transpose, narrow, expand, ...) and
 * indexing (t[i], t[{i,j}], assignment, index_select, masked_fill/select, where). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/functions.h"
#include "lua/tensor_priv.h"

/* ---- t[i], t[{i, j}] ---- */

/* 1-based (negative from the end) Lua index v into dim d of t, 0-based */
static int64_t to_index(lua_State *L, const dlt_tensor *t, int d, int64_t v, const char *fn) {
  int64_t size = t->shape[d];
  if (v == 0 || v > size || v < -size)
    dlt_lua_fail(L, "%s: index %lld is out of range for dimension %d of size %lld", fn, (long long)v, d + 1, (long long)size);
  return v > 0 ? v - 1 : v + size;
}

/* Reads the key at idx as a list of Lua indices; returns how many. */
static int read_key(lua_State *L, const dlt_tensor *t, int key, int64_t *idx) {
  const char *fn = "index";
  if (t->ndim == 0) dlt_lua_fail(L, "index: cannot index a 0-D tensor (use item())");
  if (lua_type(L, key) == LUA_TNUMBER) {
    idx[0] = to_index(L, t, 0, dlt_lua_checkint(L, key, fn, "index"), fn);
    return 1;
  }
  if (lua_type(L, key) != LUA_TTABLE)
    dlt_lua_fail(L, "index: expected an integer or a table of integers, got %s", luaL_typename(L, key));
  int n = (int)lua_rawlen(L, key);
  if (n == 0 || n > t->ndim) dlt_lua_fail(L, "index: %d indices for a %d-D tensor", n, t->ndim);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, key, i + 1);
    idx[i] = to_index(L, t, i, dlt_lua_checkint(L, -1, fn, "index"), fn);
    lua_pop(L, 1);
  }
  return n;
}

int dlt_tensor_index_get(lua_State *L, dlt_tensor *t, int key) {
  int64_t idx[DLT_MAXDIM];
  int n = read_key(L, t, key, idx);
  if (n == t->ndim) {
    lua_pushnumber(L, dlt_get(t, idx));
    return 1;
  }
  /* a view of the remaining dims, through the recorded select so gradients flow */
  dlt_tensor *cur = dlt_retain(t);
  for (int i = 0; i < n; i++) {
    dlt_tensor *next = dlt_ag_select(cur, 0, idx[i]);
    dlt_release(cur);
    if (!next) return dlt_lua_error(L);
    cur = next;
  }
  dlt_lua_pushtensor(L, cur);
  return 1;
}

void dlt_tensor_index_set(lua_State *L, dlt_tensor *t, int key, int val) {
  int64_t idx[DLT_MAXDIM];
  int n = read_key(L, t, key, idx);
  dlt_lua_checkrc(L, dlt_check_inplace("index assignment", t));
  dlt_tensor *src = NULL;
  double v = 0;
  if (lua_type(L, val) == LUA_TNUMBER) v = lua_tonumber(L, val);
  else if (lua_type(L, val) == LUA_TBOOLEAN) v = lua_toboolean(L, val);
  else if (dlt_lua_testtensor(L, val) || lua_istable(L, val)) {
    src = dlt_lua_totensor(L, val, t->dtype);
    dlt_lua_pushtensor(L, src);  /* owned by Lua: freed even if the copy fails */
  } else dlt_lua_fail(L, "index assignment: expected a number or tensor, got %s", luaL_typename(L, val));
  if (n == t->ndim && !src) {
    dlt_set(t, idx, v);
    dlt_bump_version(t);
    return;
  }
  dlt_tensor *cur = dlt_retain(t);
  for (int i = 0; i < n; i++) {
    dlt_tensor *next = dlt_select(cur, 0, idx[i]);
    dlt_release(cur);
    if (!next) dlt_lua_error(L);
    cur = next;
  }
  int rc = src ? dlt_copy_(cur, src) : dlt_fill_(cur, v);
  dlt_release(cur);
  dlt_lua_checkrc(L, rc);
}

/* ---- shape queries ---- */

static int m_size(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    int d = dlt_lua_checkdim(L, 2, t->ndim, "size");
    lua_pushinteger(L, t->ndim ? t->shape[d] : 1);
    return 1;
  }
  dlt_lua_pushsize(L, t);
  return 1;
}

static int m_dim(lua_State *L) {
  lua_pushinteger(L, dlt_lua_checktensor(L, 1)->ndim);
  return 1;
}

static int m_numel(lua_State *L) {
  lua_pushinteger(L, dlt_numel(dlt_lua_checktensor(L, 1)));
  return 1;
}

static int m_is_contiguous(lua_State *L) {
  lua_pushboolean(L, dlt_is_contiguous(dlt_lua_checktensor(L, 1)));
  return 1;
}

/* ---- views ---- */

typedef dlt_tensor *(*shape_op)(dlt_tensor *t, int ndim, const int64_t *shape);

/* t:view(...), t:reshape(...), t:expand(...): the shape as sizes or one table */
static int to_shape(lua_State *L, const char *fn, shape_op op) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int64_t shape[DLT_MAXDIM];
  int n = dlt_lua_checkshape(L, 2, lua_gettop(L), fn, shape, 1);
  dlt_lua_pushtensor(L, op(t, n, shape));
  return 1;
}

/* t:view_as(o), t:reshape_as(o), t:expand_as(o): the shape of o */
static int to_shape_of(lua_State *L, shape_op op) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1), *o = dlt_lua_checktensor(L, 2);
  dlt_lua_pushtensor(L, op(t, o->ndim, o->shape));
  return 1;
}

static int m_view(lua_State *L) { return to_shape(L, "view", dlt_ag_view); }
static int m_reshape(lua_State *L) { return to_shape(L, "reshape", dlt_ag_reshape); }
static int m_expand(lua_State *L) { return to_shape(L, "expand", dlt_ag_expand); }
static int m_view_as(lua_State *L) { return to_shape_of(L, dlt_ag_view); }
static int m_reshape_as(lua_State *L) { return to_shape_of(L, dlt_ag_reshape); }
static int m_expand_as(lua_State *L) { return to_shape_of(L, dlt_ag_expand); }

static int m_t(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (t->ndim > 2) return dlt_lua_fail(L, "t: expects a tensor with at most 2 dimensions, got a %d-D tensor", t->ndim);
  dlt_lua_pushtensor(L, dlt_ag_transpose(t, 0, t->ndim == 2 ? 1 : 0));
  return 1;
}

static int m_transpose(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int d1 = dlt_lua_checkdim(L, 2, t->ndim, "transpose"), d2 = dlt_lua_checkdim(L, 3, t->ndim, "transpose");
  dlt_lua_pushtensor(L, dlt_ag_transpose(t, d1, d2));
  return 1;
}

static int m_permute(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int dims[DLT_MAXDIM], n;
  if (lua_istable(L, 2)) {
    n = (int)lua_rawlen(L, 2);
    if (n != t->ndim) return dlt_lua_fail(L, "permute: %d dimensions given for a %d-D tensor", n, t->ndim);
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, 2, i + 1);
      dims[i] = dlt_lua_checkdim(L, -1, t->ndim, "permute");
      lua_pop(L, 1);
    }
  } else {
    n = lua_gettop(L) - 1;
    if (n != t->ndim) return dlt_lua_fail(L, "permute: %d dimensions given for a %d-D tensor", n, t->ndim);
    for (int i = 0; i < n; i++) dims[i] = dlt_lua_checkdim(L, i + 2, t->ndim, "permute");
  }
  dlt_lua_pushtensor(L, dlt_ag_permute(t, dims));
  return 1;
}

static int m_unsqueeze(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int d = dlt_lua_checkdim(L, 2, t->ndim + 1, "unsqueeze");
  dlt_lua_pushtensor(L, dlt_ag_unsqueeze(t, d));
  return 1;
}

static int m_squeeze(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) dlt_lua_pushtensor(L, dlt_ag_squeeze_all(t));
  else dlt_lua_pushtensor(L, dlt_ag_squeeze(t, dlt_lua_checkdim(L, 2, t->ndim, "squeeze")));
  return 1;
}

/* flatten([start=1[, end=-1]]): merges dims start..end */
static int m_flatten(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3)) {
    dlt_lua_pushtensor(L, dlt_ag_flatten(t));
    return 1;
  }
  if (t->ndim == 0) return dlt_lua_fail(L, "flatten: cannot choose dimensions of a 0-D tensor");
  int s = dlt_lua_optdim(L, 2, t->ndim, "flatten", 0), e = dlt_lua_optdim(L, 3, t->ndim, "flatten", t->ndim - 1);
  if (s > e) return dlt_lua_fail(L, "flatten: start dimension %d comes after end dimension %d", s + 1, e + 1);
  int64_t shape[DLT_MAXDIM];
  int n = 0;
  for (int i = 0; i < s; i++) shape[n++] = t->shape[i];
  int64_t m = 1;
  for (int i = s; i <= e; i++) m *= t->shape[i];
  shape[n++] = m;
  for (int i = e + 1; i < t->ndim; i++) shape[n++] = t->shape[i];
  dlt_lua_pushtensor(L, dlt_ag_reshape(t, n, shape));
  return 1;
}

static int m_contiguous(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_ag_contiguous(dlt_lua_checktensor(L, 1)));
  return 1;
}

static int m_clone(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_ag_clone(dlt_lua_checktensor(L, 1)));
  return 1;
}

/* ---- indexing ---- */

/* narrow(dim, start, len): start 1-based, negative from the end */
static int m_narrow(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (t->ndim == 0) return dlt_lua_fail(L, "narrow: cannot narrow a 0-D tensor");
  int d = dlt_lua_checkdim(L, 2, t->ndim, "narrow");
  int64_t s = dlt_lua_checkint(L, 3, "narrow", "start"), len = dlt_lua_checkint(L, 4, "narrow", "length");
  int64_t size = t->shape[d];
  if (s == 0 || s > size + 1 || s < -size)
    return dlt_lua_fail(L, "narrow: start %lld is out of range for dimension %d of size %lld", (long long)s, d + 1, (long long)size);
  int64_t s0 = s > 0 ? s - 1 : s + size;
  if (len < 0 || len > size - s0)
    return dlt_lua_fail(L, "narrow: range [%lld, %lld] is out of bounds for dimension %d of size %lld", (long long)s0 + 1,
                      (long long)(s0 + len), d + 1, (long long)size);
  dlt_lua_pushtensor(L, dlt_ag_narrow(t, d, s0, len));
  return 1;
}

static int m_select(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (t->ndim == 0) return dlt_lua_fail(L, "select: cannot index a 0-D tensor");
  int d = dlt_lua_checkdim(L, 2, t->ndim, "select");
  int64_t i = to_index(L, t, d, dlt_lua_checkint(L, 3, "select", "index"), "select");
  dlt_lua_pushtensor(L, dlt_ag_select(t, d, i));
  return 1;
}

static int m_index_select(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (t->ndim == 0) return dlt_lua_fail(L, "index_select: cannot index a 0-D tensor");
  int d = dlt_lua_checkdim(L, 2, t->ndim, "index_select");
  int64_t n;
  int64_t *idx = dlt_lua_checkindices(L, 3, t->shape[d], "index_select", &n);
  dlt_lua_pushtensor(L, dlt_ag_index_select(t, d, idx, n));
  return 1;
}

/* dlt._take_rows(tensors, order, start, len): t:index_select(1, idx) for each tensor of
 * the list, idx being order:narrow(1, start, len) (order: 1-based row numbers) or, with
 * order nil, start .. start+len-1; one call per DataLoader batch. */
static int l_take_rows(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t start = dlt_lua_checkint(L, 3, "DataLoader", "start"), len = dlt_lua_checkint(L, 4, "DataLoader", "len");
  int nt = (int)lua_rawlen(L, 1);
  if (len < 0 || start < 1) return dlt_lua_fail(L, "DataLoader: bad batch %lld + %lld", (long long)start, (long long)len);
  if (nt < 1 || !lua_checkstack(L, nt + 4)) return dlt_lua_fail(L, "DataLoader: cannot return %d tensors", nt);
  lua_rawgeti(L, 1, 1);
  dlt_tensor *t0 = dlt_lua_checktensor(L, -1);
  lua_pop(L, 1);  /* the list keeps it */
  if (t0->ndim == 0) return dlt_lua_fail(L, "index_select: cannot index a 0-D tensor");
  dlt_tensor *order = lua_isnoneornil(L, 2) ? NULL : dlt_lua_checktensor(L, 2);
  /* the range is checked before any arithmetic on start and len (huge ones must not wrap) */
  int64_t limit = order ? (order->ndim == 1 ? order->shape[0] : -1) : t0->shape[0];
  if (start - 1 > limit || len > limit - (start - 1))
    return dlt_lua_fail(L, "DataLoader: rows %lld + %lld are out of range for %lld", (long long)start,
                        (long long)len, (long long)limit);
  int64_t rows = t0->shape[0], local[256];
  int64_t *idx = len <= 256 ? local : lua_newuserdatauv(L, (size_t)len * sizeof *idx, 0);
  /* order's 1-based row numbers, read as index_select reads its index tensor */
  const char *ob = order ? (const char *)order->storage->data : NULL;
  int64_t os = order ? order->stride[0] : 0, o0 = order ? order->offset + (start - 1) * os : 0;
  for (int64_t j = 0; j < len; j++) {
    int64_t k = o0 + j * os;
    double v = !order ? (double)(start + j)
               : order->dtype == DLT_FLOAT64 ? ((const double *)ob)[k] : ((const float *)ob)[k];
    if (v != floor(v) || v < 1 || v > (double)rows)
      return dlt_lua_fail(L, "index_select: index %g is out of range for size %lld", v, (long long)rows);
    idx[j] = (int64_t)v - 1;
  }
  int first = lua_gettop(L) + 1;
  for (int k = 1; k <= nt; k++) {
    lua_rawgeti(L, 1, k);
    dlt_tensor *t = dlt_lua_checktensor(L, -1);
    lua_pop(L, 1);  /* the list keeps it */
    if (t->ndim == 0) return dlt_lua_fail(L, "index_select: cannot index a 0-D tensor");
    dlt_lua_pushtensor(L, dlt_ag_index_select(t, 0, idx, len));
  }
  return lua_gettop(L) - first + 1;
}

static dlt_tensor *check_mask(lua_State *L, int idx, const char *fn) {
  if (!dlt_lua_testtensor(L, idx) && !lua_istable(L, idx))
    dlt_lua_fail(L, "%s: expected a mask tensor, got %s", fn, luaL_typename(L, idx));
  dlt_tensor *m = dlt_lua_totensor(L, idx, dlt_default_dtype());
  dlt_lua_pushtensor(L, m);
  return m;
}

static int m_masked_fill(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  double v;
  dlt_tensor *vt = dlt_lua_testtensor(L, 3);
  if (vt && dlt_numel(vt) == 1) v = dlt_item(vt);
  else if (lua_type(L, 3) == LUA_TNUMBER) v = lua_tonumber(L, 3);
  else return dlt_lua_fail(L, "masked_fill: expected a number as value, got %s", vt ? "tensor with more than one element" : luaL_typename(L, 3));
  dlt_tensor *m = check_mask(L, 2, "masked_fill");
  dlt_lua_pushtensor(L, dlt_ag_masked_fill(t, m, v));
  return 1;
}

/* masked_select(mask): the elements where mask (broadcast to t) is nonzero, as 1-D */
static int m_masked_select(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_tensor *m = check_mask(L, 2, "masked_select");
  dlt_tensor *me = dlt_expand(m, t->ndim, t->shape);
  if (!me) {
    char a[128], b[128];
    return dlt_lua_fail(L, "masked_select: mask of shape %s does not broadcast to shape %s", dlt_shape_str(m, a, sizeof a),
                      dlt_shape_str(t, b, sizeof b));
  }
  dlt_lua_pushtensor(L, me);
  dlt_tensor *mc = dlt_clone(me);  /* contiguous, so flatten is a view */
  dlt_lua_pushtensor(L, mc);
  dlt_tensor *mf = dlt_flatten(mc);
  dlt_lua_pushtensor(L, mf);
  dlt_tensor *tf = dlt_ag_flatten(t);
  dlt_lua_pushtensor(L, tf);
  int64_t n;
  int64_t *pos = dlt_nonzero_1d(mf, &n);
  if (!pos) return dlt_lua_error(L);
  dlt_tensor *r = dlt_ag_index_select(tf, 0, pos, n);
  free(pos);
  dlt_lua_pushtensor(L, r);
  return 1;
}

/* nonzero(): an (n, ndim) tensor of the 1-based indices of nonzero elements */
static int m_nonzero(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_tensor *c = dlt_clone(t);
  dlt_lua_pushtensor(L, c);
  int64_t numel = dlt_numel(c);
  dlt_tensor *f = dlt_view(c, 1, &numel);
  dlt_lua_pushtensor(L, f);
  int64_t n;
  int64_t *pos = dlt_nonzero_1d(f, &n);
  if (!pos) return dlt_lua_error(L);
  int64_t shape[2] = {n, t->ndim};
  dlt_tensor *r = dlt_empty(2, shape, t->dtype);
  if (!r) {
    free(pos);
    return dlt_lua_error(L);
  }
  for (int64_t k = 0; k < n; k++) {
    int64_t p = pos[k];
    for (int d = t->ndim - 1; d >= 0; d--) {
      int64_t at[2] = {k, d};
      dlt_set(r, at, (double)(p % t->shape[d] + 1));
      p /= t->shape[d];
    }
  }
  free(pos);
  dlt_lua_pushtensor(L, r);
  return 1;
}

/* dlt.where(cond, a, b): a where cond is nonzero, else b; a or b may be numbers */
static int l_where(lua_State *L) {
  dlt_tensor *c = check_mask(L, 1, "where");
  dlt_tensor *ta = dlt_lua_testtensor(L, 2), *tb = dlt_lua_testtensor(L, 3);
  const dlt_tensor *like = ta ? ta : tb;
  dlt_tensor *a = dlt_lua_operand(L, 2, like, "where");
  dlt_lua_pushtensor(L, a);
  dlt_tensor *b = dlt_lua_operand(L, 3, like, "where");
  dlt_lua_pushtensor(L, b);
  dlt_lua_pushtensor(L, dlt_ag_where(c, a, b));
  return 1;
}

const luaL_Reg dlt_tensor_shape_methods[] = {
  {"size", m_size}, {"dim", m_dim}, {"numel", m_numel}, {"nelement", m_numel},
  {"is_contiguous", m_is_contiguous}, {"view", m_view}, {"reshape", m_reshape}, {"expand", m_expand},
  {"view_as", m_view_as}, {"reshape_as", m_reshape_as}, {"expand_as", m_expand_as}, {"t", m_t},
  {"transpose", m_transpose}, {"permute", m_permute}, {"unsqueeze", m_unsqueeze}, {"squeeze", m_squeeze},
  {"flatten", m_flatten}, {"contiguous", m_contiguous}, {"clone", m_clone}, {"narrow", m_narrow},
  {"select", m_select}, {"index_select", m_index_select}, {"masked_fill", m_masked_fill},
  {"masked_select", m_masked_select}, {"nonzero", m_nonzero},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_shape_funcs[] = {
  {"where", l_where},
  {"_take_rows", l_take_rows},
  {NULL, NULL},
};
