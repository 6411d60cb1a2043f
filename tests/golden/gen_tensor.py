#!/usr/bin/python3
"""gen_tensor.py: PyTorch's results for the tensor API (broadcast arithmetic, elementwise
functions, reductions with dims, var/std, matmul, softmax, norm, printouts, gradients of
composite expressions), written to tests/fixtures/tensor.lua for tests/lua/test_tensor*.lua.

Run from the source root with Debian's python (torch 1.13): /usr/bin/python3 tests/golden/gen_tensor.py
Each case name matches a function of the same name in tests/lua/test_tensor_fixtures.lua;
dims and indices there are 1-based, here 0-based.
"""
import os
import torch

torch.manual_seed(1234)
g = torch.Generator().manual_seed(20240601)


def randn(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


IN = {
    "A": randn(3, 4),
    "B": randn(4),
    "C": randn(3, 1),
    "D": randn(2, 3, 4),
    "M": randn(4, 5),
    "V": randn(4),
    "P": randn(3, 4).abs() + 0.5,
    "X": randn(5, 3),
    "W": randn(3, 2),
    "T": torch.softmax(randn(5, 3), 1),
}

F = torch.nn.functional

# name -> function of the inputs dict; results are tensors or tuples of tensors
CASES = {
    # broadcasting arithmetic (numbers on either side)
    "add_bcast": lambda t: t["A"] + t["B"],
    "sub_bcast": lambda t: t["A"] - t["C"],
    "mul_bcast3": lambda t: t["D"] * t["B"],
    "div_bcast": lambda t: t["A"] / t["P"],
    "add_scalar_left": lambda t: 2.5 + t["A"],
    "rsub": lambda t: 1 - t["A"],
    "rdiv": lambda t: 1 / t["P"],
    "pow_scalar": lambda t: t["P"] ** 1.5,
    "rpow": lambda t: 2 ** t["A"],
    "pow_tensor": lambda t: t["P"] ** t["B"],
    "neg": lambda t: -t["A"],
    "maximum": lambda t: torch.maximum(t["A"], t["B"]),
    "minimum": lambda t: torch.minimum(t["A"], t["C"]),
    "add_alpha": lambda t: torch.add(t["A"], t["B"], alpha=-2),
    # elementwise functions
    "exp": lambda t: t["A"].exp(),
    "log": lambda t: t["P"].log(),
    "sqrt": lambda t: t["P"].sqrt(),
    "sin": lambda t: t["A"].sin(),
    "cos": lambda t: t["A"].cos(),
    "tanh": lambda t: t["A"].tanh(),
    "sigmoid": lambda t: t["A"].sigmoid(),
    "relu": lambda t: t["A"].relu(),
    "abs": lambda t: t["A"].abs(),
    "sign": lambda t: t["A"].sign(),
    "floor": lambda t: (t["A"] * 3).floor(),
    "ceil": lambda t: (t["A"] * 3).ceil(),
    "clamp": lambda t: t["A"].clamp(-0.5, 0.5),
    "clamp_lo": lambda t: t["A"].clamp(min=0.1),
    "leaky_relu": lambda t: F.leaky_relu(t["A"], 0.1),
    "square": lambda t: t["A"].square(),
    "reciprocal": lambda t: t["P"].reciprocal(),
    "log1p": lambda t: t["P"].log1p(),
    "expm1": lambda t: t["A"].expm1(),
    "erf": lambda t: t["A"].erf(),
    "gelu": lambda t: F.gelu(t["A"]),
    "silu": lambda t: F.silu(t["A"]),
    "softplus": lambda t: F.softplus(t["A"]),
    # comparisons give bool tensors
    "gt_bcast": lambda t: t["A"] > t["B"],
    "le_scalar": lambda t: t["A"] <= 0.2,
    "eq_self": lambda t: t["A"] == t["A"],
    # reductions
    "sum_all": lambda t: t["A"].sum(),
    "sum_d1": lambda t: t["A"].sum(0),
    "sum_d2_keep": lambda t: t["A"].sum(1, keepdim=True),
    "sum_3d_d2": lambda t: t["D"].sum(1),
    "mean_all": lambda t: t["D"].mean(),
    "mean_last_keep": lambda t: t["D"].mean(-1, keepdim=True),
    "prod_d2": lambda t: t["A"].prod(1),
    "max_all": lambda t: t["A"].max(),
    "min_all": lambda t: t["D"].min(),
    "max_d2": lambda t: t["A"].max(1),
    "min_d1_keep": lambda t: t["A"].min(0, keepdim=True),
    "max_3d_d3": lambda t: t["D"].max(2),
    "argmax_d2": lambda t: t["A"].argmax(1),
    "argmin_d1": lambda t: t["A"].argmin(0),
    "argmax_all": lambda t: t["D"].argmax(),
    "var_all": lambda t: t["A"].var(),
    "var_d1": lambda t: t["A"].var(0),
    "var_d2_biased": lambda t: t["A"].var(1, unbiased=False),
    "var_3d_keep": lambda t: t["D"].var(1, keepdim=True),
    "std_all": lambda t: t["D"].std(),
    "std_d2": lambda t: t["A"].std(1),
    "std_all_biased": lambda t: t["A"].std(unbiased=False),
    "norm_all": lambda t: t["A"].norm(),
    "norm_p1_d2": lambda t: t["A"].norm(1, 1),
    "norm_p3_d1_keep": lambda t: t["A"].norm(3, 0, keepdim=True),
    "all_d2": lambda t: (t["A"] > -1).all(1),
    "any_all": lambda t: (t["A"] > 1).any(),
    # softmax
    "softmax_d2": lambda t: t["A"].softmax(1),
    "softmax_d1": lambda t: t["A"].softmax(0),
    "log_softmax_d2": lambda t: t["A"].log_softmax(1),
    "softmax_3d": lambda t: t["D"].softmax(-1),
    # linear algebra
    "matmul_2d": lambda t: t["A"] @ t["M"],
    "matmul_batched": lambda t: t["D"] @ t["M"],
    "matmul_mv": lambda t: t["A"] @ t["V"],
    "matmul_vm": lambda t: t["B"] @ t["M"],
    "mm_t": lambda t: t["A"].t().mm(t["A"]),
    "dot": lambda t: t["V"].dot(t["B"]),
    # shapes and indexing
    "cat_d1": lambda t: torch.cat([t["A"], t["P"]], 0),
    "cat_d2": lambda t: torch.cat([t["A"], t["C"]], 1),
    "stack_d2": lambda t: torch.stack([t["A"], t["P"]], 1),
    "narrow": lambda t: t["A"].narrow(1, 1, 2),
    "index_select": lambda t: t["A"].index_select(1, torch.tensor([2, 0, 2])),
    "transpose": lambda t: t["D"].transpose(0, 2).contiguous(),
    "permute": lambda t: t["D"].permute(2, 0, 1).contiguous(),
    "where": lambda t: torch.where(t["A"] > 0, t["A"], t["B"]),
    "masked_fill": lambda t: t["A"].masked_fill(t["A"] < 0, -1.0),
    "masked_select": lambda t: t["A"].masked_select(t["A"] > 0),
    "row_view": lambda t: t["A"][1],
    "select_d2": lambda t: t["D"].select(1, 2),
    "expand": lambda t: t["C"].expand(3, 4).contiguous(),
    "meshgrid_x": lambda t: torch.meshgrid(t["B"], t["V"][:3], indexing="xy")[0],
    "meshgrid_y": lambda t: torch.meshgrid(t["B"], t["V"][:3], indexing="xy")[1],
    # creation (compared in float64 and float32)
    "linspace": lambda t: torch.linspace(-1, 2, 7, dtype=t["A"].dtype),
    "logspace": lambda t: torch.logspace(0, 2, 5, dtype=t["A"].dtype),
    "logspace_base2": lambda t: torch.logspace(0, 3, 4, base=2, dtype=t["A"].dtype),
    "arange_step": lambda t: torch.arange(0, 1, 0.1, dtype=t["A"].dtype),
    "arange_n": lambda t: torch.arange(5, dtype=t["A"].dtype),
    "eye_rect": lambda t: torch.eye(3, 4, dtype=t["A"].dtype),
}


# gradients of composite expressions: name -> (function, names of inputs that require grad)
def g_mlp(t):
    h = torch.tanh(t["X"] @ t["W"] + t["B"][:2])
    return (h.sigmoid() ** 2).mean() + 0.1 * t["W"].abs().sum()


def g_softmax_ce(t):
    return -(t["X"].log_softmax(1) * t["T"]).sum(1).mean()


def g_bcast_stats(t):
    z = (t["A"] - t["A"].mean(1, keepdim=True)) / t["A"].std(1, keepdim=True)
    return (z * t["B"]).norm() + t["C"].exp().sum() * t["P"].var()


def g_index_ops(t):
    m, _ = t["D"].max(2)
    s = torch.cat([t["A"].narrow(1, 0, 2), t["A"].index_select(1, torch.tensor([3, 3]))], 0)
    return m.sum() + (s * s).sum() + t["A"][1].dot(t["B"]) + t["A"].clamp(-0.3, 0.3).sum()


def g_matmul_div(t):
    r = (t["D"] @ t["M"]).relu()
    return (r / (1 + r.sum(-1, keepdim=True))).sqrt().sum() + (t["P"].log() * t["A"]).sum()


GRADS = {
    "mlp": (g_mlp, ["X", "W", "B"]),
    "softmax_ce": (g_softmax_ce, ["X"]),
    "bcast_stats": (g_bcast_stats, ["A", "B", "C", "P"]),
    "index_ops": (g_index_ops, ["D", "A", "B"]),
    "matmul_div": (g_matmul_div, ["D", "M", "P", "A"]),
}

# printouts: name -> tensor, compared with tostring()
STRINGS = {
    "ints_1d": torch.tensor([1.0, 2.0, 3.0]),
    "floats_2d": torch.tensor([[1.5, -2.25], [3.0, 4.125]]),
    "scalar": torch.tensor(3.5),
    "float64": torch.tensor([0.1, 0.2], dtype=torch.float64),
    "small_sci": torch.tensor([1e-5, 2.5e-3, 1.0]),
    "large_sci": torch.tensor([1e6, 2.0, 3.0]),
    "summarized": torch.arange(2000.0),
    "empty": torch.zeros(0),
    "three_d": torch.arange(8.0).reshape(2, 2, 2),
    "negative": torch.tensor([[-1.0, 0.5], [2.0, -3.0]]),
    "requires_grad": torch.tensor([1.0, 2.0], requires_grad=True),
    # int64 and bool print by their values, with no dtype unless empty
    "long_1d": torch.tensor([1, -20, 300]),
    "long_2d": torch.tensor([[7, 0], [-3, 12345]]),
    "long_scalar": torch.tensor(7),
    "long_empty": torch.zeros(0, dtype=torch.int64),
    "long_summarized": torch.arange(2000),
    "bool_1d": torch.tensor([True, False, True]),
    "bool_all_true": torch.tensor([[True, True], [True, True]]),
    "bool_scalar": torch.tensor(False),
    "bool_empty": torch.zeros(0, dtype=torch.bool),
    "argmax": torch.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1) + 1,
}


