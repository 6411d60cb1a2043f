#!/usr/bin/python3
"""gen_conv.py: writes tests/fixtures/conv.lua, PyTorch's outputs and gradients for dlt's
convolution, pooling and 4-D normalization layers and their functional forms, in float64
(and a few in float32), covering stride, padding ("same"/"valid" too), dilation, groups,
ceil_mode and odd sizes.

Run from the source root with Debian's python3 (torch 1.13): /usr/bin/python3 tests/golden/gen_conv.py
A layer case holds the constructor (a Lua expression), the state_dict loaded into the
module, the input x, the upstream gradient g (the test backpropagates sum(y * g)), and
the expected output, input gradient, parameter gradients and buffers afterwards (and an
eval-mode pass for batch norm). A functional case holds a Lua function of its inputs and
the gradient of every input."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261207)


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
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{" + ",".join("[%s]=%s" % (lua(k), lua(e)) for k, e in v.items()) + "}"
    raise TypeError(type(v))


def key(k):
    """a state_dict key with Sequential's children numbered from 1, as dlt numbers them"""
    return ".".join(str(int(p) + 1) if p.isdigit() else p for p in k.split("."))


def entry(t):
    """a tensor as {shape={...}, values={...}} (values flat, row-major)"""
    return {"shape": list(t.shape), "values": t.detach().double().reshape(-1).tolist()}


def layer(name, ctor, make, x_shape, dtype=torch.float64, eval_after=False):
    torch.set_default_dtype(dtype)
    m = make()
    with torch.no_grad():
        for pname, p in m.named_parameters():
            norm_affine = p.dim() == 1 and "weight" in pname and "Norm" in type(m).__name__
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if norm_affine else 0.0))
    state = {key(k): entry(v) for k, v in m.state_dict().items()}
    x = (torch.randn(*x_shape) * 1.5 + 0.3).requires_grad_()
    y = m(x)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    case = {
        "name": name, "ctor": ctor, "dtype": str(dtype).replace("torch.", ""), "state": state,
        "x": entry(x), "g": entry(g), "y": entry(y), "dx": entry(x.grad),
        "grads": {key(k): entry(p.grad) for k, p in m.named_parameters()},
        "after": {key(k): entry(v) for k, v in m.state_dict().items()},
    }
    if eval_after:
        m.eval()
        x2 = torch.randn(*x_shape).requires_grad_()
        y2 = m(x2)
        g2 = torch.randn_like(y2)
        (y2 * g2).sum().backward()
        case["eval"] = {"x": entry(x2), "g": entry(g2), "y": entry(y2), "dx": entry(x2.grad)}
    return case


