#!/usr/bin/python3
"""gen_losses.py: writes tests/fixtures/losses.lua, PyTorch 1.13's values and input
gradients of the losses with their options: cross_entropy and nll_loss with weight,
ignore_index, label_smoothing, K-dimensional input and probability targets;
binary_cross_entropy with weight (and its clamps at 0 and 1);
binary_cross_entropy_with_logits with weight and pos_weight; smooth_l1_loss (beta),
huber_loss (delta), kl_div (batchmean, log_target). Run with /usr/bin/python3.

Class targets are written 1-based (as dlt counts classes); an ignore_index that names a
class is written 1-based too, -100 stays. The gradient is that of sum(out * g) with
g[i] = cos(i) over the output's flat elements (g = 1 for a scalar)."""
import math
import os

import torch
import torch.nn.functional as F

from lua_literal import lua

torch.manual_seed(14)


def flat(t):
    return t.detach().double().reshape(-1).tolist()


def lua_class(v, ignore):
    return v if v == ignore and v < 0 else v + 1


def case(fn, x, target, opts, dtype=torch.float64, class_target=False, name=None):
    x = x.to(dtype).detach().requires_grad_()
    if not class_target and isinstance(target, torch.Tensor):
        target = target.to(dtype)
    kw = dict(opts)
    for k in ("weight", "pos_weight"):
        if k in kw:
            kw[k] = torch.tensor(kw[k], dtype=dtype)
    out = getattr(F, fn)(x, target, **kw)
    g = torch.tensor([math.cos(i) for i in range(out.numel())], dtype=dtype).reshape(out.shape) \
        if out.dim() > 0 else torch.tensor(1.0, dtype=dtype)
    (out * g).sum().backward()
    lopts = dict(opts)
    ignore = opts.get("ignore_index", -100)
    if "ignore_index" in lopts and lopts["ignore_index"] >= 0:
        lopts["ignore_index"] += 1
    if class_target:
        if isinstance(target, torch.Tensor):
            tgt = {"shape": list(target.shape),
                   "values": [lua_class(int(v), ignore) for v in target.reshape(-1).tolist()]}
        else:
            tgt = {"shape": [], "values": [lua_class(int(target), ignore)]}
    else:
        tgt = {"shape": list(target.shape), "values": flat(target)}
    return {"name": name or fn, "fn": fn, "dtype": str(dtype).replace("torch.", ""), "opts": lopts,
            "class_target": class_target, "x": {"shape": list(x.shape), "values": flat(x)},
            "target": tgt, "out": {"shape": list(out.shape), "values": flat(out)},
            "dx": flat(x.grad)}


def classes(shape, C, ignore=None, n_ignore=0):
    t = torch.randint(0, C, shape)
    if ignore is not None:
        flat_t = t.view(-1)
        for i in range(n_ignore):
            flat_t[(3 * i + 1) % flat_t.numel()] = ignore
    return t


