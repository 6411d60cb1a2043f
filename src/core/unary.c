/* unary.c: elementwise functions of one tensor (exp, GELU, sigmoid, ...), leaky ReLU and
 * clamp. One loop per function and dtype: the per-dtype helpers and loops in unary.inc,
 * the one-expression maps from the UNOPS table. */
#include <math.h>
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"

static const char *unop_names[DLT_NUNOP] = {
  "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "floor",
  "ceil", "round", "square", "reciprocal", "log1p", "expm1", "erf", "gelu", "silu", "softplus",
  "isnan", "isinf"};

const char *dlt_unop_name(dlt_unop op) { return op >= 0 && op < DLT_NUNOP ? unop_names[op] : "?"; }

/* tanh without libm and without branches, so the loops vectorize (a call of libm's
 * tanhf costs many times one vectorized element). For a = |x|: tanh a = e / (e + 2), e = expm1(2a) = 2^k p + (2^k - 1)
 * where 2a = k ln2 + r, |r| <= ln2/2 (Cody-Waite), p = expm1(r) = r + r^2 q(r) by its
 * Taylor series: to r^9 for float (computed in double, rounded once at the end), to
 * r^13 for double. a is capped at 20, where tanh is 1 in both precisions. Selections
 * are done on the bits: a NaN is set back at the end, the sign (also of -0.0) copied
 * from x. Against the correctly rounded tanh, over sweeps of all ranges: float within
 * 1 ulp (libm's tanhf: 2), double within 2 ulps (libm: 2); tests/c/test_unary_tanh.c. */
#define TANH_LN2_HI 6.93147180369123816490e-01 /* ln 2 with 21 trailing zero bits: k ln2_hi is exact */
#define TANH_LN2_LO 1.90821492927058770002e-10
#define BITS_20 0x4034000000000000ULL
#define BITS_INF 0x7ff0000000000000ULL
#define BITS_SIGN 0x8000000000000000ULL
static inline double tanh_dd(double x, bool deg13) {
  uint64_t xb, ab;
  memcpy(&xb, &x, 8);
  ab = xb & ~BITS_SIGN;
  uint64_t nan = 0 - (uint64_t)(ab > BITS_INF);
  ab = ab < BITS_20 ? ab : BITS_20; /* min(|x|, 20) as integers: the order of non-negative doubles */
  double a, twok, q;
  memcpy(&a, &ab, 8);
  double y = a + a, kd = y * 1.4426950408889634 + 0x1.8p52; /* k = rint(y / ln2) in the low mantissa bits */
  uint64_t kb;
  memcpy(&kb, &kd, 8);
  kd -= 0x1.8p52;
  double r = (y - kd * TANH_LN2_HI) - kd * TANH_LN2_LO;
  if (deg13)
    q = 1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 +
                                                                                                          r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 + r * (1.0 / 6227020800.0)))))))))));
  else
    q = 1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 +
                                                                                                          r * (1.0 / 362880)))))));
  double p = r + r * r * q;
  uint64_t tb = (kb + 1023) << 52; /* 2^k from k's bits: the exponent field k + 1023 */
  memcpy(&twok, &tb, 8);
  double e = twok * p + (twok - 1.0), t = e / (e + 2.0);
  memcpy(&tb, &t, 8);
  tb |= (nan & 0x7ff8000000000000ULL) | (xb & BITS_SIGN);
  memcpy(&t, &tb, 8);
  return t;
}
static inline float tanh_float(float x) { return (float)tanh_dd(x, false); }
static inline double tanh_double(double x) { return tanh_dd(x, true); }

/* Two-parameter maps: leaky ReLU (p = slope) and clamp (p = lo, q = hi; NaN = no bound,
 * lo > hi gives hi as torch.clamp does). */
typedef struct {
  double p, q;
  bool clamp;
} param_ctx;

/* sigmoid, gelu, softplus, classify and param_row for float and double (_float, _double) */
#define T float
#define S(name) name##_float
#define EXP expf
#define ERFC erfcf
#define LOG1P log1pf
#define FABS fabsf
#include "core/unary.inc"
#undef T
#undef S
#undef EXP
#undef ERFC
#undef LOG1P
#undef FABS
#define T double
#define S(name) name##_double
#define EXP exp
#define ERFC erfc
#define LOG1P log1p
#define FABS fabs
#include "core/unary.inc"
#undef T
#undef S
#undef EXP
#undef ERFC
#undef LOG1P
#undef FABS

