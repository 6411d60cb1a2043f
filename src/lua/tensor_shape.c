/* tensor_shape.c: shape queries and views (view, transpose, narrow, expand, ...) and
 * indexing (t[i], t[{i,j}], assignment, index_select, masked_fill/select, where). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/functions.h"
#include "lua/tensor_priv.h"

/* ---- indexing: t[i], t[{i, j}], ranges, index tensors, masks ----
 * A key is one part or a table of parts, one per leading dim:
 *   i            one index (the dim goes away), negative from the end
 *   {}           the whole dim; {first, last[, step]} an inclusive range (PyTorch's
 *                first-1:last:step), {first} first..first; out-of-range ends clamp as
 *                in PyTorch, negative ones count from the end
 *   idx          a 1-D int64 tensor of indices: index_select along that dim (one per key)
 * or a bool mask of the leading dims' shape on its own (t[mask]). */

typedef enum { PART_INT,
               PART_RANGE,
               PART_TENSOR } part_kind;
typedef struct {
  part_kind kind;
  int64_t start, len, step; /* 0-based; PART_INT: start is the index */
  const int64_t *idx;       /* PART_TENSOR: 0-based indices, in a Lua-owned buffer */
} key_part;

/* 1-based (negative from the end) Lua index v into dim d of t, 0-based */
static int64_t to_index(lua_State *L, const dlt_tensor *t, int d, int64_t v, const char *fn) {
  int64_t size = t->shape[d];
  if (v == 0 || v > size || v < -size)
    dlt_lua_fail(L, "%s: index %lld is out of range for dimension %d of size %lld", fn, (long long)v, d + 1, (long long)size);
  return v > 0 ? v - 1 : v + size;
}

/* the range table at idx for a dim of this size, clamped as Python slices clamp */
static void read_range(lua_State *L, int idx, int64_t size, int d, key_part *p) {
  int n = (int)lua_rawlen(L, idx);
  if (n > 3) dlt_lua_fail(L, "index: a range is {first, last[, step]}, got a table of %d values for dimension %d", n, d + 1);
  int64_t v[3] = {1, -1, 1};
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, idx, i + 1);
    v[i] = dlt_lua_checkint(L, -1, "index", "a range bound");
    lua_pop(L, 1);
  }
  if (n == 1) v[1] = v[0];
  if (v[2] < 1) dlt_lua_fail(L, "index: the step of a range must be positive, got %lld", (long long)v[2]);
  if (v[0] == 0 || v[1] == 0) dlt_lua_fail(L, "index: range {%lld, %lld} of dimension %d: positions count from 1", (long long)v[0], (long long)v[1], d + 1);
  int64_t first = v[0] < 0 ? v[0] + size : v[0] - 1, last = v[1] < 0 ? v[1] + size : v[1] - 1;
  if (first < 0) first = 0;
  if (last >= size) last = size - 1;
  p->kind = PART_RANGE;
  p->start = first < size ? first : size;
  p->len = last >= first && first < size ? (last - first) / v[2] + 1 : 0;
  p->step = v[2];
}

/* an int64 index tensor at idx for dim d of t as 0-based indices (a Lua-owned buffer is pushed) */
static void read_index_tensor(lua_State *L, int idx, const dlt_tensor *t, int d, key_part *p) {
  dlt_tensor *it = dlt_lua_testtensor(L, idx);
  if (it->dtype != DLT_INT64)
    dlt_lua_fail(L, "index: tensors used as indices must be int64 or bool, got %s (convert with :long())", dlt_dtype_name(it->dtype));
  if (it->ndim > 1) dlt_lua_fail(L, "index: an index tensor must be 1-D, got %d-D", it->ndim);
  int64_t n;
  p->idx = dlt_lua_checkindices(L, idx, t->shape[d], "index", &n);
  p->kind = PART_TENSOR;
  p->len = n;
}