def main():
    cases = []
    x54 = torch.randn(5, 4)
    t5 = classes((5,), 4)
    w4 = [0.5, 2.0, 1.0, 3.0]
    for red in ("mean", "sum", "none"):
        cases.append(case("cross_entropy", x54, t5, {"weight": w4, "reduction": red}, class_target=True))
        cases.append(case("cross_entropy", x54, t5, {"label_smoothing": 0.2, "reduction": red},
                          class_target=True))
        cases.append(case("cross_entropy", x54, classes((5,), 4, 1, 2),
                          {"weight": w4, "label_smoothing": 0.1, "ignore_index": 1, "reduction": red},
                          class_target=True))
        cases.append(case("cross_entropy", x54, classes((5,), 4, -100, 2),
                          {"label_smoothing": 0.3, "reduction": red}, class_target=True))
        cases.append(case("nll_loss", F.log_softmax(x54, 1), classes((5,), 4, 2, 1),
                          {"weight": w4, "ignore_index": 2, "reduction": red}, class_target=True))
    cases.append(case("cross_entropy", x54, classes((5,), 4, -100, 2), {}, class_target=True,
                      name="cross_entropy default ignore_index"))
    x243 = torch.randn(2, 4, 3)
    cases.append(case("cross_entropy", x243, classes((2, 3), 4), {}, class_target=True))
    x3222 = torch.randn(2, 3, 2, 2)
    for red in ("mean", "none"):
        cases.append(case("cross_entropy", x3222, classes((2, 2, 2), 3, 0, 2),
                          {"weight": [1.0, 0.3, 2.0], "ignore_index": 0, "label_smoothing": 0.15,
                           "reduction": red}, class_target=True))
        cases.append(case("nll_loss", F.log_softmax(x3222, 1), classes((2, 2, 2), 3, -100, 1),
                          {"weight": [1.0, 0.3, 2.0], "reduction": red}, class_target=True))
    cases.append(case("cross_entropy", torch.randn(4), torch.tensor(2), {"label_smoothing": 0.1},
                      class_target=True, name="cross_entropy unbatched"))
    probs = F.softmax(torch.randn(5, 4), 1)
    for red in ("mean", "none"):
        cases.append(case("cross_entropy", x54, probs, {"weight": w4, "label_smoothing": 0.25,
                                                        "reduction": red}, name="cross_entropy probs"))
    # BCE: weight broadcast over rows, inputs including exactly 0 and 1 (the clamps)
    xb = torch.tensor([[0.0, 0.3, 1.0], [0.9, 1.0, 0.0], [0.5, 0.2, 0.7], [1e-7, 0.999999, 0.4]])
    tb = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 1.0]])
    for dtype in (torch.float64, torch.float32):
        for red in ("mean", "sum", "none"):
            cases.append(case("binary_cross_entropy", xb, tb, {"reduction": red}, dtype=dtype))
            cases.append(case("binary_cross_entropy", xb, tb, {"weight": [0.5, 2.0, 1.5],
                                                              "reduction": red}, dtype=dtype))
    xl = torch.randn(4, 3) * 3
    tl = (torch.rand(4, 3) > 0.5).double()
    for red in ("mean", "sum", "none"):
        cases.append(case("binary_cross_entropy_with_logits", xl, tl,
                          {"pos_weight": [3.0, 0.5, 1.0], "reduction": red}))
        cases.append(case("binary_cross_entropy_with_logits", xl, tl,
                          {"weight": [[2.0], [1.0], [0.5], [1.5]], "reduction": red}))
        cases.append(case("binary_cross_entropy_with_logits", xl, tl,
                          {"weight": [1.0, 2.0, 0.1], "pos_weight": [2.0, 2.0, 4.0], "reduction": red}))
    xr, tr = torch.randn(3, 4) * 2, torch.randn(3, 4)
    for red in ("mean", "sum", "none"):
        for beta in (1.0, 0.5, 0.0):
            cases.append(case("smooth_l1_loss", xr, tr, {"beta": beta, "reduction": red}))
        for delta in (1.0, 2.5):
            cases.append(case("huber_loss", xr, tr, {"delta": delta, "reduction": red}))
    lp = F.log_softmax(torch.randn(3, 4), 1)
    tk = F.softmax(torch.randn(3, 4), 1)
    tk[0, 1] = 0.0
    for red in ("batchmean", "mean", "sum", "none"):
        cases.append(case("kl_div", lp, tk, {"reduction": red}))
        cases.append(case("kl_div", lp, F.log_softmax(torch.randn(3, 4), 1),
                          {"reduction": red, "log_target": True}))
    lines = ["-- generated by tests/golden/gen_losses.py with torch %s; do not edit" % torch.__version__,
             "return {"]
    for c in cases:
        lines.append("  %s," % lua(c))
    lines.append("}")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "fixtures", "losses.lua"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
