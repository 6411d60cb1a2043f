/* nn_functional.c: nn.functional (the layers and losses as functions), nn.init and
 * nn.utils (gradient clipping). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "core/random.h"
#include "lua/nn_bind.h"
#include "nn/clip.h"
#include "nn/init.h"
#include "nn/module.h"

/* ---- nn.functional ---- */

static int act(lua_State *L, dlt_act a, const char *fn, double slope) {
  dlt_lua_pushtensor(L, dlt_fused_act(fn, dlt_lua_checkfloat(L, 1), a, slope));
  return 1;
}
static int f_relu(lua_State *L) { return act(L, DLT_ACT_RELU, "relu", 0); }
static int f_tanh(lua_State *L) { return act(L, DLT_ACT_TANH, "tanh", 0); }
static int f_sigmoid(lua_State *L) { return act(L, DLT_ACT_SIGMOID, "sigmoid", 0); }
static int f_silu(lua_State *L) { return act(L, DLT_ACT_SILU, "silu", 0); }
static int f_leaky_relu(lua_State *L) { return act(L, DLT_ACT_LEAKY_RELU, "leaky_relu", luaL_optnumber(L, 2, 0.01)); }

static int f_gelu(lua_State *L) {
  static const char *const opts[] = {"approximate", NULL};
  dlt_lua_checkoptions(L, 2, "gelu", opts);
  const char *a = dlt_lua_optstring(L, 2, "approximate", "none");
  if (strcmp(a, "none") && strcmp(a, "tanh")) dlt_lua_fail(L, "gelu: approximate must be 'none' or 'tanh', got '%s'", a);
  return act(L, strcmp(a, "tanh") ? DLT_ACT_GELU : DLT_ACT_GELU_TANH, "gelu", 0);
}

/* the activation's parameters at 2..: PyTorch's positional numbers (F.softplus(x, 2, 10))
 * or an options table ({beta=2, threshold=10}), with inplace accepted (a new tensor
 * is returned either way); names[k] defaults to def[k] */
static void act_params(lua_State *L, const char *fn, const char *const *names, const double *def, int np,
                       double *p) {
  if (lua_istable(L, 2)) {
    const char *allowed[DLT_ACT_NPARAM + 2];
    for (int k = 0; k < np; k++) allowed[k] = names[k];
    allowed[np] = "inplace";
    allowed[np + 1] = NULL;
    dlt_lua_checkoptions(L, 2, fn, allowed);
    for (int k = 0; k < np; k++) p[k] = dlt_lua_optnumber(L, 2, names[k], def[k]);
    return;
  }
  for (int k = 0; k < np; k++) {
    if (!lua_isnoneornil(L, 2 + k) && !lua_isnumber(L, 2 + k))
      dlt_lua_fail(L, "%s: %s must be a number, got %s", fn, names[k], luaL_typename(L, 2 + k));
    p[k] = luaL_optnumber(L, 2 + k, def[k]);
  }
}

static int act_p(lua_State *L, dlt_act a, const char *fn, const double *p) {
  dlt_lua_pushtensor(L, dlt_fused_act_p(fn, dlt_lua_checkfloat(L, 1), a, p));
  return 1;
}

/* elu(x, alpha=1): x > 0 ? x : alpha (exp(x) - 1) */
static int f_elu(lua_State *L) {
  static const char *const names[] = {"alpha"};
  static const double def[] = {1.0};
  dlt_lua_checkfloat(L, 1);
  double p[DLT_ACT_NPARAM] = {0, 1, 1, 1};
  act_params(L, "elu", names, def, 1, p);
  return act_p(L, DLT_ACT_ELU, "elu", p);
}

/* selu(x): ELU with PyTorch's fixed alpha and scale */
static int f_selu(lua_State *L) {
  const double p[DLT_ACT_NPARAM] = {1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1, 1};
  return act_p(L, DLT_ACT_ELU, "selu", p);
}

