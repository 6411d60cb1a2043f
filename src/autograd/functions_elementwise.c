/* functions_elementwise.c: differentiable elementwise ops (binary with broadcasting and
 * dtype promotion, tensor-scalar, unary, leaky_relu, clamp, where, masked_fill), each
 * forward next to its backward. */
#include <math.h>
#include <string.h>

#include "autograd/functions_common.h"

/* ---- derivative formulas: d = f(g, x, y, p), g the incoming gradient ---- */

#define TWO_OVER_SQRTPI 1.12837916709551257390 /* 2/sqrt(pi) */
#define INV_SQRT2 0.70710678118654752440       /* 1/sqrt(2) */
#define INV_SQRT2PI 0.39894228040143267794     /* 1/sqrt(2 pi) */

static double sigm(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }
static double sgn(double x) { return (x > 0) - (x < 0); }

/* maximum: the larger operand gets g, a tie splits it (PyTorch's rule) */
static double d_max(double g, double x, double y, const double *p) { return x > y ? g : x == y ? 0.5 * g
                                                                                               : 0.0; }
static double d_min(double g, double x, double y, const double *p) { return x < y ? g : x == y ? 0.5 * g
                                                                                               : 0.0; }
/* d/dx x^y = y x^(y-1), 0 when y == 0 */
static double d_pow_base(double g, double x, double y, const double *p) { return y == 0 ? 0.0 : g * y * pow(x, y - 1); }
/* d/dy x^y = x^y log x, 0 where x == 0 and y >= 0 */
static double d_pow_exp(double g, double x, double y, const double *p) { return x == 0 && y >= 0 ? 0.0 : g * pow(x, y) * log(x); }
static double d_pow_scalar(double g, double x, double y, const double *p) { return p[0] == 0 ? 0.0 : g * p[0] * pow(x, p[0] - 1); }
/* d/dx s^x = s^x log s, y = s^x */
static double d_rpow_scalar(double g, double x, double y, const double *p) { return p[0] == 0 && x >= 0 ? 0.0 : g * y * log(p[0]); }
static double d_rdiv_scalar(double g, double x, double y, const double *p) { return -g * p[0] / (x * x); }
static double d_max_scalar(double g, double x, double y, const double *p) { return d_max(g, x, p[0], NULL); }
static double d_min_scalar(double g, double x, double y, const double *p) { return d_min(g, x, p[0], NULL); }

/* ---- binary ---- */

typedef struct {
  dlt_binop op;
  int a, b, out; /* saved slots of the operands and the output, -1 when not needed */
} binary_ctx;

static int binary_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const binary_ctx *c = DLT_NODE_CTX(n, binary_ctx);
  dlt_binop op = c->op;
  bool wa = dlt_agi_wants(n, 0), wb = dlt_agi_wants(n, 1);
  const dlt_tensor *a, *b, *out;
  if (dlt_agi_saved_opt(n, c->a, &a) || dlt_agi_saved_opt(n, c->b, &b) || dlt_agi_saved_opt(n, c->out, &out)) return -1;
  dlt_tensor *ga = NULL, *gb = NULL;
  switch (op) {
  case DLT_ADD:
    if (wa) ga = dlt_retain((dlt_tensor *)g);
    if (wb) gb = dlt_retain((dlt_tensor *)g);
    break;
  case DLT_SUB:
    if (wa) ga = dlt_retain((dlt_tensor *)g);
    if (wb) gb = dlt_unary(DLT_NEG, g);
    break;
  case DLT_MUL:
    if (wa) ga = dlt_binary(DLT_MUL, g, b);
    if (wb) gb = dlt_binary(DLT_MUL, g, a);
    break;
  case DLT_DIV: { /* da = g / b, db = -g a / b^2 = -(g / b) * out */
    dlt_tensor *q = dlt_binary(DLT_DIV, g, b);
    if (!q) return -1;
    if (wb) {
      dlt_tensor *t = dlt_binary(DLT_MUL, q, out);
      gb = t ? dlt_unary(DLT_NEG, t) : NULL;
      dlt_release(t);
    }
    if (wa) ga = dlt_retain(q);
    dlt_release(q);
    break;
  }
  case DLT_POW:
    if (wa) ga = dlt_agi_map(d_pow_base, NULL, g, a, b, g->dtype);
    if (wb) gb = dlt_agi_map(d_pow_exp, NULL, g, a, b, g->dtype);
    break;
  case DLT_MAXIMUM:
  case DLT_MINIMUM: {
    dlt_agi_fn f = op == DLT_MAXIMUM ? d_max : d_min;
    if (wa) ga = dlt_agi_map(f, NULL, g, a, b, g->dtype);
    if (wb) gb = dlt_agi_map(f, NULL, g, b, a, g->dtype);
    break;
  }
  default:
    return dlt_failn("backward: %s has no gradient", n->name);
  }
  if (wa && !(gin[0] = dlt_agi_to_input(n, 0, ga))) {
    dlt_release(gb);
    return -1;
  }
  if (wb && !(gin[1] = dlt_agi_to_input(n, 1, gb))) return -1;
  return 0;
}

