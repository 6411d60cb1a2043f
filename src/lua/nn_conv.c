/* nn_conv.c: nn.functional's convolutions and pooling (conv1d, conv2d, conv_transpose2d,
 * max_pool1d, max_pool2d, avg_pool2d, adaptive_avg_pool2d), PyTorch's arguments in
 * order with the keyword ones in a trailing options table (read with rawget). */
#include <string.h>

#include "autograd/conv.h"
#include "lua/nn_bind.h"

/* A layer's reusable buffer for its input gradient, kept from step to step so a
 * training loop allocates it once: nn._buffers() makes one, the modules of nn_conv.lua
 * pass it to the functional forms as the option `buffers`. (Outputs are not kept: a
 * Lua module's output stays referenced by its userdata until the collector runs, so a
 * kept output would rarely be free and would only add a copy.) */
#define BUFS_MT "dlt.nn.buffers"

static int b_new(lua_State *L) {
  dlt_bufset **u = lua_newuserdatauv(L, sizeof *u, 0);
  *u = NULL;
  luaL_setmetatable(L, BUFS_MT);
  if (!(*u = dlt_bufset_new())) return dlt_lua_error(L);
  return 1;
}

static int b_gc(lua_State *L) {
  dlt_bufset **u = luaL_checkudata(L, 1, BUFS_MT);
  dlt_bufset_drop(*u); /* the nodes of a live graph keep their own references */
  *u = NULL;
  return 0;
}

