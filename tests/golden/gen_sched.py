#!/usr/bin/python3
"""gen_sched.py: PyTorch's learning rates of every scheduler over 100 epochs, written to
tests/fixtures/sched.lua. Run with Debian's /usr/bin/python3 (torch 1.13).

Each case is an SGD (momentum 0.9) or Adam optimizer with two parameter groups (lr 0.1
and 0.05); per epoch it records each group's lr, get_last_lr() and the momentum (or
beta1), read before the scheduler steps, as the notebook's get_scheduler_lrs does.
Lambdas are named: the Lua test defines the same functions."""
import math
import os
import warnings

import torch
import torch.optim as optim
from torch.optim import lr_scheduler as S

from lua_literal import lua

EPOCHS = 100
warnings.filterwarnings("ignore")

LAMBDAS = {
    "exp095": lambda e: 0.95 ** e,
    "warmup_cosine": lambda e: e / 10 if e < 10 else 0.5 * (1 + math.cos(math.pi * (e - 10) / 90)),
    "step_half": lambda e: 0.5 ** (e // 25),
    "mult097": lambda e: 0.97,
    # CyclicLR scale functions (of the cycle number, or of the step count)
    "cycle_sqrt": lambda c: 1 / math.sqrt(c),
    "iter_decay": lambda t: 1 / (1 + 0.02 * t),
}

# metric sequence for ReduceLROnPlateau: falls, stalls, wiggles, rises
METRICS = [1.0 / (1 + 0.2 * e) + 0.03 * math.sin(1.3 * e) + (0.002 * (e - 60) if e > 60 else 0.0)
           for e in range(EPOCHS)]


def make_opt(kind):
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    if kind == "Adam":
        return optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)


def build(opt, name, opts):
    """opts as the Lua side writes them; lambdas and nested schedulers by name"""
    kw = dict(opts)
    if name in ("LambdaLR", "MultiplicativeLR"):
        f = kw["lr_lambda"]
        kw["lr_lambda"] = [LAMBDAS[x] for x in f] if isinstance(f, list) else LAMBDAS[f]
    if name == "CyclicLR" and "scale_fn" in kw:
        kw["scale_fn"] = LAMBDAS[kw["scale_fn"]]
    if name == "SWALR":
        return getattr(optim.swa_utils, name)(opt, **kw)
    if name == "SequentialLR":
        kw["schedulers"] = [build(opt, n, o) for n, o in kw["schedulers"]]
    return getattr(S, name)(opt, **kw)