/* celu(x, alpha=1): max(0, x) + min(0, alpha (exp(x / alpha) - 1)) */
static int f_celu(lua_State *L) {
  static const char *const names[] = {"alpha"};
  static const double def[] = {1.0};
  dlt_lua_checkfloat(L, 1);
  double p[DLT_ACT_NPARAM] = {0, 1, 1, 1};
  act_params(L, "celu", names, def, 1, p);
  if (p[0] == 0) dlt_lua_fail(L, "celu: alpha cannot be 0 (it divides the input)");
  p[2] = 1 / p[0];
  p[3] = 1 / (double)(float)p[0]; /* ATen's celu derivative: elu_backward(..., 1.0 / alpha.toFloat()) */
  return act_p(L, DLT_ACT_ELU, "celu", p);
}

/* softplus(x, beta=1, threshold=20) */
static int f_softplus(lua_State *L) {
  static const char *const names[] = {"beta", "threshold"};
  static const double def[] = {1.0, 20.0};
  dlt_lua_checkfloat(L, 1);
  double p[DLT_ACT_NPARAM] = {0, 0, 0, 0};
  act_params(L, "softplus", names, def, 2, p);
  return act_p(L, DLT_ACT_SOFTPLUS, "softplus", p);
}

static int f_mish(lua_State *L) {
  const double p[DLT_ACT_NPARAM] = {0, 0, 0, 0};
  return act_p(L, DLT_ACT_MISH, "mish", p);
}

static int f_hardswish(lua_State *L) {
  const double p[DLT_ACT_NPARAM] = {0, 0, 0, 0};
  return act_p(L, DLT_ACT_HARDSWISH, "hardswish", p);
}

/* hardtanh(x, min_val=-1, max_val=1) */
static int f_hardtanh(lua_State *L) {
  static const char *const names[] = {"min_val", "max_val"};
  static const double def[] = {-1.0, 1.0};
  dlt_lua_checkfloat(L, 1);
  double p[DLT_ACT_NPARAM] = {0, 0, 0, 0};
  act_params(L, "hardtanh", names, def, 2, p);
  if (!(p[0] <= p[1]))
    dlt_lua_fail(L, "hardtanh: min_val (%s) must be at most max_val (%s)", dlt_lua_num(L, p[0]), dlt_lua_num(L, p[1]));
  return act_p(L, DLT_ACT_HARDTANH, "hardtanh", p);
}

/* relu6(x) = hardtanh(x, 0, 6) */
static int f_relu6(lua_State *L) {
  const double p[DLT_ACT_NPARAM] = {0, 6, 0, 0};
  return act_p(L, DLT_ACT_HARDTANH, "relu6", p);
}

static int softmax(lua_State *L, bool log) {
  const char *fn = log ? "log_softmax" : "softmax";
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  lua_Integer d = luaL_checkinteger(L, 2);
  if (d == 0) dlt_lua_fail(L, "%s: dim is 1-based (or negative from the end), got 0", fn);
  if (d > DLT_MAXDIM || d < -DLT_MAXDIM) /* (int) of 2^32 + 1 would be a valid dim */
    return dlt_lua_fail(L, "%s: dimension %lld out of range for a %d-D tensor", fn, (long long)d, x->ndim);
  dlt_lua_pushtensor(L, dlt_fused_softmax(fn, x, (int)(d > 0 ? d - 1 : d), log));
  return 1;
}
static int f_softmax(lua_State *L) { return softmax(L, false); }
static int f_log_softmax(lua_State *L) { return softmax(L, true); }

/* dropout(x, p=0.5, training=true) */
static int f_dropout(lua_State *L) {
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  double p = luaL_optnumber(L, 2, 0.5);
  bool training = lua_isnoneornil(L, 3) ? true : lua_toboolean(L, 3);
  dlt_lua_pushtensor(L, dlt_fused_dropout("dropout", x, p, training));
  return 1;
}