static const char *binary_name(dlt_binop op, bool fwd) {
  static const char *bw[] = {"AddBackward", "SubBackward", "MulBackward", "DivBackward", "PowBackward",
                             "MaximumBackward", "MinimumBackward"};
  static const char *fw[] = {"Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum"};
  return op <= DLT_MINIMUM ? (fwd ? fw[op] : bw[op]) : dlt_binop_name(op);
}

static bool differentiable(dlt_binop op) { return op <= DLT_MINIMUM; }

dlt_tensor *dlt_ag_binary(dlt_binop op, dlt_tensor *a, dlt_tensor *b) {
  int err = 0;
  const dlt_tensor *ins[2] = {a, b};
  dlt_node *n = differentiable(op) ? dlt_node_new(binary_name(op, false), binary_backward, 2, ins, &err) : NULL;
  if (err) return NULL;
  dlt_tensor *out = dlt_binary(op, a, b);
  if (out && n) {
    bool wa = dlt_agi_wants(n, 0), wb = dlt_agi_wants(n, 1);
    bool need_a = (op == DLT_MUL && wb) || op == DLT_POW || op == DLT_MAXIMUM || op == DLT_MINIMUM;
    bool need_b = (op == DLT_MUL && wa) || op == DLT_DIV || op == DLT_POW || op == DLT_MAXIMUM || op == DLT_MINIMUM;
    binary_ctx *c = DLT_NODE_CTX(n, binary_ctx);
    *c = (binary_ctx){op, -1, -1, -1};
    if ((need_a && dlt_agi_save(n, &c->a, a)) || (need_b && dlt_agi_save(n, &c->b, b)) ||
        (op == DLT_DIV && wb && dlt_agi_save(n, &c->out, out))) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, binary_name(op, true));
}

/* ---- tensor op number ---- */

typedef struct {
  dlt_binop op;
  bool left;  /* number op tensor */
  int a, out; /* saved slots of the tensor operand and the output, -1 when not needed */
  double s;   /* the number */
} binary_scalar_ctx;

