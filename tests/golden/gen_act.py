#!/usr/bin/python3
"""gen_act.py: writes tests/fixtures/act.lua, PyTorch 1.13's outputs, input gradients and
printouts of the activation layers ELU, SELU, CELU, Softplus, Mish, Hardtanh, ReLU6,
Hardswish, PReLU (its weight gradient too), LogSoftmax and Softmin, and nn.Embedding's
output and weight gradient with padding_idx and max_norm. Run with /usr/bin/python3.

Inputs are float64 and include the kinks (0, -3, 3, the clamp bounds, the softplus
threshold). The gradient is that of sum(out * g) with g[i] = cos(i) over the output's
flat elements. Embedding indices and padding_idx are written 1-based."""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from lua_literal import lua

torch.manual_seed(14)
D = torch.float64


def flat(t):
    return t.detach().double().reshape(-1).tolist()


def cosg(out):
    return torch.tensor([math.cos(i) for i in range(out.numel())], dtype=D).reshape(out.shape)


X = torch.tensor([-7.0, -3.5, -3.0, -2.0, -1.0, -0.5, -0.25, 0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 3.5, 6.0, 7.5,
                  10.0, 10.5, 21.0], dtype=D)
X2 = torch.randn(3, 4, dtype=D) * 2


def act_case(ctor, lua_ctor, fn, fargs, lua_fargs, x):
    """a module and its functional form on x; the module's printout"""
    m = ctor()
    xm = x.clone().requires_grad_()
    y = m(xm * 1)  # not the leaf itself: the inplace=True modules write into their input
    (y * cosg(y)).sum().backward()
    xf = x.clone().requires_grad_()
    yf = fn(xf, *fargs)
    assert torch.equal(yf, y)
    return {"module": lua_ctor, "fn": lua_fargs[0], "fargs": lua_fargs[1], "repr": repr(m),
            "shape": list(x.shape), "x": flat(x), "y": flat(y), "dx": flat(xm.grad)}


cases = [
    act_case(lambda: nn.ELU(), "ELU()", F.elu, [], ["elu", []], X),
    act_case(lambda: nn.ELU(0.7), "ELU(0.7)", F.elu, [0.7], ["elu", [0.7]], X),
    act_case(lambda: nn.ELU(alpha=2.5, inplace=True), "ELU({alpha = 2.5, inplace = true})", F.elu, [2.5],
             ["elu", [2.5]], X2),
    act_case(lambda: nn.SELU(), "SELU()", F.selu, [], ["selu", []], X),
    act_case(lambda: nn.CELU(), "CELU()", F.celu, [], ["celu", []], X),
    act_case(lambda: nn.CELU(0.3), "CELU(0.3)", F.celu, [0.3], ["celu", [0.3]], X),
    act_case(lambda: nn.Softplus(), "Softplus()", F.softplus, [], ["softplus", []], X),
    act_case(lambda: nn.Softplus(beta=2, threshold=7), "Softplus({beta = 2, threshold = 7})", F.softplus, [2, 7],
             ["softplus", [2, 7]], X),
    act_case(lambda: nn.Softplus(0.5, 10.5), "Softplus(0.5, 10.5)", F.softplus, [0.5, 10.5],
             ["softplus", [0.5, 10.5]], X),
    act_case(lambda: nn.Mish(), "Mish()", F.mish, [], ["mish", []], X),
    act_case(lambda: nn.Hardtanh(), "Hardtanh()", F.hardtanh, [], ["hardtanh", []], X),
    act_case(lambda: nn.Hardtanh(-2.0, 3.0), "Hardtanh(-2.0, 3.0)", F.hardtanh, [-2.0, 3.0],
             ["hardtanh", [-2.0, 3.0]], X),
    act_case(lambda: nn.Hardtanh(min_val=-0.25, max_val=6), "Hardtanh({min_val = -0.25, max_val = 6})",
             F.hardtanh, [-0.25, 6], ["hardtanh", [-0.25, 6]], X),
    act_case(lambda: nn.ReLU6(), "ReLU6()", F.relu6, [], ["relu6", []], X),
    act_case(lambda: nn.ReLU6(inplace=True), "ReLU6({inplace = true})", F.relu6, [], ["relu6", []], X2),
    act_case(lambda: nn.Hardswish(), "Hardswish()", F.hardswish, [], ["hardswish", []], X),
    act_case(lambda: nn.Mish(inplace=True), "Mish({inplace = true})", F.mish, [], ["mish", []], X2),
    act_case(lambda: nn.LogSoftmax(dim=1), "LogSoftmax(2)", F.log_softmax, [1], ["log_softmax", [2]], X2),
    act_case(lambda: nn.LogSoftmax(dim=0), "LogSoftmax(1)", F.log_softmax, [0], ["log_softmax", [1]], X2),
    act_case(lambda: nn.Softmin(dim=1), "Softmin(2)", F.softmin, [1], ["softmin", [2]], X2),
    act_case(lambda: nn.Softmin(dim=-1), "Softmin(-1)", F.softmin, [-1], ["softmin", [-1]], X2),
]


