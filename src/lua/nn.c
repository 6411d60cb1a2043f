/* nn.c: dlt.nn's C modules as userdata: the layers, the losses and Sequential, their
 * fields, calls and the primitives (_slots, _children, _to) that lua/dlt/nn.lua builds
 * parameters(), state_dict(), train() and the printout on. */
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
  if (!m) luaL_error(L, "nn: expected a module, got %s", luaL_typename(L, idx));
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
static void setup_module(lua_State *L, dlt_module *m) { setup_module_as(L, m, dlt_default_dtype()); }

/* ---- constructors ---- */

static int64_t check_size(lua_State *L, int idx, const char *fn, const char *what) {
  if (!lua_isinteger(L, idx) && !(lua_isnumber(L, idx) && lua_tonumber(L, idx) == (double)(int64_t)lua_tonumber(L, idx)))
    luaL_error(L, "%s: %s must be an integer, got %s", fn, what, lua_isnumber(L, idx) ? lua_tostring(L, idx) : luaL_typename(L, idx));
  return (int64_t)lua_tonumber(L, idx);
}

static int nn_linear(lua_State *L) {
  static const char *const opts[] = {"bias", "dtype", NULL};
  int64_t in = check_size(L, 1, "Linear", "in_features"), out = check_size(L, 2, "Linear", "out_features");
  dlt_lua_checkoptions(L, 3, "Linear", opts);
  dlt_dtype dt = dlt_lua_optdtype(L, 3, "Linear", dlt_default_dtype());  /* PyTorch's dtype= */
  dlt_module *m = new_module(L, DLT_M_LINEAR);
  m->in = in;
  m->out = out;
  m->affine = dlt_lua_optboolean(L, 3, "bias", 1);
  setup_module_as(L, m, dt);
  return 1;
}

/* BatchNorm1d, BatchNorm2d and InstanceNorm1d(num_features, {eps, momentum, affine, track_running_stats}):
 * the same arguments; new_module gives each kind its own defaults */
static int norm1d(lua_State *L, dlt_module_kind kind) {
  static const char *const opts[] = {"eps", "momentum", "affine", "track_running_stats", NULL};
  const char *fn = dlt_module_name(kind);
  int64_t n = check_size(L, 1, fn, "num_features");
  dlt_lua_checkoptions(L, 2, fn, opts);
  dlt_module *m = new_module(L, kind);
  m->in = n;
  m->eps = dlt_lua_optnumber(L, 2, "eps", m->eps);
  int top = lua_gettop(L);
  lua_pushliteral(L, "momentum");
  if (dlt_module_is_batchnorm(kind) && lua_istable(L, 2) && lua_rawget(L, 2) == LUA_TBOOLEAN && !lua_toboolean(L, -1))
    m->cumulative = true;  /* momentum = false: PyTorch's momentum=None */
  else
    m->momentum = dlt_lua_optnumber(L, 2, "momentum", m->momentum);
  lua_settop(L, top);
  m->affine = dlt_lua_optboolean(L, 2, "affine", m->affine);
  m->track = dlt_lua_optboolean(L, 2, "track_running_stats", m->track);
  setup_module(L, m);
  return 1;
}
static int nn_batchnorm1d(lua_State *L) { return norm1d(L, DLT_M_BATCHNORM1D); }
static int nn_batchnorm2d(lua_State *L) { return norm1d(L, DLT_M_BATCHNORM2D); }
static int nn_instancenorm1d(lua_State *L) { return norm1d(L, DLT_M_INSTANCENORM1D); }