CASES = [
    ("StepLR", {"step_size": 30, "gamma": 0.1}),
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [30, 60, 80], "gamma": 0.1}),
    ("MultiStepLR", {"milestones": [25, 10, 10], "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CosineAnnealingLR", {"T_max": 100}),
    ("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 33}),
    ("CosineAnnealingWarmRestarts", {"T_0": 10}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2, "eta_min": 0.01}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 40}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 10}),
    ("LambdaLR", {"lr_lambda": "exp095"}),
    ("LambdaLR", {"lr_lambda": "warmup_cosine"}),
    ("LambdaLR", {"lr_lambda": ["warmup_cosine", "step_half"]}),
    ("MultiplicativeLR", {"lr_lambda": "mult097"}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100}),
    ("OneCycleLR", {"max_lr": [0.2, 0.1], "total_steps": 100, "pct_start": 0.25,
                    "anneal_strategy": "linear", "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.3, "epochs": 10, "steps_per_epoch": 10, "div_factor": 10.0,
                    "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "cycle_momentum": False}),
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 10}),
                                     ("CosineAnnealingLR", {"T_max": 90})],
                      "milestones": [10]}),
    ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.2, "total_iters": 5}),
                                     ("ExponentialLR", {"gamma": 0.9}),
                                     ("StepLR", {"step_size": 10, "gamma": 0.5})],
                      "milestones": [5, 40]}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 40, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 30, "power": 0.5}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}),
    ("CyclicLR", {"base_lr": [0.01, 0.005], "max_lr": [0.1, 0.2], "step_size_up": 8,
                  "step_size_down": 12, "mode": "triangular2", "base_momentum": 0.85,
                  "max_momentum": [0.95, 0.99]}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 7, "mode": "exp_range",
                  "gamma": 0.97}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "step_size_down": 15,
                  "scale_fn": "cycle_sqrt"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "scale_fn": "iter_decay",
                  "scale_mode": "iterations", "cycle_momentum": False}),
    ("SWALR", {"swa_lr": 0.02, "anneal_epochs": 20}),
    ("SWALR", {"swa_lr": [0.3, 0.01], "anneal_epochs": 5, "anneal_strategy": "linear"}),
    ("SWALR", {"swa_lr": 0.05, "anneal_epochs": 0}),
    ("SequentialLR", {"schedulers": [("CosineAnnealingLR", {"T_max": 60}),
                                     ("SWALR", {"swa_lr": 0.01, "anneal_epochs": 10})],
                      "milestones": [60]}),
    ("ReduceLROnPlateau", {}),
    ("ReduceLROnPlateau", {"patience": 3, "factor": 0.5, "cooldown": 2, "min_lr": 0.002}),
    ("ReduceLROnPlateau", {"patience": 2, "threshold": 0.01, "threshold_mode": "abs",
                           "min_lr": [0.01, 0.001]}),
    ("ReduceLROnPlateau", {"mode": "max", "patience": 4, "factor": 0.3}),
    ("ReduceLROnPlateau", {"mode": "max", "threshold_mode": "abs", "threshold": 0.001,
                           "patience": 1}),
]


def run(name, opts, kind):
    opt = make_opt(kind)
    sched = build(opt, name, opts)
    lr, last, mom = [], [], []
    for e in range(EPOCHS):
        lr.append([g["lr"] for g in opt.param_groups])
        last.append(list(getattr(sched, "_last_lr", lr[-1])))
        mom.append([g["betas"][0] if kind == "Adam" else g["momentum"] for g in opt.param_groups])
        if name == "ReduceLROnPlateau":
            sched.step(METRICS[e])
        else:
            sched.step()
    return {"sched": name, "opts": opts, "optim": kind, "lr": lr, "last": last, "momentum": mom}


def to_lua_opts(name, opts):
    if name == "SequentialLR":
        o = dict(opts)
        o["schedulers"] = [{"name": n, "opts": x} for n, x in opts["schedulers"]]
        return o
    return opts


def main():
    out = []
    for name, opts in CASES:
        out.append(run(name, opts, "SGD"))
    out.append(run("OneCycleLR", {"max_lr": 0.05, "total_steps": 100}, "Adam"))
    # CyclicLR cycling Adam's beta1: PyTorch 1.13 refuses an optimizer without a
    # 'momentum' default; PyTorch 2's CyclicLR cycles betas[0] by the same formula as
    # momentum, so the expected values are the SGD run's
    for opts in [{"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10},
                 {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 7, "mode": "exp_range",
                  "gamma": 0.97, "base_momentum": 0.7, "max_momentum": 0.9}]:
        c = run("CyclicLR", opts, "SGD")
        c["optim"] = "Adam"
        out.append(c)
    lines = ["-- generated by tests/golden/gen_sched.py with torch %s; do not edit" % torch.__version__,
             "return {", "  epochs = %d," % EPOCHS, "  metrics = %s," % lua(METRICS), "  cases = {"]
    for c in out:
        c["opts"] = to_lua_opts(c["sched"], c["opts"])
        lines.append("    %s," % lua(c))
    lines.append("  },")
    # OneCycleLR stepped past total_steps: PyTorch's step count in the error
    opt = make_opt("SGD")
    sc = S.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    for _ in range(10):
        sc.step()
    try:
        sc.step()
        raise AssertionError("OneCycleLR did not fail")
    except ValueError as e:
        lines.append("  onecycle_error = %s," % lua(str(e)))
    lines.append("}")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "fixtures", "sched.lua"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