/* Reads the key at idx into parts (returns how many); *mask gets a bool key */
static int read_key(lua_State *L, const dlt_tensor *t, int key, key_part *parts, dlt_tensor **mask) {
  const char *fn = "index";
  *mask = NULL;
  if (t->ndim == 0) dlt_lua_fail(L, "index: cannot index a 0-D tensor (use item())");
  if (lua_type(L, key) == LUA_TNUMBER) {
    parts[0] = (key_part){PART_INT, to_index(L, t, 0, dlt_lua_checkint(L, key, fn, "index"), fn), 1, 1, NULL};
    return 1;
  }
  dlt_tensor *kt = dlt_lua_testtensor(L, key);
  if (kt && kt->dtype == DLT_BOOL) {
    *mask = kt;
    return 0;
  }
  if (kt) {
    read_index_tensor(L, key, t, 0, &parts[0]);
    return 1;
  }
  if (lua_type(L, key) != LUA_TTABLE)
    dlt_lua_fail(L, "index: expected an integer, a table, an int64 index tensor or a bool mask, got %s", luaL_typename(L, key));
  int n = (int)lua_rawlen(L, key), tensors = 0;
  if (n == 0 || n > t->ndim) dlt_lua_fail(L, "index: %d indices for a %d-D tensor", n, t->ndim);
  for (int i = 0; i < n; i++) {
    int ty = lua_rawgeti(L, key, i + 1);
    dlt_tensor *e = dlt_lua_testtensor(L, -1);
    if (ty == LUA_TNUMBER) {
      parts[i] = (key_part){PART_INT, to_index(L, t, i, dlt_lua_checkint(L, -1, fn, "index"), fn), 1, 1, NULL};
    } else if (e) {
      if (e->dtype == DLT_BOOL) dlt_lua_fail(L, "index: a bool mask indexes on its own (t[mask]), not inside a table");
      if (++tensors > 1) dlt_lua_fail(L, "index: at most one index tensor per key (index_select one dim at a time)");
      read_index_tensor(L, lua_gettop(L), t, i, &parts[i]);
      lua_remove(L, -2); /* the indices' buffer stays on the stack until the caller returns */
      continue;
    } else if (ty == LUA_TTABLE) {
      read_range(L, lua_gettop(L), t->shape[i], i, &parts[i]);
    } else {
      dlt_lua_fail(L, "index: element %d of the key is a %s (expected an integer, a range table or an int64 tensor)", i + 1,
                   luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
  return n;
}

/* 0-based positions of the true elements of mask, which must have t's leading shape;
 * the positions (a malloc'd array) count over those dims flattened */
static int64_t *mask_positions(lua_State *L, const dlt_tensor *t, const dlt_tensor *mask, int64_t *n) {
  bool ok = mask->ndim >= 1 && mask->ndim <= t->ndim;
  for (int i = 0; ok && i < mask->ndim; i++) ok = mask->shape[i] == t->shape[i];
  if (!ok) {
    char a[128], b[128];
    dlt_lua_fail(L, "index: a mask of shape %s does not match the leading dimensions of a tensor of shape %s",
                 dlt_shape_str(mask, a, sizeof a), dlt_shape_str(t, b, sizeof b));
  }
  dlt_tensor *c = dlt_clone(mask); /* contiguous, so a 1-D view of it exists */
  dlt_lua_pushtensor(L, c);
  int64_t numel = dlt_numel(c);
  dlt_tensor *f = dlt_view(c, 1, &numel);
  dlt_lua_pushtensor(L, f);
  int64_t *pos = dlt_nonzero_1d(f, n);
  if (!pos) dlt_lua_error(L);
  lua_pop(L, 2);
  return pos;
}

/* t[mask]: the selected rows of t's leading dims flattened, (n, rest...); recorded */
static int index_mask(lua_State *L, dlt_tensor *t, const dlt_tensor *mask) {
  int64_t n, shape[DLT_MAXDIM], lead = 1;
  int64_t *pos = mask_positions(L, t, mask, &n);
  int nd = 0;
  for (int i = 0; i < mask->ndim; i++) lead *= t->shape[i];
  shape[nd++] = lead;
  for (int i = mask->ndim; i < t->ndim; i++) shape[nd++] = t->shape[i];
  dlt_tensor *flat = dlt_ag_reshape(t, nd, shape);
  dlt_tensor *r = flat ? dlt_ag_index_select(flat, 0, pos, n) : NULL;
  free(pos);
  dlt_release(flat);
  dlt_lua_pushtensor(L, r);
  return 1;
}

/* Where a number would drop the graph (t requires grad and grad mode is on), t[i] of a
 * 1-D tensor and t[{i, j}] of a 2-D one give a 0-D tensor carrying it, as in PyTorch;
 * everywhere else such an element is a Lua number (or boolean). */
int dlt_tensor_index_get(lua_State *L, dlt_tensor *t, int key) {
  key_part parts[DLT_MAXDIM];
  dlt_tensor *mask;
  int top = lua_gettop(L);
  int n = read_key(L, t, key, parts, &mask);
  if (mask) return index_mask(L, t, mask);
  bool all_int = n == t->ndim;
  for (int i = 0; i < n; i++) all_int = all_int && parts[i].kind == PART_INT;
  if (all_int && !dlt_needs_grad(t)) {
    int64_t off = t->offset;
    for (int i = 0; i < n; i++) off += parts[i].start * t->stride[i];
    if (dlt_is_floating(t->dtype)) {
      dlt_tensor e = *t; /* the element as a 0-D header */
      e.ndim = 0;
      e.offset = off;
      lua_pushnumber(L, dlt_item(&e));
    } else {
      dlt_lua_pushelement(L, t, off);
    }
    return 1;
  }
  /* views of the remaining dims (index_select for a tensor part), recorded so gradients flow */
  dlt_tensor *cur = dlt_retain(t);
  int d = 0;
  for (int i = 0; i < n; i++) {
    const key_part *p = &parts[i];
    dlt_tensor *next = p->kind == PART_INT     ? dlt_ag_select(cur, d, p->start)
                       : p->kind == PART_RANGE ? dlt_ag_slice(cur, d, p->start, p->len, p->step)
                                               : dlt_ag_index_select(cur, d, p->idx, p->len);
    dlt_release(cur);
    if (!next) return dlt_lua_error(L);
    cur = next;
    if (p->kind != PART_INT) d++;
  }
  lua_settop(L, top);
  dlt_lua_pushtensor(L, cur);
  return 1;
}

/* Writes src (already of the selection's shape) or v into cur through the remaining
 * parts: d is the dim of cur, ds that of src the next part acts on. */
static int assign_parts(dlt_tensor *cur, int d, int ds, const key_part *p, int np, dlt_tensor *src, double v) {
  if (np == 0) return src ? dlt_copy_(cur, src) : dlt_fill_(cur, v);
  if (p->kind != PART_TENSOR) {
    dlt_tensor *sub = p->kind == PART_INT ? dlt_select(cur, d, p->start) : dlt_slice(cur, d, p->start, p->len, p->step);
    int step = p->kind == PART_INT ? 0 : 1;
    int rc = sub ? assign_parts(sub, d + step, ds + step, p + 1, np - 1, src, v) : -1;
    dlt_release(sub);
    return rc;
  }
  for (int64_t j = 0; j < p->len; j++) { /* an index tensor: each index in turn (a repeat writes last) */
    dlt_tensor *sub = dlt_select(cur, d, p->idx[j]), *ssub = src && sub ? dlt_select(src, ds, j) : NULL;
    int rc = sub && (ssub || !src) ? assign_parts(sub, d, ds, p + 1, np - 1, ssub, v) : -1;
    dlt_release(sub);
    dlt_release(ssub);
    if (rc) return rc;
  }
  return 0;
}

/* the shape the parts select from t (the shape t[key] has) */
static int selection_shape(const dlt_tensor *t, const key_part *parts, int n, int64_t *shape) {
  int nd = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (i >= n) shape[nd++] = t->shape[i];
    else if (parts[i].kind != PART_INT) shape[nd++] = parts[i].len;
  }
  return nd;
}

/* src broadcast to shape (pushed), or a named error */
static dlt_tensor *expand_value(lua_State *L, dlt_tensor *src, int nd, const int64_t *shape) {
  int64_t out[DLT_MAXDIM];
  int n = dlt_broadcast_shape("index assignment", src->ndim, src->shape, nd, shape, out);
  bool ok = n == nd;
  for (int i = 0; ok && i < nd; i++) ok = out[i] == shape[i];
  if (!ok) {
    char a[128], b[128];
    dlt_lua_fail(L, "index assignment: a value of shape %s cannot fill a selection of shape %s",
                 dlt_shape_str(src, a, sizeof a), dlt_dims_str(nd, shape, b, sizeof b));
  }
  dlt_tensor *e = dlt_expand(src, nd, shape);
  dlt_lua_pushtensor(L, e);
  return e;
}

/* Writes src (a tensor, broadcast to the selection) or the number v into dst through
 * the key read into parts / mask, in place. */
static void write_key(lua_State *L, dlt_tensor *dst, const key_part *parts, int n, const dlt_tensor *mask, dlt_tensor *src,
                      double v) {
  if (mask) {
    /* dst[mask] = v: row k of the selection (leading dims flattened) gets v's row k */
    int64_t cnt, shape[DLT_MAXDIM];
    int64_t *pos = mask_positions(L, dst, mask, &cnt);
    int64_t *box = lua_newuserdatauv(L, sizeof *box * (size_t)(cnt ? cnt : 1), 0); /* freed by Lua on an error */
    memcpy(box, pos, sizeof *box * (size_t)cnt);
    free(pos);
    int nd = 0;
    shape[nd++] = cnt;
    for (int i = mask->ndim; i < dst->ndim; i++) shape[nd++] = dst->shape[i];
    dlt_tensor *se = src ? expand_value(L, src, nd, shape) : NULL;
    for (int64_t k = 0; k < cnt; k++) {
      key_part rowp[DLT_MAXDIM];
      int64_t p = box[k];
      for (int i = mask->ndim - 1; i >= 0; i--) {
        rowp[i] = (key_part){PART_INT, p % dst->shape[i], 1, 1, NULL};
        p /= dst->shape[i];
      }
      dlt_tensor *ssub = se ? dlt_select(se, 0, k) : NULL;
      int rc = !se || ssub ? assign_parts(dst, 0, 0, rowp, mask->ndim, ssub, v) : -1;
      dlt_release(ssub);
      dlt_lua_checkrc(L, rc);
    }
  } else {
    bool all_int = n == dst->ndim;
    for (int i = 0; i < n; i++) all_int = all_int && parts[i].kind == PART_INT;
    if (all_int && !src) {
      int64_t idx[DLT_MAXDIM];
      for (int i = 0; i < n; i++) idx[i] = parts[i].start;
      dlt_set(dst, idx, v);
    } else {
      int64_t shape[DLT_MAXDIM] = {0};
      int nd = selection_shape(dst, parts, n, shape);
      dlt_tensor *se = src ? expand_value(L, src, nd, shape) : NULL;
      dlt_lua_checkrc(L, assign_parts(dst, 0, 0, parts, n, se, v));
    }
  }
  dlt_bump_version(dst);
}

/* t[key] = value. A tensor in a graph (one that requires grad and is not a leaf, with
 * grad mode on) is not written in place: the box at self gets the recorded result of
 * where(selection, value, t) (masked_fill for a number), so the gradient flows to t's
 * other elements as it does through PyTorch's in-place assignment. Views taken of t
 * before keep its old values. */
void dlt_tensor_index_set(lua_State *L, int self, dlt_tensor *t, int key, int val) {
  key_part parts[DLT_MAXDIM];
  dlt_tensor *mask;
  key = lua_absindex(L, key);
  val = lua_absindex(L, val);
  int n = read_key(L, t, key, parts, &mask);
  bool graph = dlt_needs_grad(t) && t->grad_fn;
  if (!graph) {
    dlt_lua_checkrc(L, dlt_check_inplace("index assignment", t));
    /* one element of an expanded view is all of its copies: the whole tensor is checked */
    dlt_lua_checkrc(L, dlt_check_overlap("index assignment", t, NULL));
  }
  dlt_tensor *src = NULL;
  double v = 0;
  if (lua_type(L, val) == LUA_TNUMBER) v = lua_tonumber(L, val);
  else if (lua_type(L, val) == LUA_TBOOLEAN) v = lua_toboolean(L, val);
  else if (dlt_lua_testtensor(L, val) || lua_istable(L, val)) {
    src = dlt_lua_totensor(L, val, t->dtype);
    dlt_lua_pushtensor(L, src); /* owned by Lua: freed even if the copy fails */
  } else dlt_lua_fail(L, "index assignment: expected a number or tensor, got %s", luaL_typename(L, val));
  if (!graph) {
    write_key(L, t, parts, n, mask, src, v);
    return;
  }
  if (src && dlt_needs_grad(src))
    dlt_lua_fail(L,
                 "index assignment: assigning a tensor that requires grad into a tensor of a graph is not supported "
                 "(build the result with dlt.where or cat)");
  dlt_tensor *sel = dlt_zeros(t->ndim, t->shape, DLT_BOOL);
  dlt_lua_pushtensor(L, sel);
  write_key(L, sel, parts, n, mask, NULL, 1);
  dlt_tensor *r;
  if (src) {
    dlt_tensor *full = dlt_zeros(t->ndim, t->shape, t->dtype);
    dlt_lua_pushtensor(L, full);
    write_key(L, full, parts, n, mask, src, 0);
    r = dlt_ag_where(sel, full, t);
  } else {
    r = dlt_ag_masked_fill(t, sel, v);
  }
  if (!r) dlt_lua_error(L);
  dlt_tensor **box = lua_touserdata(L, self);
  *box = r; /* the box's reference moves to the result; t's goes */
  dlt_release(t);
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

/* ravel(): the elements in row-major order as 1-D (a view when t is contiguous) */
static int m_ravel(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int64_t n = dlt_numel(t);
  dlt_lua_pushtensor(L, dlt_ag_reshape(t, 1, &n));
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
  lua_pop(L, 1); /* the list keeps it */
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
    double v = !order                        ? (double)(start + j)
               : order->dtype == DLT_FLOAT64 ? ((const double *)ob)[k]
               : order->dtype == DLT_FLOAT32 ? ((const float *)ob)[k]
               : order->dtype == DLT_INT64   ? (double)((const int64_t *)ob)[k]
                                             : -1.0;
    if (v != floor(v) || v < 1 || v > (double)rows)
      return dlt_lua_fail(L, "index_select: index %g is out of range for size %lld", v, (long long)rows);
    idx[j] = (int64_t)v - 1;
  }
  int first = lua_gettop(L) + 1;
  for (int k = 1; k <= nt; k++) {
    lua_rawgeti(L, 1, k);
    dlt_tensor *t = dlt_lua_checktensor(L, -1);
    lua_pop(L, 1); /* the list keeps it */
    if (t->ndim == 0) return dlt_lua_fail(L, "index_select: cannot index a 0-D tensor");
    dlt_lua_pushtensor(L, dlt_ag_index_select(t, 0, idx, len));
  }
  return lua_gettop(L) - first + 1;
}

static dlt_tensor *check_mask(lua_State *L, int idx, const char *fn) {
  if (!dlt_lua_testtensor(L, idx) && !lua_istable(L, idx))
    dlt_lua_fail(L, "%s: expected a mask tensor, got %s", fn, luaL_typename(L, idx));
  dlt_tensor *m = dlt_lua_totensor(L, idx, DLT_BOOL); /* a table of numbers or booleans: nonzero is true */
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
  dlt_tensor *mc = dlt_clone(me); /* contiguous, so flatten is a view */
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
  dlt_tensor *r = dlt_empty(2, shape, DLT_INT64); /* indices, as torch.nonzero gives them */
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
  {"size", m_size},
  {"dim", m_dim},
  {"numel", m_numel},
  {"nelement", m_numel},
  {"is_contiguous", m_is_contiguous},
  {"view", m_view},
  {"reshape", m_reshape},
  {"expand", m_expand},
  {"view_as", m_view_as},
  {"reshape_as", m_reshape_as},
  {"expand_as", m_expand_as},
  {"t", m_t},
  {"transpose", m_transpose},
  {"permute", m_permute},
  {"unsqueeze", m_unsqueeze},
  {"squeeze", m_squeeze},
  {"flatten", m_flatten},
  {"ravel", m_ravel},
  {"contiguous", m_contiguous},
  {"clone", m_clone},
  {"narrow", m_narrow},
  {"select", m_select},
  {"index_select", m_index_select},
  {"masked_fill", m_masked_fill},
  {"masked_select", m_masked_select},
  {"nonzero", m_nonzero},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_shape_funcs[] = {
  {"where", l_where},
  {"_take_rows", l_take_rows},
  {NULL, NULL},
};
