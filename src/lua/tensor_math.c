/* tensor_math.c: arithmetic (operators and methods), in-place updates, elementwise
 * functions, comparisons, reductions and linear algebra of the tensor userdata. */
#include <math.h>
#include <string.h>

#include "autograd/functions.h"
#include "lua/tensor_priv.h"

/* ---- arithmetic: the hot path of `a + b` (no tables, one result allocation) ---- */

static double checknum(lua_State *L, int idx, const char *fn) {
  const char *name = idx == 2 && lua_isnoneornil(L, 2) ? dlt_lua_method_hint(L) : NULL;
  if (name) /* x.add(y): y came first, nothing second */
    dlt_lua_fail(L, "%s: expected a tensor or number, got %s; call a method with ':', as t:%s(other)", fn,
                 luaL_typename(L, idx), name);
  if (lua_type(L, idx) != LUA_TNUMBER)
    dlt_lua_fail(L, "%s: expected a tensor or number, got %s", fn, luaL_typename(L, idx));
  return lua_tonumber(L, idx);
}

/* An int64 or bool tensor t meeting a Lua float (2.0, 0.5) computes in the default float
 * dtype, as PyTorch treats a Python float; a Lua integer keeps integers integer. The
 * converted tensor is pushed (Lua owns it). */
static dlt_tensor *scalar_partner(lua_State *L, dlt_tensor *t, int num) {
  if (dlt_is_floating(t->dtype) || lua_type(L, num) != LUA_TNUMBER || lua_isinteger(L, num)) return t;
  dlt_tensor *f = dlt_to_dtype(t, dlt_default_dtype());
  dlt_lua_pushtensor(L, f);
  return f;
}

static int arith(lua_State *L, dlt_binop op, const char *fn) {
  dlt_tensor *a = dlt_lua_testtensor(L, 1), *b = dlt_lua_testtensor(L, 2), *r;
  if (a && b) r = dlt_ag_binary(op, a, b);
  else if (a) r = dlt_ag_binary_scalar(op, scalar_partner(L, a, 2), checknum(L, 2, fn), false);
  else if (b) r = dlt_ag_binary_scalar(op, scalar_partner(L, b, 1), checknum(L, 1, fn), true);
  else return dlt_lua_fail(L, "%s: expected a tensor, got %s and %s", fn, luaL_typename(L, 1), luaL_typename(L, 2));
  dlt_lua_pushtensor(L, r);
  return 1;
}

static int mm_add(lua_State *L) { return arith(L, DLT_ADD, "add"); }
static int mm_sub(lua_State *L) { return arith(L, DLT_SUB, "sub"); }
static int mm_mul(lua_State *L) { return arith(L, DLT_MUL, "mul"); }
static int mm_div(lua_State *L) { return arith(L, DLT_DIV, "div"); }
static int mm_pow(lua_State *L) { return arith(L, DLT_POW, "pow"); }
static int mm_unm(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_ag_unary(DLT_NEG, dlt_lua_checktensor(L, 1)));
  return 1;
}

/* t:add(b[, alpha]), t:sub(b[, alpha]): t + alpha*b as torch.add */
static int add_alpha(lua_State *L, dlt_binop op, const char *fn) {
  if (lua_isnoneornil(L, 3)) {
    lua_settop(L, 2);
    return arith(L, op, fn);
  }
  dlt_tensor *a = dlt_lua_checktensor(L, 1);
  double alpha = luaL_checknumber(L, 3);
  dlt_tensor *b = dlt_lua_testtensor(L, 2), *r;
  if (!b) {
    r = dlt_ag_binary_scalar(op, a, checknum(L, 2, fn) * alpha, false);
  } else {
    dlt_tensor *sb = dlt_ag_binary_scalar(DLT_MUL, b, alpha, false);
    dlt_lua_pushtensor(L, sb);
    r = dlt_ag_binary(op, a, sb);
  }
  dlt_lua_pushtensor(L, r);
  return 1;
}

static int m_add(lua_State *L) { return add_alpha(L, DLT_ADD, "add"); }
static int m_sub(lua_State *L) { return add_alpha(L, DLT_SUB, "sub"); }

static int m_maximum(lua_State *L) { return arith(L, DLT_MAXIMUM, "maximum"); }
static int m_minimum(lua_State *L) { return arith(L, DLT_MINIMUM, "minimum"); }

/* comparisons record nothing: 0/1 results have no gradient */
static int compare(lua_State *L, dlt_binop op, const char *fn) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1), *b = dlt_lua_testtensor(L, 2);
  dlt_lua_pushtensor(L, b ? dlt_binary(op, a, b) : dlt_binary_scalar(op, a, checknum(L, 2, fn), false));
  return 1;
}