static int binary_scalar_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const binary_scalar_ctx *c = DLT_NODE_CTX(n, binary_scalar_ctx);
  dlt_binop op = c->op;
  bool left = c->left;
  double s = c->s;
  const dlt_tensor *a, *out;
  if (dlt_agi_saved_opt(n, c->a, &a) || dlt_agi_saved_opt(n, c->out, &out)) return -1;
  dlt_tensor *ga = NULL;
  switch (op) {
  case DLT_ADD: ga = dlt_retain((dlt_tensor *)g); break;
  case DLT_SUB: ga = left ? dlt_unary(DLT_NEG, g) : dlt_retain((dlt_tensor *)g); break;
  case DLT_MUL: ga = dlt_binary_scalar(DLT_MUL, g, s, false); break;
  case DLT_DIV: ga = left ? dlt_agi_map(d_rdiv_scalar, &s, g, a, NULL, g->dtype) : dlt_binary_scalar(DLT_DIV, g, s, false); break;
  case DLT_POW: ga = left ? dlt_agi_map(d_rpow_scalar, &s, g, a, out, g->dtype) : dlt_agi_map(d_pow_scalar, &s, g, a, NULL, g->dtype); break;
  case DLT_MAXIMUM: ga = dlt_agi_map(d_max_scalar, &s, g, a, NULL, g->dtype); break;
  case DLT_MINIMUM: ga = dlt_agi_map(d_min_scalar, &s, g, a, NULL, g->dtype); break;
  default: return dlt_failn("backward: %s has no gradient", n->name);
  }
  gin[0] = dlt_agi_to_input(n, 0, ga);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_binary_scalar(dlt_binop op, dlt_tensor *a, double s, bool scalar_left) {
  int err = 0;
  const dlt_tensor *ins[1] = {a};
  dlt_node *n = differentiable(op) ? dlt_node_new(binary_name(op, false), binary_scalar_backward, 1, ins, &err) : NULL;
  if (err) return NULL;
  dlt_tensor *out = dlt_binary_scalar(op, a, s, scalar_left);
  if (out && n) {
    binary_scalar_ctx *c = DLT_NODE_CTX(n, binary_scalar_ctx);
    *c = (binary_scalar_ctx){op, scalar_left, -1, -1, s};
    bool need_a = (op == DLT_DIV && scalar_left) || op == DLT_POW || op == DLT_MAXIMUM || op == DLT_MINIMUM;
    bool need_out = op == DLT_POW && scalar_left;
    if ((need_a && dlt_agi_save(n, &c->a, a)) || (need_out && dlt_agi_save(n, &c->out, out))) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, binary_name(op, true));
}

/* ---- unary ---- */

/* the derivative of op at x with output y, times g */
static double d_unary(double g, double x, double y, const double *p) {
  switch ((dlt_unop)p[0]) {
  case DLT_NEG: return -g;
  case DLT_ABS: return g * sgn(x);
  case DLT_EXP: return g * y;
  case DLT_LOG: return g / x;
  case DLT_SQRT: return g / (2 * y);
  case DLT_SIN: return g * cos(x);
  case DLT_COS: return -g * sin(x);
  case DLT_TANH: return g * (1 - y * y);
  case DLT_SIGMOID: return g * y * (1 - y);
  case DLT_RELU: return y > 0 ? g : 0.0;
  case DLT_SQUARE: return 2 * x * g;
  case DLT_RECIPROCAL: return -g * y * y;
  case DLT_LOG1P: return g / (1 + x);
  case DLT_EXPM1: return g * (y + 1);
  case DLT_ERF: return g * TWO_OVER_SQRTPI * exp(-x * x);
  /* gelu(x) = x Phi(x): Phi(x) + x phi(x) */
  case DLT_GELU: return g * (0.5 * erfc(-x * INV_SQRT2) + x * exp(-0.5 * x * x) * INV_SQRT2PI);
  case DLT_SILU: {
    double s = sigm(x);
    return g * s * (1 + x * (1 - s));
  }
  case DLT_SOFTPLUS: return x > 20 ? g : g * sigm(x); /* PyTorch's threshold 20 */
  default: return 0.0;
  }
}

/* which of input (1) and output (2) the derivative reads; 0 for non-differentiable ops */
static int unary_needs(dlt_unop op) {
  switch (op) {
  case DLT_NEG: return 4;
  case DLT_EXP:
  case DLT_SQRT:
  case DLT_TANH:
  case DLT_SIGMOID:
  case DLT_RELU:
  case DLT_RECIPROCAL:
  case DLT_EXPM1: return 2;
  case DLT_ABS:
  case DLT_LOG:
  case DLT_SIN:
  case DLT_COS:
  case DLT_SQUARE:
  case DLT_LOG1P:
  case DLT_ERF:
  case DLT_GELU:
  case DLT_SILU:
  case DLT_SOFTPLUS: return 1;
  default: return 0;
  }
}

