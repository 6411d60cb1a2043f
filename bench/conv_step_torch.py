"""conv_step_torch.py: the PyTorch twin of bench_conv_step.lua: one AdamW training step
of the shared CNN (Conv2d(1,32,3,p=1) BatchNorm2d ReLU MaxPool2d(2), Conv2d(32,64,3,p=1)
BatchNorm2d ReLU MaxPool2d(2), Dropout(0.25), Flatten, Linear(3136,128) ReLU Dropout(0.5),
Linear(128,10); batch 64 of 1x28x28, cross entropy), best of `rounds` rounds, printed as
"cnn <ms>" (wall) and "cpu <ms>" (this process's CPU time per step, all threads); then "rss <kB>", this process's peak resident memory.
Usage: /usr/bin/python3 bench/conv_step_torch.py [threads=1] [steps=20] [rounds=5]"""
import resource
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(threads)
torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))


def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


for _ in range(5):
    step()
best, best_cpu = float("inf"), float("inf")
for _ in range(rounds):
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    best = min(best, (time.perf_counter() - t0) / steps)
    best_cpu = min(best_cpu, (time.process_time() - c0) / steps)
print("cnn %.3f" % (best * 1e3))
print("cpu %.3f" % (best_cpu * 1e3))
print("rss %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