#define UNOPS(X, T, S) \
  X(NEG, T, S, -x) \
  X(ABS, T, S, fabs##S(x)) \
  X(EXP, T, S, exp##S(x)) \
  X(LOG, T, S, log##S(x)) \
  X(SQRT, T, S, sqrt##S(x)) \
  X(SIN, T, S, sin##S(x)) \
  X(COS, T, S, cos##S(x)) \
  X(TANH, T, S, tanh_##T(x)) \
  X(SIGMOID, T, S, sigmoid_##T(x)) \
  X(RELU, T, S, x < (T)0 ? (T)0 : x) \
  X(SIGN, T, S, (T)((x > (T)0) - (x < (T)0))) \
  X(FLOOR, T, S, floor##S(x)) \
  X(CEIL, T, S, ceil##S(x)) \
  X(ROUND, T, S, rint##S(x)) \
  X(SQUARE, T, S, x *x) \
  X(RECIPROCAL, T, S, (T)1 / x) \
  X(LOG1P, T, S, log1p##S(x)) \
  X(EXPM1, T, S, expm1##S(x)) \
  X(ERF, T, S, erf##S(x)) \
  X(GELU, T, S, gelu_##T(x)) \
  X(SILU, T, S, x *sigmoid_##T(x)) \
  X(SOFTPLUS, T, S, softplus_##T(x)) \
  X(ISNAN, T, S, x != x ? (T)1 : (T)0) \
  X(ISINF, T, S, fabs##S(x) == (T)INFINITY ? (T)1 : (T)0)

double dlt_unop_apply(dlt_unop op, double x) {
  switch (op) {
#define APPLY_CASE(OP, T, S, EXPR) \
  case DLT_##OP: return (EXPR);
    UNOPS(APPLY_CASE, double, )
  default: return NAN;
  }
}

typedef void (*un_kernel)(int64_t n, void *o, int64_t so, const void *a, int64_t sa);

#define DEF_UN(OP, T, S, EXPR) \
  DLT_VEC_CLONES static void un_##OP##_##T(int64_t n, void *o_, int64_t so, const void *a_, int64_t sa) { \
    T *o = o_; \
    const T *a = a_; \
    if (so == 1 && sa == 1) { \
      for (int64_t i = 0; i < n; i++) { \
        T x = a[i]; \
        o[i] = (EXPR); \
      } \
    } else { \
      for (int64_t i = 0; i < n; i++) { \
        T x = a[i * sa]; \
        o[i * so] = (EXPR); \
      } \
    } \
  }
UNOPS(DEF_UN, float, f)
UNOPS(DEF_UN, double, )

void dlt_tanh_f32(float *y, const float *x, int64_t n) { un_TANH_float(n, y, 1, x, 1); }
void dlt_tanh_f64(double *y, const double *x, int64_t n) { un_TANH_double(n, y, 1, x, 1); }

#define UN_ENTRY(OP, T, S, EXPR) [DLT_##OP] = un_##OP##_##T,
static const un_kernel un_f32[DLT_NUNOP] = {UNOPS(UN_ENTRY, float, f)};
static const un_kernel un_f64[DLT_NUNOP] = {UNOPS(UN_ENTRY, double, )};

static void un_row(void *ctx, int64_t n, char **p, const int64_t *s) {
  un_kernel k = *(un_kernel *)ctx;
  k(n, p[0], s[0], p[1], s[1]);
}

/* r = k(a) elementwise, r and a of one shape and dtype */
static void run_unary(un_kernel k, dlt_tensor *r, const dlt_tensor *a) {
  if (dlt_is_contiguous(r) && dlt_is_contiguous(a)) {
    k(dlt_numel(a), dlt_data(r), 1, dlt_data(a), 1);
    return;
  }
  dlt_loop L;
  dlt_loop_init(&L, a->ndim, a->shape);
  dlt_loop_add(&L, r);
  dlt_loop_add(&L, a);
  dlt_loop_run(&L, un_row, &k);
}

/* Integer tensors: the ops whose value stays an integer keep int64 (bool becomes int64
 * first), isnan/isinf are all false, neg of bool is refused as in PyTorch; the rest
 * compute in the default float dtype, as torch.exp(long_tensor) does. */
static int64_t int_unop(dlt_unop op, int64_t x) {
  switch (op) {
  case DLT_NEG: return (int64_t)(0 - (uint64_t)x);
  case DLT_ABS: return x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
  case DLT_RELU: return x < 0 ? 0 : x;
  case DLT_SIGN: return (x > 0) - (x < 0);
  case DLT_SQUARE: return (int64_t)((uint64_t)x * (uint64_t)x);
  default: return x; /* floor, ceil, round */
  }
}

static bool keeps_int(dlt_unop op) {
  return op == DLT_NEG || op == DLT_ABS || op == DLT_RELU || op == DLT_SIGN || op == DLT_SQUARE || op == DLT_FLOOR ||
         op == DLT_CEIL || op == DLT_ROUND;
}

static dlt_tensor *unary_int(dlt_unop op, const dlt_tensor *a) {
  if (op == DLT_ISNAN || op == DLT_ISINF) return dlt_zeros(a->ndim, a->shape, DLT_BOOL);
  if (op == DLT_NEG && a->dtype == DLT_BOOL)
    return dlt_fail("neg: negation of a bool tensor is not supported (use ~t or t:logical_not())");
  dlt_tensor *c = dlt_to_dtype((dlt_tensor *)a, keeps_int(op) ? DLT_INT64 : dlt_default_dtype());
  if (!c) return NULL;
  dlt_tensor *r = NULL;
  if (!keeps_int(op)) {
    r = dlt_unary(op, c);
  } else if ((r = dlt_clone(c))) { /* contiguous: one flat pass */
    int64_t *p = dlt_data(r), n = dlt_numel(r);
    for (int64_t i = 0; i < n; i++) p[i] = int_unop(op, p[i]);
  }
  dlt_release(c);
  return r;
}

dlt_tensor *dlt_unary(dlt_unop op, const dlt_tensor *a) {
  if (op < 0 || op >= DLT_NUNOP) return dlt_fail("unary: unknown function %d", (int)op);
  if (!dlt_is_floating(a->dtype)) return unary_int(op, a);
  if (op == DLT_ISNAN || op == DLT_ISINF) {
    dlt_tensor *c = dlt_contiguous((dlt_tensor *)a);
    dlt_tensor *r = c ? dlt_empty(a->ndim, a->shape, DLT_BOOL) : NULL;
    if (r && a->dtype == DLT_FLOAT32) classify_float(dlt_data(r), dlt_data(c), dlt_numel(r), op == DLT_ISINF);
    else if (r) classify_double(dlt_data(r), dlt_data(c), dlt_numel(r), op == DLT_ISINF);
    dlt_release(c);
    return r;
  }
  dlt_tensor *r = dlt_empty(a->ndim, a->shape, a->dtype);
  if (r) run_unary(a->dtype == DLT_FLOAT32 ? un_f32[op] : un_f64[op], r, a);
  return r;
}

int dlt_unary_(dlt_unop op, dlt_tensor *dst) {
  if (op < 0 || op >= DLT_NUNOP) return dlt_failn("unary: unknown function %d", (int)op);
  if (dlt_check_floating(dlt_unop_name(op), dst) || dlt_check_overlap("unary_", dst, NULL)) return -1;
  run_unary(dst->dtype == DLT_FLOAT32 ? un_f32[op] : un_f64[op], dst, dst);
  dlt_bump_version(dst);
  return 0;
}

/* clamp of int64 (bounds compared as doubles, so 2.5 clamps to 2 from above and 3 from below) */
static void clamp_row_int64(void *ctx, int64_t n, char **pp, const int64_t *s) {
  const param_ctx *c = ctx;
  int64_t *o = (int64_t *)pp[0];
  const int64_t *a = (const int64_t *)pp[1];
  for (int64_t i = 0; i < n; i++) {
    int64_t x = a[i * s[1]];
    if (c->p == c->p && (double)x < c->p) x = (int64_t)ceil(c->p);
    if (c->q == c->q && (double)x > c->q) x = (int64_t)floor(c->q);
    o[i * s[0]] = x;
  }
}

static dlt_tensor *run_param(const dlt_tensor *a, param_ctx *c) {
  if (!dlt_is_floating(a->dtype)) {
    bool whole = (c->p != c->p || (c->p == floor(c->p) && fabs(c->p) < 9e18)) &&
                 (c->q != c->q || (c->q == floor(c->q) && fabs(c->q) < 9e18));
    if (!c->clamp || !whole) { /* leaky_relu, or a fractional bound: in the default float dtype */
      dlt_tensor *f = dlt_to_dtype((dlt_tensor *)a, dlt_default_dtype());
      dlt_tensor *r = f ? run_param(f, c) : NULL;
      dlt_release(f);
      return r;
    }
    dlt_tensor *i64 = dlt_to_dtype((dlt_tensor *)a, DLT_INT64);
    dlt_tensor *r = i64 ? dlt_empty(a->ndim, a->shape, DLT_INT64) : NULL;
    if (r) {
      dlt_loop L;
      dlt_loop_init(&L, a->ndim, a->shape);
      dlt_loop_add(&L, r);
      dlt_loop_add(&L, i64);
      dlt_loop_run(&L, clamp_row_int64, c);
    }
    dlt_release(i64);
    return r;
  }
  dlt_tensor *r = dlt_empty(a->ndim, a->shape, a->dtype);
  if (!r) return NULL;
  dlt_loop L;
  dlt_loop_init(&L, a->ndim, a->shape);
  dlt_loop_add(&L, r);
  dlt_loop_add(&L, a);
  dlt_loop_run(&L, a->dtype == DLT_FLOAT32 ? param_row_float : param_row_double, c);
  return r;
}

dlt_tensor *dlt_leaky_relu(const dlt_tensor *a, double slope) {
  param_ctx c = {slope, 0, false};
  return run_param(a, &c);
}

dlt_tensor *dlt_clamp(const dlt_tensor *a, double lo, double hi) {
  param_ctx c = {lo, hi, true};
  return run_param(a, &c);
}