static int m_eq(lua_State *L) { return compare(L, DLT_EQ, "eq"); }
static int m_ne(lua_State *L) { return compare(L, DLT_NE, "ne"); }
static int m_lt(lua_State *L) { return compare(L, DLT_LT, "lt"); }
static int m_le(lua_State *L) { return compare(L, DLT_LE, "le"); }
static int m_gt(lua_State *L) { return compare(L, DLT_GT, "gt"); }
static int m_ge(lua_State *L) { return compare(L, DLT_GE, "ge"); }

/* ---- logical operators of masks: a & b, a | b, a ~ b (xor), ~a, as PyTorch's on bool ---- */

static int logical(lua_State *L, dlt_binop op, const char *fn) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1), *b = dlt_lua_checktensor(L, 2);
  if (a->dtype != DLT_BOOL || b->dtype != DLT_BOOL)
    return dlt_lua_fail(L, "%s: expected bool tensors (masks), got %s and %s", fn, dlt_dtype_name(a->dtype), dlt_dtype_name(b->dtype));
  dlt_lua_pushtensor(L, dlt_binary(op, a, b)); /* bool * bool is "and", bool + bool "or" */
  return 1;
}

static int mm_band(lua_State *L) { return logical(L, DLT_MUL, "logical_and"); }
static int mm_bor(lua_State *L) { return logical(L, DLT_ADD, "logical_or"); }
static int mm_bxor(lua_State *L) { return logical(L, DLT_NE, "logical_xor"); }

static int mm_bnot(lua_State *L) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1);
  if (a->dtype != DLT_BOOL) return dlt_lua_fail(L, "logical_not: expected a bool tensor (a mask), got %s", dlt_dtype_name(a->dtype));
  dlt_lua_pushtensor(L, dlt_binary_scalar(DLT_EQ, a, 0, false));
  return 1;
}

/* ---- in place ---- */

static dlt_tensor *check_inplace(lua_State *L, const char *fn) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_lua_checkrc(L, dlt_check_inplace(fn, t));
  return t;
}

/* t op= b (b broadcast to t), with t += alpha*b for add_/sub_ */
static int inplace(lua_State *L, dlt_binop op, const char *fn) {
  dlt_tensor *t = check_inplace(L, fn), *b = dlt_lua_testtensor(L, 2);
  double alpha = luaL_optnumber(L, 3, 1);
  if (!b) {
    dlt_lua_checkrc(L, dlt_binary_scalar_(op, t, checknum(L, 2, fn) * alpha));
  } else if (alpha != 1) {
    dlt_tensor *sb = dlt_binary_scalar(DLT_MUL, b, alpha, false);
    dlt_lua_pushtensor(L, sb);
    dlt_lua_checkrc(L, dlt_binary_(op, t, sb));
  } else {
    dlt_lua_checkrc(L, dlt_binary_(op, t, b));
  }
  lua_settop(L, 1);
  return 1;
}

static int m_add_(lua_State *L) { return inplace(L, DLT_ADD, "add_"); }
static int m_sub_(lua_State *L) { return inplace(L, DLT_SUB, "sub_"); }
static int m_mul_(lua_State *L) { return inplace(L, DLT_MUL, "mul_"); }
static int m_div_(lua_State *L) { return inplace(L, DLT_DIV, "div_"); }

static int m_copy_(lua_State *L) {
  dlt_tensor *t = check_inplace(L, "copy_");
  if (!dlt_lua_testtensor(L, 2) && !lua_istable(L, 2) && lua_type(L, 2) != LUA_TNUMBER)
    return dlt_lua_fail(L, "copy_: expected a tensor, got %s", luaL_typename(L, 2));
  dlt_tensor *src = dlt_lua_totensor(L, 2, t->dtype);
  dlt_lua_pushtensor(L, src);
  dlt_lua_checkrc(L, dlt_copy_(t, src));
  lua_settop(L, 1);
  return 1;
}

static int m_fill_(lua_State *L) {
  dlt_tensor *t = check_inplace(L, "fill_");
  dlt_lua_checkrc(L, dlt_fill_(t, checknum(L, 2, "fill_")));
  lua_settop(L, 1);
  return 1;
}

static int m_zero_(lua_State *L) {
  dlt_tensor *t = check_inplace(L, "zero_");
  dlt_lua_checkrc(L, dlt_fill_(t, 0));
  lua_settop(L, 1);
  return 1;
}

static double optbound(lua_State *L, int idx, const char *fn) {
  if (lua_isnoneornil(L, idx)) return NAN;
  return checknum(L, idx, fn);
}

