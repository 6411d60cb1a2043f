#!/usr/bin/python3
"""gen_nn.py: writes tests/fixtures/nn.lua, PyTorch's outputs and gradients for dlt.nn's
layers, activations and losses, in float64 and float32.

Run from the source root with Debian's python3 (torch 1.13): /usr/bin/python3 tests/golden/gen_nn.py
Each layer case holds the constructor (as a Lua expression), the state_dict loaded into
the module, the input x, the upstream gradient g (the test backpropagates sum(y * g)),
and the expected output, input gradient, parameter gradients and buffers afterwards."""
import torch
import torch.nn as nn

torch.manual_seed(20240611)


def lua(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().double().tolist()
    if isinstance(v, (list, tuple)):
        return "{" + ",".join(lua(e) for e in v) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.17g" % v
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, dict):
        return "{" + ",".join("[%s]=%s" % (lua(k), lua(e)) for k, e in v.items()) + "}"
    raise TypeError(type(v))


def key(k):
    """a state_dict key with Sequential's children numbered from 1, as dlt numbers them"""
    return ".".join(str(int(p) + 1) if p.isdigit() else p for p in k.split("."))


def tensor_entry(t):
    """a tensor as {shape={...}, values={...}} (values flat, row-major)"""
    return {"shape": list(t.shape), "values": t.detach().double().reshape(-1).tolist()}


def layer_case(name, ctor_lua, make, x_shape, dtype, randomize=True, eval_after=False, x_scale=1.0, x_shift=0.0):
    torch.set_default_dtype(dtype)
    m = make()
    if randomize:
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p.dim() == 1 and "norm" in type(m).__name__.lower() else 0.0))
    state = {key(k): tensor_entry(v) for k, v in m.state_dict().items()}
    x = (torch.randn(*x_shape) * x_scale + x_shift).requires_grad_()
    y = m(x)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    case = {
        "name": name, "ctor": ctor_lua, "dtype": str(dtype).replace("torch.", ""),
        "state": state, "x": tensor_entry(x), "g": tensor_entry(g), "y": tensor_entry(y),
        "dx": tensor_entry(x.grad),
        "grads": {key(k): tensor_entry(p.grad) for k, p in m.named_parameters()},
        "after": {key(k): tensor_entry(v) for k, v in m.state_dict().items()},
    }
    if eval_after:
        m.eval()
        x2 = torch.randn(*x_shape).requires_grad_()
        y2 = m(x2)
        g2 = torch.randn_like(y2)
        (y2 * g2).sum().backward()
        case["eval"] = {"x": tensor_entry(x2), "g": tensor_entry(g2), "y": tensor_entry(y2), "dx": tensor_entry(x2.grad)}
    return case


def layer_cases(dtype):
    L = []
    L.append(layer_case("Linear", "nn.Linear(3, 4)", lambda: nn.Linear(3, 4), (5, 3), dtype))
    L.append(layer_case("Linear without bias, 3-D input", "nn.Linear(3, 4, {bias=false})",
                        lambda: nn.Linear(3, 4, bias=False), (2, 5, 3), dtype))
    L.append(layer_case("BatchNorm1d", "nn.BatchNorm1d(4)", lambda: nn.BatchNorm1d(4), (8, 4), dtype,
                        eval_after=True, x_scale=3.0, x_shift=2.0))
    L.append(layer_case("BatchNorm1d 3-D, momentum 0.3", "nn.BatchNorm1d(3, {momentum=0.3})",
                        lambda: nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5), dtype, eval_after=True))
    L.append(layer_case("BatchNorm1d without affine", "nn.BatchNorm1d(4, {affine=false})",
                        lambda: nn.BatchNorm1d(4, affine=False), (6, 4), dtype, eval_after=True))
    L.append(layer_case("BatchNorm1d without running stats", "nn.BatchNorm1d(4, {track_running_stats=false})",
                        lambda: nn.BatchNorm1d(4, track_running_stats=False), (6, 4), dtype, eval_after=True))
    L.append(layer_case("LayerNorm", "nn.LayerNorm(4)", lambda: nn.LayerNorm(4), (5, 4), dtype, x_shift=1.0))
    L.append(layer_case("LayerNorm 2-D shape", "nn.LayerNorm({2, 3})", lambda: nn.LayerNorm([2, 3]), (4, 2, 3), dtype))
    L.append(layer_case("LayerNorm without affine", "nn.LayerNorm(4, {elementwise_affine=false, eps=1e-3})",
                        lambda: nn.LayerNorm(4, elementwise_affine=False, eps=1e-3), (3, 4), dtype))
    L.append(layer_case("GroupNorm", "nn.GroupNorm(2, 4)", lambda: nn.GroupNorm(2, 4), (3, 4, 5), dtype))
    L.append(layer_case("GroupNorm 2-D input", "nn.GroupNorm(2, 8)", lambda: nn.GroupNorm(2, 8), (5, 8), dtype, x_scale=2.0))
    L.append(layer_case("InstanceNorm1d", "nn.InstanceNorm1d(4)", lambda: nn.InstanceNorm1d(4), (3, 4, 5), dtype))
    L.append(layer_case("InstanceNorm1d affine", "nn.InstanceNorm1d(4, {affine=true})",
                        lambda: nn.InstanceNorm1d(4, affine=True), (3, 4, 5), dtype))
    L.append(layer_case("InstanceNorm1d with running stats", "nn.InstanceNorm1d(4, {affine=true, track_running_stats=true, momentum=0.2})",
                        lambda: nn.InstanceNorm1d(4, affine=True, track_running_stats=True, momentum=0.2), (3, 4, 5),
                        dtype, eval_after=True, x_shift=1.5))
    L.append(layer_case("InstanceNorm1d unbatched", "nn.InstanceNorm1d(4, {track_running_stats=true})",
                        lambda: nn.InstanceNorm1d(4, track_running_stats=True), (4, 6), dtype, eval_after=True))
    L.append(layer_case("ReLU", "nn.ReLU()", lambda: nn.ReLU(), (4, 5), dtype))
    L.append(layer_case("LeakyReLU", "nn.LeakyReLU(0.2)", lambda: nn.LeakyReLU(0.2), (4, 5), dtype))
    L.append(layer_case("Tanh", "nn.Tanh()", lambda: nn.Tanh(), (4, 5), dtype))
    L.append(layer_case("Sigmoid", "nn.Sigmoid()", lambda: nn.Sigmoid(), (4, 5), dtype))
    L.append(layer_case("GELU", "nn.GELU()", lambda: nn.GELU(), (4, 5), dtype, x_scale=2.0))
    L.append(layer_case("GELU tanh", "nn.GELU({approximate='tanh'})", lambda: nn.GELU(approximate="tanh"), (4, 5), dtype, x_scale=2.0))
    L.append(layer_case("SiLU", "nn.SiLU()", lambda: nn.SiLU(), (4, 5), dtype, x_scale=2.0))
    L.append(layer_case("Softmax dim 2", "nn.Softmax(2)", lambda: nn.Softmax(dim=1), (4, 5), dtype))
    L.append(layer_case("Softmax dim 1 of 3-D", "nn.Softmax(1)", lambda: nn.Softmax(dim=0), (3, 4, 2), dtype))
    L.append(layer_case("Softmax dim -1", "nn.Softmax(-1)", lambda: nn.Softmax(dim=-1), (3, 4, 2), dtype))
    L.append(layer_case("Identity", "nn.Identity()", lambda: nn.Identity(), (3, 2), dtype))
    L.append(layer_case("Dropout p=0", "nn.Dropout(0)", lambda: nn.Dropout(0.0), (3, 2), dtype))
    L.append(layer_case("Sequential with fused Linear+ReLU",
                        "nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2))",
                        lambda: nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2)),
                        (7, 3), dtype))
    return L