def prelu_case(num, init, x):
    m = nn.PReLU(num, init).double()
    with torch.no_grad():
        m.weight.copy_(torch.linspace(0.1, 0.1 * num + 0.15, num, dtype=D)) if num > 1 else None
    xm = x.clone().requires_grad_()
    y = m(xm)
    (y * cosg(y)).sum().backward()
    return {"num": num, "init": init, "repr": repr(m), "w": flat(m.weight), "shape": list(x.shape),
            "x": flat(x), "y": flat(y), "dx": flat(xm.grad), "dw": flat(m.weight.grad)}


X4 = torch.randn(2, 3, 2, 2, dtype=D)
X4[0, 0, 0, 0] = 0.0
prelu = [prelu_case(1, 0.25, X), prelu_case(1, 0.1, X2), prelu_case(4, 0.25, X2), prelu_case(3, 0.25, X4)]


def emb_case(num, dim, idx, padding_idx=None, max_norm=None, norm_type=2.0, pretrained=False, freeze=True):
    w0 = torch.randn(num, dim, dtype=D) * 1.5
    if pretrained:
        m = nn.Embedding.from_pretrained(w0.clone(), freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                                         norm_type=norm_type)
    else:
        m = nn.Embedding(num, dim, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type).double()
        with torch.no_grad():
            m.weight.copy_(w0)
    m.weight.requires_grad_(True)
    i = torch.tensor(idx)
    y = m(i)
    (y * cosg(y)).sum().backward()
    return {"num": num, "dim": dim, "idx_shape": list(i.shape), "idx": [v + 1 for v in i.reshape(-1).tolist()],
            "padding_idx": None if padding_idx is None else (padding_idx + 1 if padding_idx >= 0 else padding_idx),
            "max_norm": max_norm, "norm_type": norm_type, "pretrained": pretrained, "repr": repr(m),
            "w0": flat(w0), "w_after": flat(m.weight), "y": flat(y), "dw": flat(m.weight.grad)}


emb = [
    emb_case(6, 3, [[0, 2, 5], [2, 1, 0]]),
    emb_case(6, 3, [[0, 2, 5], [2, 1, 0]], padding_idx=2),
    emb_case(5, 4, [4, 0, 4, 3], padding_idx=-1),
    emb_case(7, 3, [[1, 6], [3, 1], [0, 0]], max_norm=1.0),
    emb_case(7, 3, [1, 6, 3], max_norm=0.5, norm_type=1.0),
    emb_case(4, 2, [3, 0, 1], pretrained=True, padding_idx=0),
]

lines = ["-- generated by tests/golden/gen_act.py from PyTorch %s; do not edit" % torch.__version__, "return {"]
lines.append("  cases = {")
for c in cases:
    lines.append("    %s," % lua(c))
lines.append("  },")
lines.append("  prelu = {")
for c in prelu:
    lines.append("    %s," % lua(c))
lines.append("  },")
lines.append("  emb = {")
for c in emb:
    c = {k: v for k, v in c.items() if v is not None}
    lines.append("    %s," % lua(c))
lines.append("  },")
lines.append("}")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "act.lua")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