static int m_clamp_(lua_State *L) {
  dlt_tensor *t = check_inplace(L, "clamp_");
  dlt_tensor *r = dlt_clamp(t, optbound(L, 2, "clamp_"), optbound(L, 3, "clamp_"));
  dlt_lua_pushtensor(L, r);
  dlt_lua_checkrc(L, dlt_copy_(t, r));
  lua_settop(L, 1);
  return 1;
}

/* ---- elementwise ---- */

static int unary(lua_State *L, dlt_unop op) {
  dlt_lua_pushtensor(L, dlt_ag_unary(op, dlt_lua_checktensor(L, 1)));
  return 1;
}

#define UNARY(name, OP) \
  static int m_##name(lua_State *L) { return unary(L, OP); }
UNARY(neg, DLT_NEG)
UNARY(abs, DLT_ABS)
UNARY(exp, DLT_EXP)
UNARY(log, DLT_LOG)
UNARY(sqrt, DLT_SQRT)
UNARY(sin, DLT_SIN)
UNARY(cos, DLT_COS)
UNARY(tanh, DLT_TANH)
UNARY(sigmoid, DLT_SIGMOID)
UNARY(relu, DLT_RELU)
UNARY(sign, DLT_SIGN)
UNARY(floor, DLT_FLOOR)
UNARY(ceil, DLT_CEIL)
UNARY(round, DLT_ROUND)
UNARY(square, DLT_SQUARE)
UNARY(reciprocal, DLT_RECIPROCAL)
UNARY(log1p, DLT_LOG1P)
UNARY(expm1, DLT_EXPM1)
UNARY(erf, DLT_ERF)
UNARY(gelu, DLT_GELU)
UNARY(silu, DLT_SILU)
UNARY(softplus, DLT_SOFTPLUS)

static int m_isnan(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_unary(DLT_ISNAN, dlt_lua_checktensor(L, 1)));
  return 1;
}

static int m_isinf(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_unary(DLT_ISINF, dlt_lua_checktensor(L, 1)));
  return 1;
}

/* clamp(lo, hi): either bound may be nil */
static int m_clamp(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  double lo = optbound(L, 2, "clamp"), hi = optbound(L, 3, "clamp");
  if (isnan(lo) && isnan(hi)) return dlt_lua_fail(L, "clamp: at least one of lo and hi must be given");
  dlt_lua_pushtensor(L, dlt_ag_clamp(t, lo, hi));
  return 1;
}

static int m_leaky_relu(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  dlt_lua_pushtensor(L, dlt_ag_leaky_relu(t, luaL_optnumber(L, 2, 0.01)));
  return 1;
}

/* ---- reductions ---- */

static int keepdim_arg(lua_State *L, int idx, const char *fn) {
  if (lua_isnoneornil(L, idx)) return 0;
  if (!lua_isboolean(L, idx)) dlt_lua_fail(L, "%s: keepdim must be a boolean, got %s", fn, luaL_typename(L, idx));
  return lua_toboolean(L, idx);
}

/* (dim, keepdim); no dim reduces everything to a 0-D tensor */
static int reduce(lua_State *L, dlt_redop op, const char *fn, int record) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int dim = dlt_lua_optdim(L, 2, t->ndim, fn, DLT_ALLDIMS);
  int keep = keepdim_arg(L, 3, fn);
  dlt_lua_pushtensor(L, record ? dlt_ag_reduce(op, t, dim, keep) : dlt_reduce(op, t, dim, keep));
  return 1;
}

static int m_sum(lua_State *L) { return reduce(L, DLT_RSUM, "sum", 1); }
static int m_mean(lua_State *L) { return reduce(L, DLT_RMEAN, "mean", 1); }
static int m_prod(lua_State *L) { return reduce(L, DLT_RPROD, "prod", 1); }
static int m_all(lua_State *L) { return reduce(L, DLT_RALL, "all", 0); }
static int m_any(lua_State *L) { return reduce(L, DLT_RANY, "any", 0); }

/* argmax/argmin: 1-based positions (over the flattened tensor when no dim) */
static int argext(lua_State *L, dlt_redop op, const char *fn) {
  reduce(L, op, fn, 0);
  dlt_lua_checkrc(L, dlt_binary_scalar_(DLT_ADD, dlt_lua_checktensor(L, -1), 1));
  return 1;
}

static int m_argmax(lua_State *L) { return argext(L, DLT_RARGMAX, "argmax"); }
static int m_argmin(lua_State *L) { return argext(L, DLT_RARGMIN, "argmin"); }