/* pushes opts[key] without metamethods; nil when idx is no table */
static int rawopt(lua_State *L, int idx, const char *key) {
  if (!lua_istable(L, idx)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  lua_pushstring(L, key);
  return lua_rawget(L, idx);
}

/* an integer at the top of the stack, named for errors */
static int64_t top_int(lua_State *L, const char *fn, const char *key) {
  int isnum;
  lua_Integer v = lua_tointegerx(L, -1, &isnum);
  if (!isnum) dlt_lua_fail(L, "%s: %s must be an integer or a list of %s, got %s", fn, key, "integers", luaL_typename(L, -1));
  return (int64_t)v;
}

/* a size per spatial dim from an integer or a list of D integers at the top of the stack
 * (popped); nil leaves out as it is */
static void top_sizes(lua_State *L, const char *fn, const char *key, int D, int64_t *out) {
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  if (lua_istable(L, -1)) {
    int n = (int)lua_rawlen(L, -1);
    if (n != D) dlt_lua_fail(L, "%s: %s must have %d value%s, got %d", fn, key, D, D == 1 ? "" : "s", n);
    for (int d = 0; d < D; d++) {
      lua_rawgeti(L, -1, d + 1);
      out[d] = top_int(L, fn, key);
      lua_pop(L, 1);
    }
  } else {
    int64_t v = top_int(L, fn, key);
    for (int d = 0; d < D; d++) out[d] = v;
  }
  lua_pop(L, 1);
}

static void opt_sizes(lua_State *L, int idx, const char *fn, const char *key, int D, int64_t *out) {
  rawopt(L, idx, key);
  top_sizes(L, fn, key, D, out);
}

static dlt_bufset *opt_bufs(lua_State *L, int idx, const char *fn) {
  dlt_bufset *b = NULL;
  if (rawopt(L, idx, "buffers") != LUA_TNIL) {
    dlt_bufset **u = luaL_testudata(L, -1, BUFS_MT);
    if (!u) dlt_lua_fail(L, "%s: option 'buffers' must come from nn._buffers(), got %s", fn, luaL_typename(L, -1));
    b = *u; /* the options table keeps the userdata alive during the call */
  }
  lua_pop(L, 1);
  return b;
}

static bool opt_bool(lua_State *L, int idx, const char *fn, const char *key, bool def) {
  int t = rawopt(L, idx, key);
  bool v = def;
  if (t == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (t != LUA_TNIL) dlt_lua_fail(L, "%s: option '%s' must be a boolean, got %s", fn, key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

/* (x, weight[, bias][, opts]): the options' index, the bias (or NULL) */
static int conv_args(lua_State *L, const char *fn, dlt_tensor **b) {
  *b = NULL;
  if (lua_isnoneornil(L, 3)) return 4;
  if ((*b = dlt_lua_testtensor(L, 3))) return 4;
  if (lua_istable(L, 3) && lua_isnoneornil(L, 4)) return 3; /* conv2d(x, w, {stride = 2}) */
  return dlt_lua_fail(L, "%s: bias must be a tensor or nil, got %s", fn, luaL_typename(L, 3));
}

static void conv_opts(lua_State *L, int idx, const char *fn, int D, bool transposed, dlt_conv_opts *o) {
  static const char *const plain[] = {"stride", "padding", "dilation", "groups", "buffers", NULL};
  static const char *const trans[] = {"stride", "padding", "output_padding", "groups", "dilation", "buffers", NULL};
  dlt_lua_checkoptions(L, idx, fn, transposed ? trans : plain);
  memset(o, 0, sizeof *o);
  o->dims = D;
  for (int d = 0; d < 2; d++) o->stride[d] = o->dilation[d] = 1;
  o->groups = 1;
  opt_sizes(L, idx, fn, "stride", D, o->stride);
  opt_sizes(L, idx, fn, "dilation", D, o->dilation);
  if (transposed) opt_sizes(L, idx, fn, "output_padding", D, o->output_padding);
  o->bufs = opt_bufs(L, idx, fn);
  if (rawopt(L, idx, "groups") != LUA_TNIL) o->groups = top_int(L, fn, "groups");
  lua_pop(L, 1);
  if (rawopt(L, idx, "padding") == LUA_TSTRING && !transposed) {
    const char *p = lua_tostring(L, -1);
    if (!strcmp(p, "same")) o->same = true;
    else if (strcmp(p, "valid")) dlt_lua_fail(L, "%s: padding must be 'same', 'valid' or sizes, got '%s'", fn, p);
    lua_pop(L, 1);
  } else {
    top_sizes(L, fn, "padding", D, o->padding);
  }
}

static int conv(lua_State *L, const char *fn, int D, bool transposed) {
  dlt_tensor *x = dlt_lua_checkfloatarg(L, 1, fn, "input"), *w = dlt_lua_checkfloatarg(L, 2, fn, "weight"), *b;
  int oi = conv_args(L, fn, &b);
  dlt_conv_opts o;
  conv_opts(L, oi, fn, D, transposed, &o);
  dlt_lua_pushtensor(L, transposed ? dlt_conv_transpose(fn, x, w, b, &o) : dlt_conv(fn, x, w, b, &o));
  return 1;
}

/* conv1d(x, weight, bias, {stride=1, padding=0|"same"|"valid", dilation=1, groups=1}) */
static int f_conv1d(lua_State *L) { return conv(L, "conv1d", 1, false); }
/* conv2d: the same with sizes as a number or {h, w} */
static int f_conv2d(lua_State *L) { return conv(L, "conv2d", 2, false); }
/* conv_transpose1d/2d(x, weight, bias, {stride=1, padding=0, output_padding=0, groups=1, dilation=1}) */
static int f_conv_transpose1d(lua_State *L) { return conv(L, "conv_transpose1d", 1, true); }
static int f_conv_transpose2d(lua_State *L) { return conv(L, "conv_transpose2d", 2, true); }

/* (x, kernel_size, {stride=kernel_size, padding=0, ...}) */
static void pool_opts(lua_State *L, const char *fn, int D, bool is_max, dlt_pool_opts *o, bool *indices) {
  static const char *const maxo[] = {"stride", "padding", "dilation", "ceil_mode", "return_indices", "buffers", NULL};
  static const char *const avgo[] = {"stride", "padding", "ceil_mode", "count_include_pad", "divisor_override", "buffers",
                                     NULL};
  memset(o, 0, sizeof *o);
  o->dims = D;
  lua_pushvalue(L, 2);
  if (lua_isnoneornil(L, 2)) dlt_lua_fail(L, "%s: kernel_size is required", fn);
  top_sizes(L, fn, "kernel_size", D, o->kernel);
  dlt_lua_checkoptions(L, 3, fn, is_max ? maxo : avgo);
  for (int d = 0; d < 2; d++) {
    o->stride[d] = o->kernel[d];
    o->dilation[d] = 1;
  }
  opt_sizes(L, 3, fn, "stride", D, o->stride);
  opt_sizes(L, 3, fn, "padding", D, o->padding);
  o->ceil_mode = opt_bool(L, 3, fn, "ceil_mode", false);
  o->bufs = opt_bufs(L, 3, fn);
  if (is_max) {
    opt_sizes(L, 3, fn, "dilation", D, o->dilation);
    *indices = opt_bool(L, 3, fn, "return_indices", false);
  } else {
    o->count_include_pad = opt_bool(L, 3, fn, "count_include_pad", true);
    if (rawopt(L, 3, "divisor_override") != LUA_TNIL) {
      o->divisor_override = top_int(L, fn, "divisor_override");
      if (o->divisor_override <= 0) dlt_lua_fail(L, "%s: divisor_override must be positive, got %d", fn, (int)o->divisor_override);
    }
    lua_pop(L, 1);
  }
}

/* max_pool1d/2d(x, kernel_size, {stride, padding=0, dilation=1, ceil_mode=false,
 * return_indices=false}) -> y[, indices (1-based positions in each input plane)] */
static int max_pool(lua_State *L, const char *fn, int D) {
  dlt_tensor *x = dlt_lua_checkfloatarg(L, 1, fn, "input"), *idx = NULL;
  dlt_pool_opts o;
  bool want = false;
  pool_opts(L, fn, D, true, &o, &want);
  dlt_tensor *y = dlt_max_pool(fn, x, &o, want ? &idx : NULL);
  dlt_lua_pushtensor(L, y);
  if (!want) return 1;
  dlt_lua_pushtensor(L, idx);
  return 2;
}
static int f_max_pool1d(lua_State *L) { return max_pool(L, "max_pool1d", 1); }
static int f_max_pool2d(lua_State *L) { return max_pool(L, "max_pool2d", 2); }

/* avg_pool1d/2d(x, kernel_size, {stride, padding=0, ceil_mode=false, count_include_pad=true, divisor_override}) */
static int avg_pool(lua_State *L, const char *fn, int D) {
  dlt_tensor *x = dlt_lua_checkfloatarg(L, 1, fn, "input");
  dlt_pool_opts o;
  pool_opts(L, fn, D, false, &o, NULL);
  dlt_lua_pushtensor(L, dlt_avg_pool(fn, x, &o));
  return 1;
}
static int f_avg_pool1d(lua_State *L) { return avg_pool(L, "avg_pool1d", 1); }
static int f_avg_pool2d(lua_State *L) { return avg_pool(L, "avg_pool2d", 2); }

/* adaptive_avg_pool1d/2d(x, output_size): a size or {h, w}; false in the list keeps that
 * dim's input size (PyTorch's None) */
static int adaptive(lua_State *L, const char *fn, int D) {
  dlt_tensor *x = dlt_lua_checkfloatarg(L, 1, fn, "input");
  int64_t out[2] = {0, 0};
  if (lua_istable(L, 2)) {
    if ((int)lua_rawlen(L, 2) != D) dlt_lua_fail(L, "%s: output_size must have %d value%s", fn, D, D == 1 ? "" : "s");
    for (int d = 0; d < D; d++) {
      lua_rawgeti(L, 2, d + 1);
      if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) out[d] = 0;
      else if ((out[d] = top_int(L, fn, "output_size")) < 1)
        dlt_lua_fail(L, "%s: output_size must be positive, got %lld", fn, (long long)out[d]);
      lua_pop(L, 1);
    }
  } else {
    lua_pushvalue(L, 2);
    int64_t v = top_int(L, fn, "output_size");
    lua_pop(L, 1);
    if (v < 1) dlt_lua_fail(L, "%s: output_size must be positive, got %lld", fn, (long long)v);
    out[0] = out[1] = v;
  }
  dlt_lua_pushtensor(L, dlt_adaptive_avg_pool(fn, x, D, out));
  return 1;
}
static int f_adaptive_avg_pool1d(lua_State *L) { return adaptive(L, "adaptive_avg_pool1d", 1); }
static int f_adaptive_avg_pool2d(lua_State *L) { return adaptive(L, "adaptive_avg_pool2d", 2); }

static const luaL_Reg functional[] = {
  {"conv1d", f_conv1d}, {"conv2d", f_conv2d}, {"conv_transpose1d", f_conv_transpose1d}, {"conv_transpose2d", f_conv_transpose2d}, {"max_pool1d", f_max_pool1d}, {"max_pool2d", f_max_pool2d}, {"avg_pool1d", f_avg_pool1d}, {"avg_pool2d", f_avg_pool2d}, {"adaptive_avg_pool1d", f_adaptive_avg_pool1d}, {"adaptive_avg_pool2d", f_adaptive_avg_pool2d}, {NULL, NULL}};

static const luaL_Reg bufs_meta[] = {{"__gc", b_gc}, {NULL, NULL}};

void dlt_nn_open_conv(lua_State *L, int nn) {
  dlt_lua_newclass(L, BUFS_MT, bufs_meta, NULL);
  lua_pushcfunction(L, b_new);
  lua_setfield(L, nn, "_buffers");
  lua_getfield(L, nn, "functional");
  luaL_setfuncs(L, functional, 0);
  lua_pop(L, 1);
}