static const char *unary_name(dlt_unop op, bool fwd) {
  static const char *fw[DLT_NUNOP] = {
    [DLT_NEG] = "Neg", [DLT_ABS] = "Abs", [DLT_EXP] = "Exp", [DLT_LOG] = "Log", [DLT_SQRT] = "Sqrt", [DLT_SIN] = "Sin", [DLT_COS] = "Cos", [DLT_TANH] = "Tanh", [DLT_SIGMOID] = "Sigmoid", [DLT_RELU] = "Relu", [DLT_SIGN] = "Sign", [DLT_FLOOR] = "Floor", [DLT_CEIL] = "Ceil", [DLT_ROUND] = "Round", [DLT_SQUARE] = "Square", [DLT_RECIPROCAL] = "Reciprocal", [DLT_LOG1P] = "Log1p", [DLT_EXPM1] = "Expm1", [DLT_ERF] = "Erf", [DLT_GELU] = "Gelu", [DLT_SILU] = "Silu", [DLT_SOFTPLUS] = "Softplus", [DLT_ISNAN] = "Isnan", [DLT_ISINF] = "Isinf"};
  static const char *bw[DLT_NUNOP] = {
    [DLT_NEG] = "NegBackward", [DLT_ABS] = "AbsBackward", [DLT_EXP] = "ExpBackward", [DLT_LOG] = "LogBackward", [DLT_SQRT] = "SqrtBackward", [DLT_SIN] = "SinBackward", [DLT_COS] = "CosBackward", [DLT_TANH] = "TanhBackward", [DLT_SIGMOID] = "SigmoidBackward", [DLT_RELU] = "ReluBackward", [DLT_SQUARE] = "SquareBackward", [DLT_RECIPROCAL] = "ReciprocalBackward", [DLT_LOG1P] = "Log1pBackward", [DLT_EXPM1] = "Expm1Backward", [DLT_ERF] = "ErfBackward", [DLT_GELU] = "GeluBackward", [DLT_SILU] = "SiluBackward", [DLT_SOFTPLUS] = "SoftplusBackward"};
  if ((int)op < 0 || op >= DLT_NUNOP) return "?";
  const char *s = fwd ? fw[op] : bw[op];
  return s ? s : "?";
}

typedef struct {
  dlt_unop op;
  int x, y; /* saved slots of the input and the output, -1 when the derivative needs none */
} unary_ctx;

static int unary_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const unary_ctx *c = DLT_NODE_CTX(n, unary_ctx);
  const dlt_tensor *x, *y;
  if (dlt_agi_saved_opt(n, c->x, &x) || dlt_agi_saved_opt(n, c->y, &y)) return -1;
  double p = (double)c->op;
  dlt_tensor *d = c->op == DLT_NEG ? dlt_unary(DLT_NEG, g) : dlt_agi_map(d_unary, &p, g, x, y, g->dtype);
  gin[0] = dlt_agi_to_input(n, 0, d);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_unary(dlt_unop op, dlt_tensor *a) {
  int err = 0, needs = unary_needs(op);
  const dlt_tensor *ins[1] = {a};
  dlt_node *n = needs ? dlt_node_new(unary_name(op, false), unary_backward, 1, ins, &err) : NULL;
  if (err) return NULL;
  dlt_tensor *out = dlt_unary(op, a);
  if (out && n) {
    unary_ctx *c = DLT_NODE_CTX(n, unary_ctx);
    *c = (unary_ctx){op, -1, -1};
    if (((needs & 1) && dlt_agi_save(n, &c->x, a)) || ((needs & 2) && dlt_agi_save(n, &c->y, out))) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, unary_name(op, true));
}

/* ---- leaky_relu, clamp ---- */

