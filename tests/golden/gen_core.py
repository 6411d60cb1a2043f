#!/usr/bin/python3
"""gen_core.py: writes tests/c/fixtures_core.h, the PyTorch 1.13 / NumPy answers the
core engine's criterion tests compare against: tensor printouts, unary and binary ops,
ranges, softmax, lstsq, and polyfit on the notebook's overfitting data.

Run from the source root with Debian's python (it has torch):
    /usr/bin/python3 tests/golden/gen_core.py
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "c", "fixtures_core.h")
lines = []


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0.0"
    return "%.17g" % v


def arr(name, values):
    vals = [num(v) for v in np.asarray(values, dtype=np.float64).ravel()] or ["0"]
    body = ",\n  ".join(", ".join(vals[i:i + 6]) for i in range(0, len(vals), 6))
    lines.append("static const double %s[] = {\n  %s};" % (name, body))


def cstr(s):
    return json.dumps(s)


# ---- printing ---------------------------------------------------------------
torch.manual_seed(0)
f64 = torch.float64
fmt_cases = [
    ("integer_valued", torch.tensor([1., 2., 3.]), 0),
    ("scalar", torch.tensor(3.5), 0),
    ("scalar_zero", torch.tensor(0.), 0),
    ("matrix_fixed", torch.tensor([[1.5, -2.25], [3.125, 4.0]]), 0),
    ("sci_small", torch.tensor([1e-5, 1.0, 100.0]), 0),
    ("sci_int_large", torch.tensor([1e9, 1.0]), 0),
    ("negative_ints", torch.tensor([-1., 0., 10.]), 0),
    ("nonfinite", torch.tensor([float("nan"), 1.5, float("inf"), -float("inf")]), 0),
    ("neg_zero", torch.tensor([-0., 1.5]), 0),
    ("wrapped_line", torch.linspace(0, 1, 30), 0),
    ("float64_suffix", torch.tensor([0.1, 0.2], dtype=f64), 0),
    ("requires_grad", torch.tensor([1., 2.], requires_grad=True), 0),
    ("three_d", torch.arange(24.).reshape(2, 3, 4) / 7, 0),
    ("summarized_1d", torch.arange(1500.), 0),
    ("summarized_2d", torch.arange(2000.).reshape(40, 50) / 3, 0),
    ("summarized_3d", torch.arange(8 * 8 * 20.).reshape(8, 8, 20), 0),
    ("wide_float64_grad", torch.randn(4, 6, dtype=f64, requires_grad=True), 0),
    ("transposed_view", torch.randn(3, 5), 1),
    ("empty_1d", torch.zeros(0), 0),
    ("empty_2d", torch.zeros(2, 0), 0),
    ("randn_matrix", torch.randn(5, 3) * 10, 0),
    ("four_d", torch.arange(16.).reshape(2, 2, 2, 2) - 7.5, 0),
    ("negative_sci", -torch.tensor([3e-7, 2.5, -4e4]), 0),
    ("int_mode_nan", torch.tensor([float("nan"), 1., -2.]), 0),
    ("just_summarized", torch.arange(1001.) * 0.5, 0),
    ("scalar_float64_grad", torch.tensor(-2.125, dtype=f64, requires_grad=True), 0),
    ("column_float64_grad", torch.randn(3, 1, dtype=f64, requires_grad=True), 0),
    ("big_fixed", torch.tensor([12345.678, -0.5, 99999.]), 0),
]
# a non-leaf: printed with its grad_fn
leaf = torch.tensor([1., 2.], requires_grad=True)
mul = leaf * 2
rows = []
for i, (name, t, transpose) in enumerate(fmt_cases):
    shown = t.t() if transpose else t
    arr("fmt_data_%d" % i, t.detach().numpy())
    rows.append((name, t, transpose, "NULL", str(shown)))
arr("fmt_data_%d" % len(rows), mul.detach().numpy())
rows.append(("grad_fn", mul, 0, cstr("MulBackward"), str(mul)))
lines.append("typedef struct { const char *name; int ndim; int64_t shape[4]; int float64; int requires_grad;"
             " const char *grad_fn; int transpose; const double *data; const char *expected; } fmt_case;")
lines.append("static const fmt_case fmt_cases[] = {")
for i, (name, t, transpose, gf, expected) in enumerate(rows):
    shape = list(t.shape) + [0] * (4 - t.dim())
    lines.append("  {%s, %d, {%s}, %d, %d, %s, %d, fmt_data_%d,\n   %s}," % (
        cstr(name), t.dim(), ", ".join(str(s) for s in shape), int(t.dtype == f64),
        int(t.requires_grad and t.grad_fn is None), gf, transpose, i, cstr(expected)))
lines.append("};")
lines.append("#define N_FMT_CASES %d" % len(rows))

# ---- unary ops (float64, torch) in the order of dlt_unop ---------------------
x = torch.tensor([-30., -3.5, -2.5, -1., -0.5, -0.0, 0.25, 0.5, 1.5, 2.5, 3.7, 25., 30.], dtype=f64)
unary = [
    ("NEG", torch.neg), ("ABS", torch.abs), ("EXP", torch.exp), ("LOG", torch.log), ("SQRT", torch.sqrt),
    ("SIN", torch.sin), ("COS", torch.cos), ("TANH", torch.tanh), ("SIGMOID", torch.sigmoid),
    ("RELU", torch.relu), ("SIGN", torch.sign), ("FLOOR", torch.floor), ("CEIL", torch.ceil),
    ("ROUND", torch.round), ("SQUARE", torch.square), ("RECIPROCAL", torch.reciprocal),
    ("LOG1P", torch.log1p), ("EXPM1", torch.expm1), ("ERF", torch.erf),
    ("GELU", torch.nn.functional.gelu), ("SILU", torch.nn.functional.silu),
    ("SOFTPLUS", torch.nn.functional.softplus),
    ("ISNAN", lambda t: torch.isnan(t).double()), ("ISINF", lambda t: torch.isinf(t).double()),
]
arr("unary_x", x)
lines.append("#define N_UNARY_X %d" % x.numel())
for name, fn in unary:
    arr("unary_%s" % name.lower(), fn(x))
    arr("unary_%s_f32" % name.lower(), fn(x.float()).double())
lines.append("static const struct { int op; const double *want, *want_f32; } unary_cases[] = {")
for name, _ in unary:
    lines.append("  {DLT_%s, unary_%s, unary_%s_f32}," % (name, name.lower(), name.lower()))
lines.append("};")

# ---- binary ops, broadcast (3,1) with (4) -----------------------------------
a = torch.tensor([[0.5], [2.0], [3.0]], dtype=f64)
b = torch.tensor([2.0, -1.0, 3.0, 0.5], dtype=f64)
binary = [("ADD", torch.add), ("SUB", torch.sub), ("MUL", torch.mul), ("DIV", torch.div), ("POW", torch.pow),
          ("MAXIMUM", torch.maximum), ("MINIMUM", torch.minimum), ("EQ", torch.eq), ("NE", torch.ne),
          ("LT", torch.lt), ("LE", torch.le), ("GT", torch.gt), ("GE", torch.ge)]
arr("binary_a", a)
arr("binary_b", b)
for name, fn in binary:
    arr("binary_%s" % name.lower(), fn(a, b).double())
lines.append("static const struct { int op; const double *want; } binary_cases[] = {")
for name, _ in binary:
    lines.append("  {DLT_%s, binary_%s}," % (name, name.lower()))
lines.append("};")

# ---- ranges -----------------------------------------------------------------
arr("linspace_f32", torch.linspace(-1.3, 2.9, 17).double())
arr("linspace_f64", torch.linspace(-1.3, 2.9, 17, dtype=f64))
arr("logspace_f64", torch.logspace(-2, 3, 11, dtype=f64))
arr("logspace_base2_f32", torch.logspace(0, 5, 6, base=2).double())
arr("arange_f32", torch.arange(-1.0, 2.0, 0.3).double())
lines.append("#define N_ARANGE_F32 %d" % torch.arange(-1.0, 2.0, 0.3).numel())
ls_cases = [(a, b, n) for n in (2, 3, 16, 17, 30, 33, 64, 100, 257) for (a, b) in ((0, 1), (-1.3, 2.9), (-5, 3))]
ar_cases = [(a, b, st) for (a, b, st) in ((0, 10, 0.1), (-1, 2, 0.3), (0.5, 40, 0.7), (3, -4, -0.35), (0, 100, 1))]
arr("ranges_ls_args", [v for c in ls_cases for v in c])
arr("ranges_ar_args", [v for c in ar_cases for v in c])
lines.append("#define N_LS_CASES %d" % len(ls_cases))
lines.append("#define N_AR_CASES %d" % len(ar_cases))
arr("ranges_ls_f32", np.concatenate([torch.linspace(a, b, n).double().numpy() for a, b, n in ls_cases]))
arr("ranges_ls_f64", np.concatenate([torch.linspace(a, b, n, dtype=f64).numpy() for a, b, n in ls_cases]))
arr("ranges_ar_f32", np.concatenate([torch.arange(a, b, st).double().numpy() for a, b, st in ar_cases]))
arr("ranges_ar_f64", np.concatenate([torch.arange(a, b, st, dtype=f64).numpy() for a, b, st in ar_cases]))
arr("linspace_100_f32", torch.linspace(0, 1, 100).double())
arr("linspace_100_f64", torch.linspace(0, 1, 100, dtype=f64))
arr("arange_100_f32", torch.arange(0, 10, 0.1).double())
arr("arange_100_f64", torch.arange(0, 10, 0.1, dtype=f64))

# ---- softmax over each dim of a (2,3,4) tensor --------------------------------
s = torch.randn(2, 3, 4, dtype=f64) * 3
arr("softmax_x", s)
for d in range(3):
    arr("softmax_d%d" % d, torch.softmax(s, d))
    arr("log_softmax_d%d" % d, torch.log_softmax(s, d))

# ---- lstsq (NumPy, rcond=None) ------------------------------------------------
rng = np.random.RandomState(3)
A_over = rng.randn(6, 3)
b_over = rng.randn(6)
A_under = rng.randn(2, 4)
b_under = rng.randn(2, 2)
arr("lstsq_A_over", A_over)
arr("lstsq_b_over", b_over)
arr("lstsq_x_over", np.linalg.lstsq(A_over, b_over, rcond=None)[0])
arr("lstsq_A_under", A_under)
arr("lstsq_b_under", b_under)
arr("lstsq_x_under", np.linalg.lstsq(A_under, b_under, rcond=None)[0])
A_rank = np.outer(rng.randn(5), rng.randn(3))  # rank 1: the minimum-norm answer
b_rank = rng.randn(5)
arr("lstsq_A_rank", A_rank)
arr("lstsq_b_rank", b_rank)
arr("lstsq_x_rank", np.linalg.lstsq(A_rank, b_rank, rcond=None)[0])

# ---- polyfit: the notebook's overfitting cell ----------------------------------
np.random.seed(42)
n_samples = 30
X_train = np.linspace(0, 1, n_samples).reshape(-1, 1)
y_true = np.sin(2 * np.pi * X_train).ravel()
y_train = y_true + 0.3 * np.random.randn(n_samples)
X_test = np.linspace(0, 1, 100)
arr("poly_x", X_train.ravel())
arr("poly_y", y_train)
arr("poly_xtest", X_test)
for deg in (1, 4, 15):
    c = np.polyfit(X_train.ravel(), y_train, deg)
    arr("poly_c%d" % deg, c)
    arr("poly_fit%d" % deg, np.polyval(c, X_train.ravel()))
    arr("poly_test%d" % deg, np.polyval(c, X_test))

with open(OUT, "w") as f:
    f.write("/* fixtures_core.h: generated by tests/golden/gen_core.py from PyTorch %s and NumPy %s;"
            " do not edit. */\n" % (torch.__version__, np.__version__))
    f.write("#ifndef FIXTURES_CORE_H\n#define FIXTURES_CORE_H\n#include <math.h>\n#include <stdint.h>\n"
            "#include \"core/ops.h\"\n\n")
    f.write("\n".join(lines))
    f.write("\n\n#endif\n")
print("wrote", os.path.normpath(OUT))
