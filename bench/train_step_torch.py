"""train_step_torch.py: the PyTorch twin of bench_train_step.lua: one AdamW step of the
notebook's BestPracticesNetwork (batch 32, BCEWithLogits) and of a 784-512-256-10 MLP
(batch 128, cross entropy), best of 7 rounds, printed as "notebook <us>" and "mlp <us>".
Usage: /usr/bin/python3 bench/train_step_torch.py [threads=1]"""
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


class BestPracticesNetwork(nn.Module):
    def __init__(self, input_dim=2, hidden_dims=(64, 32), output_dim=1, dropout_rate=0.3):
        super().__init__()
        layers, prev = [], input_dim
        for h in hidden_dims:
            linear = nn.Linear(prev, h)
            nn.init.kaiming_normal_(linear.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout_rate)]
            prev = h
        out = nn.Linear(prev, output_dim)
        nn.init.xavier_normal_(out.weight)
        nn.init.zeros_(out.bias)
        layers.append(out)
        self.network = nn.Sequential(*layers)

    def forward(self, x):
        return self.network(x)


def time_steps(step, steps, rounds=7):
    for _ in range(steps // 10 + 5):
        step()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best * 1e6


def make_step(model, loss_fn, x, y, **opt_args):
    opt = torch.optim.AdamW(model.parameters(), **opt_args)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


notebook = make_step(BestPracticesNetwork(), nn.BCEWithLogitsLoss(), torch.randn(32, 2),
                     (torch.rand(32, 1) > 0.5).float(), lr=0.01, weight_decay=0.01)
mlp = make_step(nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)),
                nn.CrossEntropyLoss(), torch.randn(128, 784), torch.randint(0, 10, (128,)), lr=1e-3)
print("notebook %.3f" % time_steps(notebook, 2000))
print("mlp %.3f" % time_steps(mlp, 40))