static double d_leaky(double g, double x, double y, const double *p) { return x > 0 ? g : g * p[0]; }
/* clamp passes g where lo <= x <= hi (a NaN bound is no bound), as PyTorch */
static double d_clamp(double g, double x, double y, const double *p) {
  bool in = (isnan(p[0]) || x >= p[0]) && (isnan(p[1]) || x <= p[1]);
  return in ? g : 0.0;
}

typedef struct {
  double p[2]; /* the parameters of the derivative: {slope} or {lo, hi} */
} param_unary_ctx;

/* saved 0 the input */
static int param_unary_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin, dlt_agi_fn fn) {
  const dlt_tensor *x = dlt_node_saved(n, 0);
  if (!x) return -1;
  gin[0] = dlt_agi_to_input(n, 0, dlt_agi_map(fn, DLT_NODE_CTX(n, param_unary_ctx)->p, g, x, NULL, g->dtype));
  return gin[0] ? 0 : -1;
}
static int leaky_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) { return param_unary_backward(n, g, gin, d_leaky); }
static int clamp_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) { return param_unary_backward(n, g, gin, d_clamp); }

static dlt_tensor *param_unary(dlt_tensor *a, dlt_tensor *out, const char *bw, dlt_backward_fn fn, double p0, double p1, const char *fw) {
  if (!out) return NULL;
  int err = 0;
  const dlt_tensor *ins[1] = {a};
  dlt_node *n = dlt_node_new(bw, fn, 1, ins, &err);
  if (err) {
    dlt_release(out);
    return NULL;
  }
  if (n) {
    *DLT_NODE_CTX(n, param_unary_ctx) = (param_unary_ctx){{p0, p1}};
    if (dlt_node_save(n, a) < 0) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, fw);
}

dlt_tensor *dlt_ag_leaky_relu(dlt_tensor *a, double slope) {
  return param_unary(a, dlt_leaky_relu(a, slope), "LeakyReluBackward", leaky_backward, slope, 0, "LeakyRelu");
}

dlt_tensor *dlt_ag_clamp(dlt_tensor *a, double lo, double hi) {
  return param_unary(a, dlt_clamp(a, lo, hi), "ClampBackward", clamp_backward, lo, hi, "Clamp");
}

/* ---- where, masked_fill ---- */

/* saved 0 cond; inputs a, b: a gets g where cond, b where not */
static int where_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const dlt_tensor *cond = dlt_node_saved(n, 0);
  if (!cond) return -1;
  dlt_tensor *zero = dlt_scalar(0.0, g->dtype);
  if (!zero) return -1;
  int rc = 0;
  if (dlt_agi_wants(n, 0) && !(gin[0] = dlt_agi_to_input(n, 0, dlt_where(cond, g, zero)))) rc = -1;
  if (!rc && dlt_agi_wants(n, 1) && !(gin[1] = dlt_agi_to_input(n, 1, dlt_where(cond, zero, g)))) rc = -1;
  dlt_release(zero);
  return rc;
}

dlt_tensor *dlt_ag_where(dlt_tensor *cond, dlt_tensor *a, dlt_tensor *b) {
  int err = 0;
  const dlt_tensor *ins[2] = {a, b};
  dlt_node *n = dlt_node_new("WhereBackward", where_backward, 2, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_where(cond, a, b);
  if (out && n && dlt_node_save(n, cond) < 0) {
    dlt_release(out);
    out = NULL;
  }
  return dlt_agi_finish(out, n, "Where");
}

/* saved 0 the mask: the filled positions get no gradient */
static int masked_fill_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const dlt_tensor *mask = dlt_node_saved(n, 0);
  if (!mask) return -1;
  gin[0] = dlt_agi_to_input(n, 0, dlt_masked_fill(g, mask, 0.0));
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_masked_fill(dlt_tensor *t, dlt_tensor *mask, double v) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *n = dlt_node_new("MaskedFillBackward", masked_fill_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_masked_fill(t, mask, v);
  if (out && n && dlt_node_save(n, mask) < 0) {
    dlt_release(out);
    out = NULL;
  }
  return dlt_agi_finish(out, n, "MaskedFill");
}