static int nn_layernorm(lua_State *L) {
  static const char *const opts[] = {"eps", "elementwise_affine", NULL};
  dlt_lua_checkoptions(L, 2, "LayerNorm", opts);
  int64_t shape[DLT_MAXDIM];
  int nd = 0;
  if (lua_istable(L, 1)) {
    nd = (int)lua_rawlen(L, 1);
    if (nd < 1 || nd > DLT_MAXDIM) luaL_error(L, "LayerNorm: normalized_shape must have 1 to %d sizes, got %d", DLT_MAXDIM, nd);
    for (int d = 0; d < nd; d++) {
      lua_rawgeti(L, 1, d + 1);
      shape[d] = check_size(L, -1, "LayerNorm", "normalized_shape");
      lua_pop(L, 1);
    }
  } else {
    nd = 1;
    shape[0] = check_size(L, 1, "LayerNorm", "normalized_shape");
  }
  dlt_module *m = new_module(L, DLT_M_LAYERNORM);
  m->norm_ndim = nd;
  memcpy(m->norm_shape, shape, sizeof(int64_t) * (size_t)nd);
  m->eps = dlt_lua_optnumber(L, 2, "eps", 1e-5);
  m->affine = dlt_lua_optboolean(L, 2, "elementwise_affine", 1);
  setup_module(L, m);
  return 1;
}

static int nn_groupnorm(lua_State *L) {
  static const char *const opts[] = {"eps", "affine", NULL};
  int64_t g = check_size(L, 1, "GroupNorm", "num_groups"), c = check_size(L, 2, "GroupNorm", "num_channels");
  dlt_lua_checkoptions(L, 3, "GroupNorm", opts);
  dlt_module *m = new_module(L, DLT_M_GROUPNORM);
  m->groups = g;
  m->in = c;
  m->eps = dlt_lua_optnumber(L, 3, "eps", 1e-5);
  m->affine = dlt_lua_optboolean(L, 3, "affine", 1);
  setup_module(L, m);
  return 1;
}

/* Dropout(p) or Dropout({p=, inplace=}) */
static int nn_dropout(lua_State *L) {
  static const char *const opts[] = {"p", "inplace", NULL};
  double p = 0.5;
  bool inplace = false;
  if (lua_istable(L, 1)) {
    dlt_lua_checkoptions(L, 1, "Dropout", opts);
    p = dlt_lua_optnumber(L, 1, "p", 0.5);
    inplace = dlt_lua_optboolean(L, 1, "inplace", 0);
  } else if (!lua_isnoneornil(L, 1)) {
    if (!lua_isnumber(L, 1)) luaL_error(L, "Dropout: p must be a number, got %s", luaL_typename(L, 1));
    p = lua_tonumber(L, 1);
    dlt_lua_checkoptions(L, 2, "Dropout", opts);
    inplace = dlt_lua_optboolean(L, 2, "inplace", 0);
  }
  dlt_module *m = new_module(L, DLT_M_DROPOUT);
  m->p = p;
  m->inplace = inplace;
  setup_module(L, m);
  return 1;
}

/* the activations without parameters; ReLU({inplace}) accepted for PyTorch scripts */
static int simple(lua_State *L, dlt_module_kind kind) {
  static const char *const opts[] = {"inplace", NULL};
  dlt_lua_checkoptions(L, 1, dlt_module_name(kind), kind == DLT_M_RELU ? opts : NULL);
  dlt_module *m = new_module(L, kind);
  m->inplace = dlt_lua_optboolean(L, 1, "inplace", 0);
  return 1;
}
static int nn_relu(lua_State *L) { return simple(L, DLT_M_RELU); }
static int nn_tanh(lua_State *L) { return simple(L, DLT_M_TANH); }
static int nn_sigmoid(lua_State *L) { return simple(L, DLT_M_SIGMOID); }
static int nn_silu(lua_State *L) { return simple(L, DLT_M_SILU); }
static int nn_identity(lua_State *L) {
  lua_settop(L, 0); /* Identity ignores its arguments, as PyTorch's */
  new_module(L, DLT_M_IDENTITY);
  return 1;
}

static int nn_leakyrelu(lua_State *L) {
  static const char *const opts[] = {"negative_slope", "inplace", NULL};
  double slope = 0.01;
  int oi = 1;
  if (lua_isnumber(L, 1)) { slope = lua_tonumber(L, 1); oi = 2; }
  dlt_lua_checkoptions(L, oi, "LeakyReLU", opts);
  slope = dlt_lua_optnumber(L, oi, "negative_slope", slope);
  bool inplace = dlt_lua_optboolean(L, oi, "inplace", 0);
  dlt_module *m = new_module(L, DLT_M_LEAKYRELU);
  m->slope = slope;
  m->inplace = inplace;
  return 1;
}

