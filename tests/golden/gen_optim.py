#!/usr/bin/python3
"""gen_optim.py: PyTorch trajectories of every optimizer under every option, written to
tests/fixtures/optim.lua. Run with Debian's /usr/bin/python3 (torch 1.13).

The objective is a Rosenbrock chain with b = 10 (non-quadratic); its gradient is set
in closed form with the same float operations the Lua test uses, so the gradients are
bitwise equal and only the optimizers are compared. Cases with maximize=true are given
the gradient of -f, so they climb -f to the same minimum of f."""
import math
import re
import os

import torch
import torch.optim as optim

from lua_literal import lua

STEPS = 40
X0 = [-0.8, 1.3, 0.4]
Y0 = [1.5, -0.5]


def rosen_grad(x):
    """gradient of sum_i (1 - x_i)^2 + 10 (x_{i+1} - x_i^2)^2, in the Lua test's order"""
    g = [0.0] * len(x)
    for i in range(len(x) - 1):
        a = 1 - x[i]
        b = x[i + 1] - x[i] * x[i]
        g[i] = g[i] + (-2 * a - 40 * x[i] * b)
        g[i + 1] = g[i + 1] + 20 * b
    return g


def set_grads(params, sign=1):
    """sign -1 gives the gradient of -f, which the maximize=True cases climb"""
    for p in params:
        g = rosen_grad(p.detach().tolist())
        p.grad = torch.tensor([sign * v for v in g], dtype=p.dtype)


CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.001, "momentum": 0.5, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"weight_decay": 0.2, "maximize": True, "lr": 0.001}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"eps": 1e-3, "maximize": True}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95}),
    ("Adadelta", {"weight_decay": 0.1, "eps": 1e-4, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.02, "maximize": True, "foreach": False}),
    ("RAdam", {"lr": 0.003}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.004, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.002, "betas": (0.9, 0.5), "foreach": False}),
    ("ASGD", {"lr": 0.005}),
    ("ASGD", {"lr": 0.005, "t0": 10, "lambd": 0.01, "alpha": 0.5}),
    ("ASGD", {"lr": 0.003, "weight_decay": 0.1, "t0": 5, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.001, "maximize": True, "foreach": False}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "foreach": False, "differentiable": False}),
    ("Adam", {"lr": 0.05, "foreach": True, "capturable": False, "fused": False}),
]

# one float32 run per optimizer (PyTorch's float32 kernels may fuse multiply-adds, so
# the Lua test compares these to a float32 tolerance)
CASES32 = [
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.05}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("NAdam", {"lr": 0.05}),
    ("Adadelta", {"lr": 1.0}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.01}),
    ("RAdam", {"lr": 0.003}),
    ("ASGD", {"lr": 0.005, "t0": 10}),
    ("Rprop", {"lr": 0.05}),
]


def run(name, opts, dtype, steps=STEPS):
    x = torch.tensor(X0, dtype=dtype, requires_grad=True)
    opt = getattr(optim, name)([x], **opts)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        set_grads([x], -1 if opts.get("maximize") else 1)
        opt.step()
        traj.append(x.detach().tolist())
    return traj, final_state(opt.state[x])


def final_state(st):
    """the optimizer's state of the parameter after the last step: tensors as lists,
    0-dim tensors and numbers as numbers"""
    out = {}
    for k, v in st.items():
        if isinstance(v, torch.Tensor):
            out[k] = v.item() if v.dim() == 0 else v.tolist()
        elif isinstance(v, (int, float)):
            out[k] = v
    return out


def lua_opts(opts):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in opts.items()}


def groups_case():
    """two parameter groups with their own options"""
    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(Y0, dtype=torch.float64, requires_grad=True)
    out = []
    for name, defaults, g2 in [
        ("SGD", {"lr": 0.01, "momentum": 0.9}, {"lr": 0.002, "nesterov": True}),
        ("Adam", {"lr": 0.05}, {"lr": 0.01, "betas": (0.5, 0.8), "amsgrad": True}),
        ("RMSprop", {"lr": 0.01}, {"centered": True, "weight_decay": 0.1}),
    ]:
        x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        y = torch.tensor(Y0, dtype=torch.float64, requires_grad=True)
        g2p = dict(g2)
        g2p["params"] = [y]
        opt = getattr(optim, name)([{"params": [x]}, g2p], **defaults)
        tx, ty = [], []
        for _ in range(STEPS):
            opt.zero_grad()
            set_grads([x, y])
            opt.step()
            tx.append(x.detach().tolist())
            ty.append(y.detach().tolist())
        out.append({"optim": name, "opts": lua_opts(defaults), "group2": lua_opts(g2),
                    "x": tx, "y": ty})
    return out