def loss_case(name, fn_lua, fn, x, t, reduction, dtype, targets_are_classes=False):
    x = x.clone().requires_grad_()
    y = fn(x, t, reduction=reduction)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    tt = (t + 1).double() if targets_are_classes else t  # 1-based classes in Lua
    return {"name": "%s %s" % (name, reduction), "fn": fn_lua, "reduction": reduction,
            "dtype": str(dtype).replace("torch.", ""), "x": tensor_entry(x), "t": tensor_entry(tt),
            "g": tensor_entry(g), "y": tensor_entry(y), "dx": tensor_entry(x.grad)}


def loss_cases(dtype):
    torch.set_default_dtype(dtype)
    F = nn.functional
    L = []
    for red in ("mean", "sum", "none"):
        x, t = torch.randn(4, 3), torch.randn(4, 3)
        L.append(loss_case("MSELoss", "MSELoss", F.mse_loss, x, t, red, dtype))
        L.append(loss_case("L1Loss", "L1Loss", F.l1_loss, x, t, red, dtype))
        p, b = torch.rand(5, 2) * 0.9 + 0.05, torch.rand(5, 2)
        L.append(loss_case("BCELoss", "BCELoss", F.binary_cross_entropy, p, b, red, dtype))
        L.append(loss_case("BCEWithLogitsLoss", "BCEWithLogitsLoss", F.binary_cross_entropy_with_logits,
                           torch.randn(5, 2) * 3, (torch.rand(5, 2) > 0.5).to(dtype), red, dtype))
        logits, cls = torch.randn(6, 4) * 2, torch.randint(0, 4, (6,))
        L.append(loss_case("CrossEntropyLoss", "CrossEntropyLoss", F.cross_entropy, logits, cls, red, dtype, True))
        probs = torch.softmax(torch.randn(6, 4), 1)
        L.append(loss_case("CrossEntropyLoss probabilities", "CrossEntropyLoss", F.cross_entropy, logits, probs, red, dtype))
        logp = torch.log_softmax(torch.randn(6, 4), 1)
        L.append(loss_case("NLLLoss", "NLLLoss", F.nll_loss, logp, cls, red, dtype, True))
    return L


def main():
    cases, losses = [], []
    for dt in (torch.float64, torch.float32):
        cases += layer_cases(dt)
        losses += loss_cases(dt)
    with open("tests/fixtures/nn.lua", "w") as f:
        f.write("-- generated by tests/golden/gen_nn.py with PyTorch %s; do not edit\n" % torch.__version__)
        f.write("return {\nlayers = {\n")
        for c in cases:
            f.write(lua(c) + ",\n")
        f.write("},\nlosses = {\n")
        for c in losses:
            f.write(lua(c) + ",\n")
        f.write("},\n}\n")


main()