static int nn_gelu(lua_State *L) {
  static const char *const opts[] = {"approximate", NULL};
  dlt_lua_checkoptions(L, 1, "GELU", opts);
  const char *a = dlt_lua_optstring(L, 1, "approximate", "none");
  if (strcmp(a, "none") && strcmp(a, "tanh")) luaL_error(L, "GELU: approximate must be 'none' or 'tanh', got '%s'", a);
  dlt_module *m = new_module(L, DLT_M_GELU);
  m->gelu_tanh = !strcmp(a, "tanh");
  return 1;
}

static int nn_softmax(lua_State *L) {
  static const char *const opts[] = {"dim", NULL};
  int64_t d;
  if (lua_istable(L, 1)) {
    dlt_lua_checkoptions(L, 1, "Softmax", opts);
    lua_getfield(L, 1, "dim");
    d = check_size(L, -1, "Softmax", "dim");
  } else {
    d = check_size(L, 1, "Softmax", "dim");
  }
  if (d == 0) luaL_error(L, "Softmax: dim is 1-based (or negative from the end), got 0");
  if (d > DLT_MAXDIM || d < -DLT_MAXDIM)  /* (int) of 2^32 + 1 would be a valid dim */
    return dlt_lua_fail(L, "Softmax: dim %lld is out of range (tensors have at most %d dims)", (long long)d, DLT_MAXDIM);
  dlt_module *m = new_module(L, DLT_M_SOFTMAX);
  m->dim = (int)(d > 0 ? d - 1 : d);
  return 1;
}

int dlt_nn_optreduction(lua_State *L, int idx, const char *fn) {
  const char *r = dlt_lua_optstring(L, idx, "reduction", "mean");
  if (!strcmp(r, "mean")) return DLT_REDUCTION_MEAN;
  if (!strcmp(r, "sum")) return DLT_REDUCTION_SUM;
  if (!strcmp(r, "none")) return DLT_REDUCTION_NONE;
  return luaL_error(L, "%s: reduction must be 'mean', 'sum' or 'none', got '%s'", fn, r);
}

static int loss(lua_State *L, dlt_module_kind kind) {
  static const char *const opts[] = {"reduction", NULL};
  dlt_lua_checkoptions(L, 1, dlt_module_name(kind), opts);
  int red = dlt_nn_optreduction(L, 1, dlt_module_name(kind));
  dlt_module *m = new_module(L, kind);
  m->reduction = (dlt_reduction)red;
  return 1;
}
static int nn_mseloss(lua_State *L) { return loss(L, DLT_M_MSELOSS); }
static int nn_l1loss(lua_State *L) { return loss(L, DLT_M_L1LOSS); }
static int nn_bceloss(lua_State *L) { return loss(L, DLT_M_BCELOSS); }
static int nn_bcewithlogitsloss(lua_State *L) { return loss(L, DLT_M_BCEWITHLOGITSLOSS); }
static int nn_crossentropyloss(lua_State *L) { return loss(L, DLT_M_CROSSENTROPYLOSS); }
static int nn_nllloss(lua_State *L) { return loss(L, DLT_M_NLLLOSS); }

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
    if (!is_module(L, i)) luaL_error(L, "Sequential: argument %d is not a module (got %s)", i, luaL_typename(L, i));
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
  if (s->kind != DLT_M_SEQUENTIAL) luaL_error(L, "%s: append is a method of Sequential", dlt_module_name(s->kind));
  if (!is_module(L, 2)) luaL_error(L, "Sequential.append: expected a module, got %s", luaL_typename(L, 2));
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_settop(L, 1);
  return 1;
}

/* ---- calling ---- */