def num(x):
    x = float(x)
    if x != x:
        return "0/0"
    if x in (float("inf"), float("-inf")):
        return "math.huge" if x > 0 else "-math.huge"
    return "%.17g" % x


def tab(t):
    t = t.detach()
    if t.dim() == 0:
        return num(t.item())
    return "{" + ", ".join(tab(r) if t.dim() > 1 else num(r) for r in t) + "}"


def flat(t):
    return "{" + ", ".join(num(v) for v in t.detach().reshape(-1).tolist()) + "}"


def shape(t):
    return "{" + ", ".join(str(s) for s in t.shape) + "}"


def entry(r, is_index=False):
    if is_index:
        r = r + 1  # 1-based positions
    dtype = str(r.dtype).replace("torch.", "")
    return "{shape = %s, values = %s, dtype = \"%s\"}" % (shape(r), flat(r), dtype)


def results(out, indexed):
    if isinstance(out, tuple):  # (values, indices)
        return "{%s, %s}" % (entry(out[0]), entry(out[1], True))
    return "{%s}" % entry(out, indexed)


def main():
    out = ["-- generated by tests/golden/gen_tensor.py (torch %s); do not edit" % torch.__version__, "return {"]
    out.append("  inputs = {")
    for k, v in IN.items():
        out.append("    %s = %s," % (k, tab(v)))
    out.append("  },")
    out.append("  cases = {")
    for dt, name in ((torch.float64, "float64"), (torch.float32, "float32")):
        out.append("    %s = {" % name)
        inp = {k: v.to(dt) for k, v in IN.items()}
        for k, f in CASES.items():
            indexed = k.startswith("argm")
            out.append("      %s = %s," % (k, results(f(inp), indexed)))
        out.append("    },")
    out.append("  },")
    out.append("  grads = {")
    for k, (f, names) in GRADS.items():
        inp = {n: v.clone().requires_grad_(n in names) for n, v in IN.items()}
        loss = f(inp)
        loss.backward()
        gs = ", ".join("%s = %s" % (n, entry(inp[n].grad)) for n in names)
        out.append("    %s = {loss = %s, %s}," % (k, num(loss.item()), gs))
    out.append("  },")
    out.append("  strings = {")
    for k, v in STRINGS.items():
        out.append("    %s = %s," % (k, '"' + str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') + '"'))
    out.append("  },")
    out.append("}")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tensor.lua")
    with open(root, "w") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
