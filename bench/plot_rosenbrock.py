#!/usr/bin/python3
"""plot_rosenbrock.py: the matplotlib twin of bench/bench_plot.lua: the notebook's
Rosenbrock figure (two panels, 20 log-spaced contour levels on a 200x200 grid, four
optimizer paths of 501 points, legends, a log axis), rendered and saved once.
Run: /usr/bin/python3 bench/plot_rosenbrock.py OUT.png"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def f(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def run(name, steps=500):
    """the same hand-written optimizers as bench_plot.lua, from (-1, 1.5)"""
    x, y = -1.0, 1.5
    vx = vy = sx = sy = mx = my = 0.0
    path, losses = [(x, y)], [f(x, y)]
    for t in range(1, steps + 1):
        gx, gy = grad(x, y)
        if name == "SGD":
            x, y = x - 1e-4 * gx, y - 1e-4 * gy
        elif name == "Momentum":
            vx, vy = 0.9 * vx + gx, 0.9 * vy + gy
            x, y = x - 1e-4 * vx, y - 1e-4 * vy
        elif name == "RMSprop":
            sx, sy = 0.99 * sx + 0.01 * gx * gx, 0.99 * sy + 0.01 * gy * gy
            x, y = x - 1e-2 * gx / (sx ** 0.5 + 1e-8), y - 1e-2 * gy / (sy ** 0.5 + 1e-8)
        else:
            mx, my = 0.9 * mx + 0.1 * gx, 0.9 * my + 0.1 * gy
            sx, sy = 0.999 * sx + 0.001 * gx * gx, 0.999 * sy + 0.001 * gy * gy
            c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
            x -= 1e-2 * (mx / c1) / ((sx / c2) ** 0.5 + 1e-8)
            y -= 1e-2 * (my / c1) / ((sy / c2) ** 0.5 + 1e-8)
        path.append((x, y))
        losses.append(f(x, y))
    return np.array(path), losses


plt.style.use("seaborn-v0_8-whitegrid")
names = ["SGD", "Momentum", "RMSprop", "Adam"]
colors = {"SGD": "blue", "Momentum": "red", "RMSprop": "green", "Adam": "orange"}
runs = {n: run(n) for n in names}
xs = np.linspace(-2, 2, 200)
ys = np.linspace(-1, 3, 200)
X, Y = np.meshgrid(xs, ys)
Z = f(X, Y)
fig, axes = plt.subplots(1, 2, figsize=(14, 6))
ax = axes[0]
ax.contour(X, Y, Z, levels=np.logspace(0, 3.5, 20), cmap="viridis", alpha=0.7)
ax.plot(1, 1, "r*", markersize=15, label="Minimum (1,1)")
ax.plot(-1, 1.5, "ko", markersize=10, label="Start")
for n in names:
    path = runs[n][0]
    ax.plot(path[:, 0], path[:, 1], "-", color=colors[n], linewidth=2, label=f"{n} ({len(path)} steps)", alpha=0.8)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("Optimizer Paths on Rosenbrock Function")
ax.legend(loc="upper left")
ax.set_xlim(-2, 2)
ax.set_ylim(-1, 3)
ax = axes[1]
for n in names:
    ax.plot(runs[n][1], color=colors[n], label=n, linewidth=2)
ax.set_xlabel("Step")
ax.set_ylabel("Loss (log scale)")
ax.set_title("Loss Convergence")
ax.set_yscale("log")
ax.legend()
ax.grid(True, alpha=0.3)
plt.tight_layout()
plt.savefig(sys.argv[1] if len(sys.argv) > 1 else "rosenbrock_mpl.png")