def layer_cases(dt):
    L = []
    add = lambda *a, **k: L.append(layer(*a, dtype=dt, **k))
    add("Conv2d odd sizes", "nn.Conv2d(3, 4, 3)", lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 6))
    add("Conv2d stride, padding, dilation, groups per dim",
        "nn.Conv2d(4, 6, {3, 2}, {stride={2, 1}, padding={1, 2}, dilation={2, 1}, groups=2})",
        lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2), (3, 4, 9, 8))
    add("Conv2d padding same, even kernel", "nn.Conv2d(2, 3, 4, {padding='same'})",
        lambda: nn.Conv2d(2, 3, 4, padding="same"), (2, 2, 7, 5))
    add("Conv2d padding same, dilation 2", "nn.Conv2d(2, 3, 3, {padding='same', dilation=2})",
        lambda: nn.Conv2d(2, 3, 3, padding="same", dilation=2), (2, 2, 6, 7))
    add("Conv2d 1x1 without bias", "nn.Conv2d(3, 5, 1, {bias=false})", lambda: nn.Conv2d(3, 5, 1, bias=False),
        (2, 3, 4, 5))
    add("Conv2d depthwise, stride 2", "nn.Conv2d(6, 6, 3, {groups=6, stride=2, padding=1})",
        lambda: nn.Conv2d(6, 6, 3, groups=6, stride=2, padding=1), (2, 6, 9, 9))
    add("Conv2d valid, unbatched input", "nn.Conv2d(3, 4, 3, {padding='valid'})",
        lambda: nn.Conv2d(3, 4, 3, padding="valid"), (3, 6, 6))
    add("Conv2d stride 3 with padding", "nn.Conv2d(2, 4, 5, {stride=3, padding=2})",
        lambda: nn.Conv2d(2, 4, 5, stride=3, padding=2), (3, 2, 11, 10))
    add("Conv1d", "nn.Conv1d(3, 4, 3)", lambda: nn.Conv1d(3, 4, 3), (2, 3, 11))
    add("Conv1d stride, padding, dilation, groups", "nn.Conv1d(4, 6, 5, {stride=2, padding=2, dilation=2, groups=2})",
        lambda: nn.Conv1d(4, 6, 5, stride=2, padding=2, dilation=2, groups=2), (3, 4, 17))
    add("Conv1d padding same, even kernel", "nn.Conv1d(2, 3, 4, {padding='same'})",
        lambda: nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 9))
    add("ConvTranspose2d stride, output_padding, groups",
        "nn.ConvTranspose2d(4, 6, 3, {stride=2, padding=1, output_padding=1, groups=2})",
        lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 4))
    add("ConvTranspose2d per-dim stride and dilation", "nn.ConvTranspose2d(3, 2, {2, 3}, {stride={2, 1}, dilation={1, 2}})",
        lambda: nn.ConvTranspose2d(3, 2, (2, 3), stride=(2, 1), dilation=(1, 2)), (2, 3, 4, 5))
    add("ConvTranspose2d without bias", "nn.ConvTranspose2d(3, 2, 3, {bias=false})",
        lambda: nn.ConvTranspose2d(3, 2, 3, bias=False), (2, 3, 3, 4))
    add("MaxPool2d 2 on odd sizes", "nn.MaxPool2d(2)", lambda: nn.MaxPool2d(2), (2, 3, 8, 7))
    add("MaxPool2d stride 2, padding 1, ceil_mode", "nn.MaxPool2d(3, {stride=2, padding=1, ceil_mode=true})",
        lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 2, 9, 8))
    add("MaxPool2d per-dim kernel, stride and dilation", "nn.MaxPool2d({3, 2}, {stride={2, 1}, dilation={2, 1}})",
        lambda: nn.MaxPool2d((3, 2), stride=(2, 1), dilation=(2, 1)), (2, 2, 9, 8))
    add("MaxPool1d ceil_mode", "nn.MaxPool1d(3, {stride=2, padding=1, ceil_mode=true})",
        lambda: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 10))
    add("AvgPool2d padding", "nn.AvgPool2d(3, {stride=2, padding=1})", lambda: nn.AvgPool2d(3, stride=2, padding=1),
        (2, 3, 9, 8))
    add("AvgPool2d without pad counting, ceil_mode",
        "nn.AvgPool2d(3, {stride=2, padding=1, count_include_pad=false, ceil_mode=true})",
        lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True), (2, 2, 8, 9))
    add("AvgPool2d divisor_override", "nn.AvgPool2d(2, {divisor_override=3})",
        lambda: nn.AvgPool2d(2, divisor_override=3), (2, 2, 6, 5))
    add("AdaptiveAvgPool2d to 5x7", "nn.AdaptiveAvgPool2d({5, 7})", lambda: nn.AdaptiveAvgPool2d((5, 7)), (2, 3, 9, 10))
    add("AdaptiveAvgPool2d to 1", "nn.AdaptiveAvgPool2d(1)", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5))
    add("AdaptiveAvgPool2d keeping the width", "nn.AdaptiveAvgPool2d({3, false})",
        lambda: nn.AdaptiveAvgPool2d((3, None)), (2, 2, 7, 4))
    add("BatchNorm2d", "nn.BatchNorm2d(3)", lambda: nn.BatchNorm2d(3), (4, 3, 5, 6), eval_after=True)
    add("BatchNorm2d momentum 0.3 without affine", "nn.BatchNorm2d(3, {momentum=0.3, affine=false})",
        lambda: nn.BatchNorm2d(3, momentum=0.3, affine=False), (2, 3, 4, 3), eval_after=True)
    add("BatchNorm2d without running stats", "nn.BatchNorm2d(2, {track_running_stats=false})",
        lambda: nn.BatchNorm2d(2, track_running_stats=False), (3, 2, 3, 3), eval_after=True)
    add("GroupNorm on 4-D", "nn.GroupNorm(2, 4)", lambda: nn.GroupNorm(2, 4), (3, 4, 5, 6))
    add("LayerNorm over (H,W) of 4-D", "nn.LayerNorm({4, 5})", lambda: nn.LayerNorm([4, 5]), (2, 3, 4, 5))
    add("LayerNorm over (C,H,W)", "nn.LayerNorm({3, 4, 5})", lambda: nn.LayerNorm([3, 4, 5]), (2, 3, 4, 5))
    add("Flatten", "nn.Flatten()", lambda: nn.Flatten(), (2, 3, 4, 5))
    add("Flatten dims 2..3", "nn.Flatten(2, 3)", lambda: nn.Flatten(1, 2), (2, 3, 4, 5))
    add("Unflatten", "nn.Unflatten(2, {3, 4})", lambda: nn.Unflatten(1, (3, 4)), (2, 12, 5))
    add("Dropout2d in eval is identity", "nn.Dropout2d(0.5):eval()", lambda: nn.Dropout2d(0.5).eval(), (2, 3, 4, 4))
    add("a small CNN (BatchNorm2d+ReLU fused)",
        "nn.Sequential(nn.Conv2d(1, 4, 3, {padding=1}), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), "
        "nn.Conv2d(4, 8, 3, {padding=1}), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(72, 5))",
        lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(72, 5)), (4, 1, 12, 12), eval_after=True)
    return L