def scheduled_case():
    """optimizers whose param_groups are changed each step by a scheduler"""
    out = []
    for name, opts, sched, sopts in [
        ("SGD", {"lr": 0.005, "momentum": 0.9}, "StepLR", {"step_size": 10, "gamma": 0.5}),
        ("Adam", {"lr": 0.05}, "OneCycleLR", {"max_lr": 0.1, "total_steps": STEPS}),
        ("SGD", {"lr": 0.001, "momentum": 0.9}, "OneCycleLR",
         {"max_lr": 0.01, "total_steps": STEPS, "anneal_strategy": "linear"}),
        ("RMSprop", {"lr": 0.01}, "CosineAnnealingLR", {"T_max": 15}),
    ]:
        x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        opt = getattr(optim, name)([x], **opts)
        sc = getattr(optim.lr_scheduler, sched)(opt, **sopts)
        traj = []
        for _ in range(STEPS):
            opt.zero_grad()
            set_grads([x])
            opt.step()
            sc.step()
            traj.append(x.detach().tolist())
        out.append({"optim": name, "opts": lua_opts(opts), "sched": sched,
                    "sched_opts": sopts, "traj": traj})
    return out


def rosen(x):
    """sum_i (1 - x_i)^2 + 10 (x_{i+1} - x_i^2)^2, in the Lua test's order"""
    f = 0.0
    for i in range(len(x) - 1):
        a = 1 - x[i]
        b = x[i + 1] - x[i] * x[i]
        f = f + (a * a + 10 * b * b)
    return f


LBFGS_STEPS = 6
LBFGS_CASES = [
    {"lr": 0.05, "max_iter": 5},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 10,
     "tolerance_grad": 1e-5, "tolerance_change": 1e-12},
    {"lr": 0.1, "max_iter": 8, "max_eval": 6, "history_size": 2},
    {"lr": 0.5, "line_search_fn": "strong_wolfe", "max_iter": 4, "max_eval": 7},
]


def lbfgs_case(opts):
    """LBFGS over two parameters (a 3-chain and a 2-chain), the closure setting the
    closed-form gradients and returning the loss as a Python float"""
    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(Y0, dtype=torch.float64, requires_grad=True)
    opt = optim.LBFGS([x, y], **opts)
    evals = [0]

    def closure():
        evals[0] += 1
        opt.zero_grad()
        set_grads([x, y])
        return rosen(x.detach().tolist()) + rosen(y.detach().tolist())

    xs, ys, losses, func_evals, n_iter = [], [], [], [], []
    for _ in range(LBFGS_STEPS):
        losses.append(opt.step(closure))
        xs.append(x.detach().tolist())
        ys.append(y.detach().tolist())
        st = opt.state[x]
        func_evals.append(st["func_evals"])
        n_iter.append(st["n_iter"])
    return {"opts": opts, "x": xs, "y": ys, "loss": losses, "func_evals": func_evals,
            "n_iter": n_iter, "closure_calls": evals[0]}


def main():
    lines = ["-- generated by tests/golden/gen_optim.py with torch %s; do not edit" % torch.__version__,
             "return {",
             "  steps = %d," % STEPS,
             "  x0 = %s," % lua(X0),
             "  y0 = %s," % lua(Y0),
             "  cases = {"]
    for dtype, cases in [(torch.float64, CASES), (torch.float32, CASES32)]:
        for name, opts in cases:
            traj, state = run(name, opts, dtype)
            for row in traj:
                assert all(math.isfinite(v) for v in row), (name, opts)
            d = "float64" if dtype == torch.float64 else "float32"
            lines.append("    {optim = %s, dtype = %s, opts = %s,\n     state = %s,\n     traj = %s}," % (
                lua(name), lua(d), lua(lua_opts(opts)), lua(state), lua(traj)))
    lines.append("  },")
    lines.append("  groups = {")
    for c in groups_case():
        lines.append("    %s," % lua(c))
    lines.append("  },")
    lines.append("  lbfgs_steps = %d," % LBFGS_STEPS)
    lines.append("  lbfgs = {")
    for o in LBFGS_CASES:
        lines.append("    %s," % lua(lbfgs_case(o)))
    lines.append("  },")
    lines.append("  scheduled = {")
    for c in scheduled_case():
        lines.append("    %s," % lua(c))
    lines.append("  },")
    lines.append("}")
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "fixtures", "optim.lua")
    text = "\n".join(lines)
    assert re.search(r"[^\w.](inf|nan)\b", text) is None, "a diverging case"
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