static dlt_tensor *input_tensor(lua_State *L, int idx, const char *fn) {
  dlt_tensor *x = dlt_lua_testtensor(L, idx);
  if (!x) luaL_error(L, "%s: expected a tensor input, got %s", fn, luaL_typename(L, idx));
  return x;
}

/* seq->kids for its children env[1..n], filled again when stale (see module_epoch) */
static void cache_kids(lua_State *L, dlt_module *seq, int env, lua_Integer n) {
  if (seq->kids_epoch == module_epoch && seq->nkids == n) return;
  if (n > 0) {
    dlt_module **grown = realloc(seq->kids, (size_t)n * sizeof *grown);
    if (!grown) luaL_error(L, "Sequential: cannot allocate %d child pointers", (int)n);
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

/* the kind of child i (1-based, of n) when it is a C module, else -1 */
static int kind_at(const dlt_module *seq, lua_Integer i, lua_Integer n) {
  const dlt_module *m = i <= n ? seq->kids[i - 1] : NULL;
  return m ? (int)m->kind : -1;
}

/* How many children starting at child i run as one fused node: a Linear or BatchNorm1d
 * followed by a C ReLU (and for BatchNorm1d a Dropout after it) -- the results and
 * gradients are those of running them one by one. Sets the modules' fused fields. */
static int plan_fusion(const dlt_module *seq, lua_Integer i, lua_Integer n, dlt_module *c) {
  c->fused_act = DLT_ACT_NONE;
  c->fused_p = 0;
  if ((c->kind != DLT_M_LINEAR && !dlt_module_is_batchnorm(c->kind)) || kind_at(seq, i + 1, n) != DLT_M_RELU)
    return 1;
  c->fused_act = DLT_ACT_RELU;
  if (dlt_module_is_batchnorm(c->kind) && kind_at(seq, i + 2, n) == DLT_M_DROPOUT) {
    const dlt_module *d = seq->kids[i + 1];
    c->fused_p = d->training ? d->p : 0;
    return 3;
  }
  return 2;
}

/* Runs the children in turn. Between C modules the value stays a C reference (cur), so
 * intermediate results never become Lua objects and the modules' output buffers come
 * free again once backward is done; before a Lua child, and at the end, it goes onto the
 * stack (slot 4). Runs that plan_fusion recognizes become one node. */
static int sequential_forward(lua_State *L, dlt_module *seq) {
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, 1);
  int env = 3;
  lua_pushvalue(L, 2); /* 4: the current value when cur is NULL */
  dlt_tensor *cur = NULL;
  lua_Integer n = (lua_Integer)lua_rawlen(L, env);
  cache_kids(L, seq, env, n);
  for (lua_Integer i = 1; i <= n;) {
    dlt_module *c = seq->kids[i - 1];
    if (!c || c->kind == DLT_M_SEQUENTIAL || dlt_module_is_loss(c->kind)) {
      if (cur) {
        dlt_lua_pushtensor(L, cur);
        lua_replace(L, 4);
        cur = NULL;
      }
      lua_rawgeti(L, env, i);
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
    int span = plan_fusion(seq, i, n, c);
    /* an intermediate no one else holds, under no_grad: batch norm may overwrite it */
    c->fused_inplace = cur && cur->refcount == 1 && cur->storage->refcount == 1 && !dlt_grad_enabled() &&
                       dlt_is_contiguous(cur);
    dlt_tensor *y = dlt_module_forward(c, x);
    c->fused_act = DLT_ACT_NONE;
    c->fused_p = 0;
    c->fused_inplace = false;
    dlt_release(cur);
    cur = y;
    if (!y) dlt_lua_error(L);
    i += span;
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
    if (lua_isnoneornil(L, 3)) luaL_error(L, "%s: expected an input and a target", fn);
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

/* pushes a configuration field; false when m has no such field */
static bool push_config(lua_State *L, const dlt_module *m, const char *k) {
  dlt_module_kind kd = m->kind;
  bool norm = dlt_module_is_batchnorm(kd) || kd == DLT_M_INSTANCENORM1D;
  if (!strcmp(k, "training")) lua_pushboolean(L, m->training);
  else if (kd == DLT_M_LINEAR && !strcmp(k, "in_features")) lua_pushinteger(L, m->in);
  else if (kd == DLT_M_LINEAR && !strcmp(k, "out_features")) lua_pushinteger(L, m->out);
  else if (norm && !strcmp(k, "num_features")) lua_pushinteger(L, m->in);
  else if ((norm || kd == DLT_M_LAYERNORM || kd == DLT_M_GROUPNORM) && !strcmp(k, "eps")) lua_pushnumber(L, m->eps);
  else if (norm && !strcmp(k, "momentum") && m->cumulative) lua_pushboolean(L, false);
  else if (norm && !strcmp(k, "momentum")) lua_pushnumber(L, m->momentum);
  else if ((norm || kd == DLT_M_GROUPNORM) && !strcmp(k, "affine")) lua_pushboolean(L, m->affine);
  else if (norm && !strcmp(k, "track_running_stats")) lua_pushboolean(L, m->track);
  else if (kd == DLT_M_LAYERNORM && !strcmp(k, "elementwise_affine")) lua_pushboolean(L, m->affine);
  else if (kd == DLT_M_LAYERNORM && !strcmp(k, "normalized_shape")) {
    lua_createtable(L, m->norm_ndim, 0);
    for (int d = 0; d < m->norm_ndim; d++) {
      lua_pushinteger(L, m->norm_shape[d]);
      lua_rawseti(L, -2, d + 1);
    }
  } else if (kd == DLT_M_GROUPNORM && !strcmp(k, "num_groups")) lua_pushinteger(L, m->groups);
  else if (kd == DLT_M_GROUPNORM && !strcmp(k, "num_channels")) lua_pushinteger(L, m->in);
  else if (kd == DLT_M_DROPOUT && !strcmp(k, "p")) lua_pushnumber(L, m->p);
  else if (kd == DLT_M_LEAKYRELU && !strcmp(k, "negative_slope")) lua_pushnumber(L, m->slope);
  else if (kd == DLT_M_GELU && !strcmp(k, "approximate")) lua_pushstring(L, m->gelu_tanh ? "tanh" : "none");
  else if (kd == DLT_M_SOFTMAX && !strcmp(k, "dim")) lua_pushinteger(L, m->dim >= 0 ? m->dim + 1 : m->dim);
  else if ((kd == DLT_M_DROPOUT || kd == DLT_M_RELU || kd == DLT_M_LEAKYRELU) && !strcmp(k, "inplace")) lua_pushboolean(L, m->inplace);
  else if (dlt_module_is_loss(kd) && !strcmp(k, "reduction"))
    lua_pushstring(L, m->reduction == DLT_REDUCTION_MEAN ? "mean" : m->reduction == DLT_REDUCTION_SUM ? "sum" : "none");
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
    if (i < 1 || i > n) luaL_error(L, "Sequential: index %d is out of range for %d modules", (int)lua_tointeger(L, 2), (int)n);
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
  if (!old) luaL_error(L, "%s: this module has no %s to replace", fn, k);
  if (!lua_isnil(L, 3)) {
    t = dlt_lua_testtensor(L, 3);
    if (!t) luaL_error(L, "%s: %s must be a tensor, got %s", fn, k, luaL_typename(L, 3));
    char a[128], b[128];
    if (!dlt_same_shape(t, old) || t->dtype != old->dtype)
      luaL_error(L, "%s: %s must be %s of shape %s, got %s of shape %s", fn, k, dlt_dtype_name(old->dtype),
                 dlt_shape_str(old, a, sizeof a), dlt_dtype_name(t->dtype), dlt_shape_str(t, b, sizeof b));
  } else if (s == DLT_P_WEIGHT && m->kind == DLT_M_LINEAR) {
    luaL_error(L, "Linear: the weight cannot be removed");
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
  if (s >= 0) { set_slot(L, m, s); return 0; }
  if (!strcmp(k, "training")) {
    if (!lua_isboolean(L, 3)) luaL_error(L, "%s: training must be a boolean, got %s", fn, luaL_typename(L, 3));
    m->training = lua_toboolean(L, 3);
    return 0;
  }
  if (m->kind == DLT_M_DROPOUT && !strcmp(k, "p")) {
    double p = luaL_checknumber(L, 3);
    if (!(p >= 0 && p <= 1)) luaL_error(L, "Dropout: dropout probability has to be between 0 and 1, but got %f", (lua_Number)p);
    m->p = p;
    return 0;
  }
  if (m->kind == DLT_M_LEAKYRELU && !strcmp(k, "negative_slope")) { m->slope = luaL_checknumber(L, 3); return 0; }
  if ((dlt_module_is_batchnorm(m->kind) || m->kind == DLT_M_INSTANCENORM1D) && !strcmp(k, "momentum")) {
    /* false is PyTorch's None (batch norm only): the cumulative average */
    if (dlt_module_is_batchnorm(m->kind) && lua_isboolean(L, 3) && !lua_toboolean(L, 3)) {
      m->cumulative = true;
      return 0;
    }
    if (!lua_isnumber(L, 3))
      luaL_error(L, "%s: momentum must be a number%s, got %s", fn,
                 dlt_module_is_batchnorm(m->kind) ? " or false (PyTorch's None)" : "", luaL_typename(L, 3));
    m->momentum = lua_tonumber(L, 3);
    m->cumulative = false;
    return 0;
  }
  if (push_config(L, m, k)) luaL_error(L, "%s: field '%s' is fixed at construction", fn, k);
  return luaL_error(L, "%s: cannot set field '%s' (C modules have fixed fields; wrap them in an nn.Module:extend class)", fn, k);
}

static int m_len(lua_State *L) {
  check_module(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

static int m_gc(lua_State *L) {
  /* a script can call __gc by hand, on anything, twice: without its metatable the
   * userdata is no longer a module, so using it again is an error, not a NULL weight */
  dlt_module *m = luaL_testudata(L, 1, MODULE_MT);
  if (!m) return 0;
  module_epoch++;
  dlt_module_clear(m);
  lua_pushnil(L);
  lua_setmetatable(L, 1);
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
  if (strcmp(d, "float32") && strcmp(d, "float64")) luaL_error(L, "to: unknown dtype '%s' (float32 or float64)", d);
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
  luaL_setmetatable(L, MODULE_MT);  /* from here __gc releases what c holds */
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
  {"Linear", nn_linear},
  {"BatchNorm1d", nn_batchnorm1d},
  {"BatchNorm2d", nn_batchnorm2d},
  {"LayerNorm", nn_layernorm},
  {"GroupNorm", nn_groupnorm},
  {"InstanceNorm1d", nn_instancenorm1d},
  {"Dropout", nn_dropout},
  {"ReLU", nn_relu},
  {"LeakyReLU", nn_leakyrelu},
  {"Tanh", nn_tanh},
  {"Sigmoid", nn_sigmoid},
  {"GELU", nn_gelu},
  {"SiLU", nn_silu},
  {"Softmax", nn_softmax},
  {"Identity", nn_identity},
  {"Sequential", nn_sequential},
  {"MSELoss", nn_mseloss},
  {"L1Loss", nn_l1loss},
  {"BCELoss", nn_bceloss},
  {"BCEWithLogitsLoss", nn_bcewithlogitsloss},
  {"CrossEntropyLoss", nn_crossentropyloss},
  {"NLLLoss", nn_nllloss},
  {"Parameter", nn_parameter},
  {"_copy_into", nn_copy_into},
  {"_convert_", nn_convert},
  {"_is_c_module", m_is_c_module},
  {NULL, NULL}};

void dlt_open_nn(lua_State *L, int dlt) {
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
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "_cmethods");
  luaL_getmetatable(L, MODULE_MT);
  lua_setfield(L, -2, "_cmeta");
  dlt_nn_open_functional(L, lua_gettop(L));
  dlt_nn_open_conv(L, lua_gettop(L));
  lua_setfield(L, dlt, "nn");
  lua_pop(L, 1);
}