def functional(name, code, fn, inputs, dtype=torch.float64, extra=None):
    """fn(*inputs) -> tensor or (tensor, indices); every input is a leaf requiring grad"""
    torch.set_default_dtype(dtype)
    ins = [t.to(dtype).clone().requires_grad_() for t in inputs]
    out = fn(*ins)
    idx = None
    if isinstance(out, tuple):
        out, idx = out
    g = torch.randn_like(out)
    (out * g).sum().backward()
    case = {"name": name, "code": code, "dtype": str(dtype).replace("torch.", ""),
            "inputs": [entry(t) for t in ins], "g": entry(g), "y": entry(out),
            "grads": [entry(t.grad) for t in ins]}
    if idx is not None:
        case["indices"] = entry(idx + 1)  # 1-based positions in each flattened plane
    return case


def functional_cases(dt):
    r = torch.randn
    L = []
    add = lambda *a: L.append(functional(*a, dtype=dt))
    add("conv2d without bias, stride 2", "return function(F, x, w) return F.conv2d(x, w, nil, {stride=2}) end",
        lambda x, w: F.conv2d(x, w, None, stride=2), [r(2, 3, 7, 8), r(4, 3, 3, 3)])
    add("conv2d groups 3, dilation 2, padding {2, 1}",
        "return function(F, x, w, b) return F.conv2d(x, w, b, {padding={2, 1}, dilation=2, groups=3}) end",
        lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=2, groups=3), [r(2, 6, 8, 7), r(9, 2, 3, 2), r(9)])
    add("conv1d same", "return function(F, x, w, b) return F.conv1d(x, w, b, {padding='same'}) end",
        lambda x, w, b: F.conv1d(x, w, b, padding="same"), [r(2, 3, 10), r(2, 3, 5), r(2)])
    add("conv_transpose2d", "return function(F, x, w, b) return F.conv_transpose2d(x, w, b, {stride=3, padding={1, 0}, output_padding={2, 1}}) end",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=3, padding=(1, 0), output_padding=(2, 1)),
        [r(2, 3, 4, 3), r(3, 2, 3, 3), r(2)])
    add("conv_transpose1d groups", "return function(F, x, w) return F.conv_transpose1d(x, w, nil, {stride=2, groups=2}) end",
        lambda x, w: F.conv_transpose1d(x, w, None, stride=2, groups=2), [r(2, 4, 6), r(4, 3, 3)])
    add("max_pool2d with indices", "return function(F, x) return F.max_pool2d(x, 3, {stride=2, padding=1, return_indices=true}) end",
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True), [r(2, 3, 7, 6)])
    add("max_pool1d with indices, dilation 2", "return function(F, x) return F.max_pool1d(x, 2, {dilation=2, return_indices=true}) end",
        lambda x: F.max_pool1d(x, 2, dilation=2, return_indices=True), [r(2, 3, 9)])
    add("avg_pool1d", "return function(F, x) return F.avg_pool1d(x, 3, {stride=2, padding=1, ceil_mode=true}) end",
        lambda x: F.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True), [r(2, 3, 10)])
    add("adaptive_avg_pool1d", "return function(F, x) return F.adaptive_avg_pool1d(x, 4) end",
        lambda x: F.adaptive_avg_pool1d(x, 4), [r(2, 3, 10)])
    add("batch_norm on 4-D, training",
        "return function(F, x, w, b) return F.batch_norm(x, nil, nil, {weight=w, bias=b, training=true}) end",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [r(3, 2, 4, 5), r(2), r(2)])
    add("group_norm on 4-D", "return function(F, x, w, b) return F.group_norm(x, 3, {weight=w, bias=b}) end",
        lambda x, w, b: F.group_norm(x, 3, w, b), [r(2, 6, 3, 4), r(6), r(6)])
    add("layer_norm on 4-D", "return function(F, x, w, b) return F.layer_norm(x, {3, 4}, {weight=w, bias=b}) end",
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [r(2, 5, 3, 4), r(3, 4), r(3, 4)])
    return L


def main():
    layers = layer_cases(torch.float64)
    f32 = [c for c in layer_cases(torch.float32)
           if c["name"] in ("Conv2d stride, padding, dilation, groups per dim", "ConvTranspose2d stride, output_padding, groups",
                            "MaxPool2d stride 2, padding 1, ceil_mode", "BatchNorm2d",
                            "a small CNN (BatchNorm2d+ReLU fused)", "Conv1d stride, padding, dilation, groups")]
    for c in f32:
        if c["name"].startswith("a small CNN"):
            # float32 rounding through two conv + batch norm backward passes: 1e-4 relative
            c["tol"] = [1e-4, 1e-5]
    funcs = functional_cases(torch.float64)
    with open("tests/fixtures/conv.lua", "w") as f:
        f.write("-- generated by tests/golden/gen_conv.py with PyTorch %s; do not edit\n" % torch.__version__)
        f.write("return {\nlayers = {\n")
        for c in layers + f32:
            f.write(lua(c) + ",\n")
        f.write("},\nfunctional = {\n")
        for c in funcs:
            f.write(lua(c) + ",\n")
        f.write("},\n}\n")


main()