/* linear(x, weight, bias) */
static int f_linear(lua_State *L) {
  dlt_tensor *x = dlt_lua_checkfloat(L, 1), *W = dlt_lua_checkfloat(L, 2);
  dlt_tensor *b = lua_isnoneornil(L, 3) ? NULL : dlt_lua_checkfloat(L, 3);
  dlt_lua_pushtensor(L, dlt_fused_linear("linear", x, W, b, DLT_ACT_NONE));
  return 1;
}

static dlt_tensor *opt_tensor(lua_State *L, int idx, const char *key, const char *fn) {
  if (!lua_istable(L, idx)) return NULL;
  dlt_lua_rawfield(L, idx, key);
  dlt_tensor *t = lua_isnil(L, -1) ? NULL : dlt_lua_testtensor(L, -1);
  if (!t && !lua_isnil(L, -1)) dlt_lua_fail(L, "%s: option '%s' must be a tensor, got %s", fn, key, luaL_typename(L, -1));
  lua_pop(L, 1); /* the options table keeps it alive */
  return t;
}

/* batch_norm(x, running_mean, running_var, {weight, bias, training=false, momentum=0.1, eps=1e-5}) */
static int f_batch_norm(lua_State *L) {
  static const char *const opts[] = {"weight", "bias", "training", "momentum", "eps", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  dlt_tensor *rm = lua_isnil(L, 2) ? NULL : dlt_lua_checkfloat(L, 2), *rv = lua_isnil(L, 3) ? NULL : dlt_lua_checkfloat(L, 3);
  dlt_lua_checkoptions(L, 4, "batch_norm", opts);
  dlt_tensor *w = opt_tensor(L, 4, "weight", "batch_norm"), *b = opt_tensor(L, 4, "bias", "batch_norm");
  bool training = dlt_lua_optboolean(L, 4, "training", 0);
  double momentum = dlt_lua_optnumber(L, 4, "momentum", 0.1), eps = dlt_lua_optnumber(L, 4, "eps", 1e-5);
  dlt_lua_pushtensor(L, dlt_fused_batch_norm("batch_norm", x, rm, rv, w, b, training || !rm, training ? momentum : 0, eps));
  return 1;
}

/* layer_norm(x, normalized_shape, {weight, bias, eps}) */
static int f_layer_norm(lua_State *L) {
  static const char *const opts[] = {"weight", "bias", "eps", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  int64_t shape[DLT_MAXDIM];
  int nd = 1;
  if (lua_istable(L, 2)) {
    nd = (int)lua_rawlen(L, 2);
    if (nd < 1 || nd > DLT_MAXDIM) dlt_lua_fail(L, "layer_norm: normalized_shape must have 1 to %d sizes", DLT_MAXDIM);
    for (int d = 0; d < nd; d++) {
      lua_rawgeti(L, 2, d + 1);
      shape[d] = (int64_t)luaL_checkinteger(L, -1);
      lua_pop(L, 1);
    }
  } else {
    shape[0] = (int64_t)luaL_checkinteger(L, 2);
  }
  dlt_lua_checkoptions(L, 3, "layer_norm", opts);
  dlt_tensor *w = opt_tensor(L, 3, "weight", "layer_norm"), *b = opt_tensor(L, 3, "bias", "layer_norm");
  dlt_lua_pushtensor(L, dlt_fused_layer_norm("layer_norm", x, nd, shape, w, b, dlt_lua_optnumber(L, 3, "eps", 1e-5)));
  return 1;
}

/* group_norm(x, num_groups, {weight, bias, eps}) */
static int f_group_norm(lua_State *L) {
  static const char *const opts[] = {"weight", "bias", "eps", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  lua_Integer g = luaL_checkinteger(L, 2);
  if (g <= 0) dlt_lua_fail(L, "group_norm: num_groups must be positive, got %d", (int)g);
  dlt_lua_checkoptions(L, 3, "group_norm", opts);
  dlt_tensor *w = opt_tensor(L, 3, "weight", "group_norm"), *b = opt_tensor(L, 3, "bias", "group_norm");
  dlt_lua_pushtensor(L, dlt_fused_group_norm("group_norm", x, g, w, b, dlt_lua_optnumber(L, 3, "eps", 1e-5), false));
  return 1;
}

/* instance_norm(x, {weight, bias, eps}): x (N,C,L) */
static int f_instance_norm(lua_State *L) {
  static const char *const opts[] = {"weight", "bias", "eps", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  dlt_lua_checkoptions(L, 2, "instance_norm", opts);
  dlt_tensor *w = opt_tensor(L, 2, "weight", "instance_norm"), *b = opt_tensor(L, 2, "bias", "instance_norm");
  dlt_lua_pushtensor(L, dlt_fused_group_norm("instance_norm", x, 0, w, b, dlt_lua_optnumber(L, 2, "eps", 1e-5), false));
  return 1;
}

static int pointwise(lua_State *L, dlt_pointwise_loss kind, const char *fn) {
  static const char *const opts[] = {"reduction", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  dlt_lua_checkoptions(L, 3, fn, opts);
  int red = dlt_nn_optreduction(L, 3, fn);
  dlt_tensor *t = dlt_lua_totensor(L, 2, x->dtype);
  dlt_tensor *y = dlt_fused_pointwise_loss(fn, kind, x, t, (dlt_reduction)red);
  dlt_release(t);
  dlt_lua_pushtensor(L, y);
  return 1;
}
static int f_mse_loss(lua_State *L) { return pointwise(L, DLT_LOSS_MSE, "mse_loss"); }
static int f_l1_loss(lua_State *L) { return pointwise(L, DLT_LOSS_L1, "l1_loss"); }
static int f_bce(lua_State *L) { return pointwise(L, DLT_LOSS_BCE, "binary_cross_entropy"); }
static int f_bce_logits(lua_State *L) { return pointwise(L, DLT_LOSS_BCE_LOGITS, "binary_cross_entropy_with_logits"); }

static int class_loss(lua_State *L, bool ce, const char *fn) {
  static const char *const opts[] = {"reduction", NULL};
  dlt_tensor *x = dlt_lua_checkfloat(L, 1);
  dlt_lua_checkoptions(L, 3, fn, opts);
  int red = dlt_nn_optreduction(L, 3, fn);
  dlt_tensor *t = dlt_lua_totensor(L, 2, x->dtype);
  dlt_tensor *y = dlt_fused_class_loss(fn, ce, x, t, (dlt_reduction)red);
  dlt_release(t);
  dlt_lua_pushtensor(L, y);
  return 1;
}
static int f_cross_entropy(lua_State *L) { return class_loss(L, true, "cross_entropy"); }
static int f_nll_loss(lua_State *L) { return class_loss(L, false, "nll_loss"); }

static const luaL_Reg functional[] = {
  {"relu", f_relu}, {"leaky_relu", f_leaky_relu}, {"tanh", f_tanh}, {"sigmoid", f_sigmoid}, {"gelu", f_gelu}, {"silu", f_silu}, {"softmax", f_softmax}, {"log_softmax", f_log_softmax}, {"dropout", f_dropout}, {"linear", f_linear}, {"batch_norm", f_batch_norm}, {"layer_norm", f_layer_norm}, {"group_norm", f_group_norm}, {"instance_norm", f_instance_norm}, {"mse_loss", f_mse_loss}, {"l1_loss", f_l1_loss}, {"binary_cross_entropy", f_bce}, {"binary_cross_entropy_with_logits", f_bce_logits}, {"cross_entropy", f_cross_entropy}, {"nll_loss", f_nll_loss}, {"elu", f_elu}, {"selu", f_selu}, {"celu", f_celu}, {"softplus", f_softplus}, {"mish", f_mish}, {"hardswish", f_hardswish}, {"hardtanh", f_hardtanh}, {"relu6", f_relu6}, {NULL, NULL}};

/* ---- nn.init: each fills its tensor in place and returns it ---- */

static int done(lua_State *L, int rc) {
  if (rc) dlt_lua_error(L);
  lua_settop(L, 1);
  return 1;
}

static int i_uniform(lua_State *L) {
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
  if (!(a <= b)) dlt_lua_fail(L, "uniform_: expects a <= b, got a=%s, b=%s", dlt_lua_num(L, a), dlt_lua_num(L, b));
  return done(L, dlt_uniform_(t, a, b));
}

static int i_normal(lua_State *L) {
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  double mean = luaL_optnumber(L, 2, 0), std = luaL_optnumber(L, 3, 1);
  if (!(std >= 0)) dlt_lua_fail(L, "normal_: expects std >= 0, got %s", dlt_lua_num(L, std));
  return done(L, dlt_normal_(t, mean, std));
}

static int i_constant(lua_State *L) { return done(L, dlt_fill_(dlt_lua_checkfloat(L, 1), luaL_checknumber(L, 2))); }
static int i_zeros(lua_State *L) { return done(L, dlt_fill_(dlt_lua_checkfloat(L, 1), 0)); }
static int i_ones(lua_State *L) { return done(L, dlt_fill_(dlt_lua_checkfloat(L, 1), 1)); }
static int i_eye(lua_State *L) { return done(L, dlt_init_eye(dlt_lua_checkfloat(L, 1))); }

/* gain as a number or {gain=} at idx */
static double opt_gain(lua_State *L, int idx, const char *fn) {
  static const char *const opts[] = {"gain", NULL};
  if (lua_isnumber(L, idx)) return lua_tonumber(L, idx);
  dlt_lua_checkoptions(L, idx, fn, opts);
  return dlt_lua_optnumber(L, idx, "gain", 1);
}

static int i_xavier_uniform(lua_State *L) {
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  return done(L, dlt_init_xavier(t, opt_gain(L, 2, "xavier_uniform_"), false));
}
static int i_xavier_normal(lua_State *L) {
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  return done(L, dlt_init_xavier(t, opt_gain(L, 2, "xavier_normal_"), true));
}
static int i_orthogonal(lua_State *L) {
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  return done(L, dlt_init_orthogonal(t, opt_gain(L, 2, "orthogonal_")));
}

/* kaiming_*_(t, {a=0, mode="fan_in", nonlinearity="leaky_relu"}) (a may be given alone) */
static int kaiming(lua_State *L, bool normal) {
  static const char *const opts[] = {"a", "mode", "nonlinearity", NULL};
  const char *fn = normal ? "kaiming_normal_" : "kaiming_uniform_";
  dlt_tensor *t = dlt_lua_checkfloat(L, 1);
  double a = 0;
  if (lua_isnumber(L, 2)) a = lua_tonumber(L, 2);
  else {
    dlt_lua_checkoptions(L, 2, fn, opts);
    a = dlt_lua_optnumber(L, 2, "a", 0);
  }
  int oi = lua_istable(L, 2) ? 2 : 0;
  const char *mode = dlt_lua_optstring(L, oi, "mode", "fan_in");
  const char *nl = dlt_lua_optstring(L, oi, "nonlinearity", "leaky_relu");
  if (strcmp(mode, "fan_in") && strcmp(mode, "fan_out")) dlt_lua_fail(L, "%s: mode must be 'fan_in' or 'fan_out', got '%s'", fn, mode);
  return done(L, dlt_init_kaiming(t, a, strcmp(mode, "fan_in") ? DLT_FAN_OUT : DLT_FAN_IN, nl, normal));
}
static int i_kaiming_uniform(lua_State *L) { return kaiming(L, false); }
static int i_kaiming_normal(lua_State *L) { return kaiming(L, true); }

static int i_calculate_gain(lua_State *L) {
  const char *nl = luaL_checkstring(L, 1);
  double g = dlt_init_gain(nl, luaL_optnumber(L, 2, NAN));
  if (isnan(g)) dlt_lua_error(L);
  lua_pushnumber(L, g);
  return 1;
}

static const luaL_Reg init[] = {
  {"uniform_", i_uniform}, {"normal_", i_normal}, {"constant_", i_constant}, {"zeros_", i_zeros}, {"ones_", i_ones}, {"eye_", i_eye}, {"xavier_uniform_", i_xavier_uniform}, {"xavier_normal_", i_xavier_normal}, {"kaiming_uniform_", i_kaiming_uniform}, {"kaiming_normal_", i_kaiming_normal}, {"orthogonal_", i_orthogonal}, {"calculate_gain", i_calculate_gain}, {NULL, NULL}};

/* ---- nn.utils ---- */

/* the tensors of a tensor or a list of tensors at idx, in a malloc'd array kept alive by
 * a userdata pushed on the stack (freed by the GC even when an error follows) */
static dlt_tensor **param_list(lua_State *L, int idx, int *n, const char *fn) {
  if (dlt_lua_testtensor(L, idx)) {
    dlt_tensor **v = lua_newuserdatauv(L, sizeof *v, 0);
    v[0] = dlt_lua_testtensor(L, idx);
    *n = 1;
    return v;
  }
  if (!lua_istable(L, idx)) dlt_lua_fail(L, "%s: expected a tensor or a list of tensors, got %s", fn, luaL_typename(L, idx));
  int k = (int)lua_rawlen(L, idx);
  dlt_tensor **v = lua_newuserdatauv(L, sizeof *v * (size_t)(k ? k : 1), 0);
  for (int i = 0; i < k; i++) {
    lua_rawgeti(L, idx, i + 1);
    v[i] = dlt_lua_testtensor(L, -1);
    if (!v[i]) dlt_lua_fail(L, "%s: parameter %d is not a tensor (got %s)", fn, i + 1, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  *n = k;
  return v;
}

/* clip_grad_norm_(params, max_norm, norm_type=2 | {norm_type, error_if_nonfinite}) */
static int u_clip_grad_norm(lua_State *L) {
  static const char *const opts[] = {"norm_type", "error_if_nonfinite", NULL};
  double max_norm = luaL_checknumber(L, 2), p = 2;
  bool nonfinite = false;
  if (lua_isnumber(L, 3)) p = lua_tonumber(L, 3);
  else if (lua_type(L, 3) == LUA_TSTRING && !strcmp(lua_tostring(L, 3), "inf")) p = INFINITY;
  else {
    dlt_lua_checkoptions(L, 3, "clip_grad_norm_", opts);
    p = dlt_lua_optnumber(L, 3, "norm_type", 2);
    nonfinite = dlt_lua_optboolean(L, 3, "error_if_nonfinite", 0);
  }
  int n;
  dlt_tensor **ps = param_list(L, 1, &n, "clip_grad_norm_");
  double total;
  if (dlt_clip_grad_norm(ps, n, max_norm, p, nonfinite, &total)) dlt_lua_error(L);
  dlt_lua_pushtensor(L, dlt_scalar(total, n ? ps[0]->dtype : dlt_default_dtype()));
  return 1;
}

static int u_clip_grad_value(lua_State *L) {
  double clip = luaL_checknumber(L, 2);
  int n;
  dlt_tensor **ps = param_list(L, 1, &n, "clip_grad_value_");
  if (dlt_clip_grad_value(ps, n, clip)) dlt_lua_error(L);
  return 0;
}

static const luaL_Reg utils[] = {
  {"clip_grad_norm_", u_clip_grad_norm}, {"clip_grad_value_", u_clip_grad_value}, {NULL, NULL}};

void dlt_nn_open_functional(lua_State *L, int nn) {
  luaL_newlib(L, functional);
  lua_setfield(L, nn, "functional");
  luaL_newlib(L, init);
  lua_setfield(L, nn, "init");
  luaL_newlib(L, utils);
  lua_setfield(L, nn, "utils");
}