/* max()/min(): 0-D; max(dim[, keepdim]): values and 1-based indices; max(tensor): maximum */
static int extreme(lua_State *L, int is_min) {
  const char *fn = is_min ? "min" : "max";
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (dlt_lua_testtensor(L, 2)) return arith(L, is_min ? DLT_MINIMUM : DLT_MAXIMUM, fn);
  if (lua_isnoneornil(L, 2)) {
    dlt_lua_pushtensor(L, dlt_ag_reduce(is_min ? DLT_RMIN : DLT_RMAX, t, DLT_ALLDIMS, false));
    return 1;
  }
  int dim = dlt_lua_checkdim(L, 2, t->ndim, fn);
  int keep = keepdim_arg(L, 3, fn);
  dlt_tensor *idx = NULL;
  dlt_tensor *v = dlt_ag_max_dim(t, dim, keep, is_min, &idx);
  if (!v) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, v);
  dlt_lua_pushtensor(L, idx);
  /* a new tensor, not idx += 1: backward may have saved idx */
  dlt_lua_pushtensor(L, dlt_binary_scalar(DLT_ADD, idx, 1, false));
  lua_remove(L, -2);
  return 2;
}

static int m_max(lua_State *L) { return extreme(L, 0); }
static int m_min(lua_State *L) { return extreme(L, 1); }

/* var/std(dim, keepdim, {unbiased=true}); the options table may come at any position */
static int variance(lua_State *L, int is_std) {
  static const char *const o[] = {"unbiased", NULL};
  const char *fn = is_std ? "std" : "var";
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  int top = lua_gettop(L), opts = 0;
  if (top >= 2 && lua_istable(L, top)) opts = top;
  dlt_lua_checkoptions(L, opts, fn, o);
  int unbiased = dlt_lua_optboolean(L, opts, "unbiased", 1);
  int dim = (opts == 2) ? DLT_ALLDIMS : dlt_lua_optdim(L, 2, t->ndim, fn, DLT_ALLDIMS);
  int keep = (opts && opts <= 3) ? 0 : keepdim_arg(L, 3, fn);
  dlt_lua_pushtensor(L, is_std ? dlt_ag_std(t, dim, keep, unbiased) : dlt_ag_var(t, dim, keep, unbiased));
  return 1;
}

static int m_var(lua_State *L) { return variance(L, 0); }
static int m_std(lua_State *L) { return variance(L, 1); }

/* norm([p=2[, dim[, keepdim]]]) as torch's Tensor.norm; p may be "fro" */
static int m_norm(lua_State *L) {
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  double p = 2;
  if (lua_type(L, 2) == LUA_TSTRING) {
    if (strcmp(lua_tostring(L, 2), "fro")) return dlt_lua_fail(L, "norm: unknown norm '%s'", lua_tostring(L, 2));
  } else if (!lua_isnoneornil(L, 2)) {
    p = checknum(L, 2, "norm");
  }
  int dim = dlt_lua_optdim(L, 3, t->ndim, "norm", DLT_ALLDIMS);
  dlt_lua_pushtensor(L, dlt_ag_norm(t, p, dim, keepdim_arg(L, 4, "norm")));
  return 1;
}

static int softmax(lua_State *L, int log) {
  const char *fn = log ? "log_softmax" : "softmax";
  dlt_tensor *t = dlt_lua_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return dlt_lua_fail(L, "%s: dim is required", fn);
  dlt_lua_pushtensor(L, dlt_ag_softmax(t, dlt_lua_checkdim(L, 2, t->ndim, fn), log));
  return 1;
}

static int m_softmax(lua_State *L) { return softmax(L, 0); }
static int m_log_softmax(lua_State *L) { return softmax(L, 1); }

/* ---- linear algebra ---- */

static int m_matmul(lua_State *L) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1), *b = dlt_lua_checktensor(L, 2);
  dlt_lua_pushtensor(L, dlt_ag_matmul(a, b));
  return 1;
}

static int m_mm(lua_State *L) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1), *b = dlt_lua_checktensor(L, 2);
  dlt_lua_pushtensor(L, dlt_ag_mm(a, b));
  return 1;
}

static int m_dot(lua_State *L) {
  dlt_tensor *a = dlt_lua_checktensor(L, 1), *b = dlt_lua_checktensor(L, 2);
  dlt_lua_pushtensor(L, dlt_ag_dot(a, b));
  return 1;
}

