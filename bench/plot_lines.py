"""plot_lines.py: matplotlib's side of bench_plot_lines.lua: savefig of one line of
10^4..10^6 points (standard normal noise, a noisy loss curve, a random walk, sorted
data) in the default 6.4x4.8-inch figure at 100 dpi with the Agg backend; best of runs,
savefig alone (the data made and plotted before), wall and CPU time.
Run: /usr/bin/python3 bench/plot_lines.py [runs]"""
import os
import sys
import tempfile
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(0)
KINDS = {
    "noisy": lambda n: rng.standard_normal(n),
    "loss curve": lambda n: np.exp(-np.arange(n) / (n / 5)) + 0.1 * rng.standard_normal(n),
    "random walk": lambda n: np.cumsum(rng.standard_normal(n)),
    "sorted": lambda n: np.sort(rng.standard_normal(n)),
}
path = os.path.join(tempfile.mkdtemp(), "line.png")
print(f"matplotlib {matplotlib.__version__}, savefig of one line, best of {RUNS}: ms wall / ms CPU")
for kind, make in KINDS.items():
    row = []
    for n in (10**4, 10**5, 10**6):
        y = make(n)
        fig, ax = plt.subplots()
        ax.plot(np.arange(n), y)
        best_w = best_c = float("inf")
        for _ in range(RUNS):
            w, c = time.perf_counter(), time.process_time()
            fig.savefig(path, dpi=100)
            best_w = min(best_w, time.perf_counter() - w)
            best_c = min(best_c, time.process_time() - c)
        plt.close(fig)
        row.append(f"{1e3 * best_w:8.1f} / {1e3 * best_c:6.1f}")
    print(f"{kind:12s} " + "   ".join(row))
os.remove(path)