/* a tensor from a tensor or table argument, owned by a pushed Lua value */
static dlt_tensor *data_arg(lua_State *L, int idx, const char *fn, const char *what) {
  if (!dlt_lua_testtensor(L, idx) && !lua_istable(L, idx) && lua_type(L, idx) != LUA_TNUMBER)
    dlt_lua_fail(L, "%s: expected %s as a tensor or table, got %s", fn, what, luaL_typename(L, idx));
  dlt_tensor *t = dlt_lua_totensor(L, idx, dlt_default_dtype());
  dlt_lua_pushtensor(L, t);
  if (dlt_is_floating(t->dtype)) return t;
  dlt_tensor *f = dlt_to_dtype(t, dlt_default_dtype()); /* fits compute in floating point */
  dlt_lua_pushtensor(L, f);
  return f;
}

static int l_lstsq(lua_State *L) {
  dlt_tensor *a = data_arg(L, 1, "lstsq", "A"), *b = data_arg(L, 2, "lstsq", "b");
  dlt_lua_pushtensor(L, dlt_lstsq(a, b));
  return 1;
}

static int l_polyfit(lua_State *L) {
  dlt_tensor *x = data_arg(L, 1, "polyfit", "x"), *y = data_arg(L, 2, "polyfit", "y");
  int64_t deg = dlt_lua_checkint(L, 3, "polyfit", "deg");
  if (deg < 0 || deg > 1000) return dlt_lua_fail(L, "polyfit: invalid degree %lld", (long long)deg);
  dlt_lua_pushtensor(L, dlt_polyfit(x, y, (int)deg));
  return 1;
}

static int l_polyval(lua_State *L) {
  dlt_tensor *c = data_arg(L, 1, "polyval", "coeffs"), *x = data_arg(L, 2, "polyval", "x");
  dlt_lua_pushtensor(L, dlt_polyval(c, x));
  return 1;
}

const luaL_Reg dlt_tensor_math_meta[] = {
  {"__add", mm_add},
  {"__sub", mm_sub},
  {"__mul", mm_mul},
  {"__div", mm_div},
  {"__pow", mm_pow},
  {"__unm", mm_unm},
  {"__band", mm_band},
  {"__bor", mm_bor},
  {"__bxor", mm_bxor},
  {"__bnot", mm_bnot},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_math_methods[] = {
  {"add", m_add},
  {"sub", m_sub},
  {"mul", mm_mul},
  {"div", mm_div},
  {"pow", mm_pow},
  {"maximum", m_maximum},
  {"minimum", m_minimum},
  {"eq", m_eq},
  {"ne", m_ne},
  {"lt", m_lt},
  {"le", m_le},
  {"gt", m_gt},
  {"ge", m_ge},
  {"logical_and", mm_band},
  {"logical_or", mm_bor},
  {"logical_xor", mm_bxor},
  {"logical_not", mm_bnot},
  {"add_", m_add_},
  {"sub_", m_sub_},
  {"mul_", m_mul_},
  {"div_", m_div_},
  {"copy_", m_copy_},
  {"fill_", m_fill_},
  {"zero_", m_zero_},
  {"clamp_", m_clamp_},
  {"neg", m_neg},
  {"abs", m_abs},
  {"exp", m_exp},
  {"log", m_log},
  {"sqrt", m_sqrt},
  {"sin", m_sin},
  {"cos", m_cos},
  {"tanh", m_tanh},
  {"sigmoid", m_sigmoid},
  {"relu", m_relu},
  {"sign", m_sign},
  {"floor", m_floor},
  {"ceil", m_ceil},
  {"round", m_round},
  {"square", m_square},
  {"reciprocal", m_reciprocal},
  {"log1p", m_log1p},
  {"expm1", m_expm1},
  {"erf", m_erf},
  {"gelu", m_gelu},
  {"silu", m_silu},
  {"softplus", m_softplus},
  {"isnan", m_isnan},
  {"isinf", m_isinf},
  {"clamp", m_clamp},
  {"leaky_relu", m_leaky_relu},
  {"sum", m_sum},
  {"mean", m_mean},
  {"prod", m_prod},
  {"all", m_all},
  {"any", m_any},
  {"argmax", m_argmax},
  {"argmin", m_argmin},
  {"max", m_max},
  {"min", m_min},
  {"var", m_var},
  {"std", m_std},
  {"norm", m_norm},
  {"softmax", m_softmax},
  {"log_softmax", m_log_softmax},
  {"matmul", m_matmul},
  {"mm", m_mm},
  {"dot", m_dot},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_math_funcs[] = {
  {"matmul", m_matmul},
  {"polyfit", l_polyfit},
  {"polyval", l_polyval},
  {NULL, NULL},
};

const luaL_Reg dlt_tensor_linalg_funcs[] = {
  {"lstsq", l_lstsq},
  {NULL, NULL},
};
