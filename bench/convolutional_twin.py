"""convolutional_twin.py: scripts/convolutional.lua's training (section 7.3) in PyTorch 1.13,
run beside it: the same data split, model, AdamW + OneCycleLR, batch 64,
written as a PyTorch tutorial writes it (uint8 images kept as the file has them, turned into
normalised floats one batch at a time, as torchvision's ToTensor + Normalize do).
Prints the training time, the test accuracy and the peak resident memory.
Run: /usr/bin/python3 bench/convolutional_twin.py [epochs] [threads]"""
import gzip
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
ROOT = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(f"{ROOT}/{name}", "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(ndim)]
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape).copy())


X = read_idx("train-images-idx3-ubyte.gz")
y = read_idx("train-labels-idx1-ubyte.gz").long()
X_test = read_idx("t10k-images-idx3-ubyte.gz")
y_test = read_idx("t10k-labels-idx1-ubyte.gz").long()
MEAN, STD = 0.2860, 0.3530

torch.manual_seed(42)
perm = torch.randperm(len(X))
val_idx, tr_idx = perm[:5000], perm[5000:]


def batches(idx, bs, images, labels):
    for s in range(0, len(idx), bs):
        b = idx[s:s + bs]
        xb = (images[b].float().div_(255).unsqueeze(1) - MEAN) / STD
        yield xb, labels[b]


torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Dropout(0.1), nn.Flatten(),
    nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
    nn.Linear(128, 10))
steps = (len(tr_idx) + 63) // 64 * EPOCHS
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, total_steps=steps)


def evaluate(idx, images, labels):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for xb, yb in batches(idx, 100, images, labels):
            correct += (model(xb).argmax(1) == yb).sum().item()
            total += len(yb)
    return correct / total


t0 = time.perf_counter()
for epoch in range(EPOCHS):
    model.train()
    order = tr_idx[torch.randperm(len(tr_idx))]
    for xb, yb in batches(order, 64, X, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
    print(f"epoch {epoch + 1}: val acc {evaluate(val_idx, X, y):.4f}, {time.perf_counter() - t0:.1f} s", flush=True)
train_time = time.perf_counter() - t0
acc = evaluate(torch.arange(len(X_test)), X_test, y_test)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch: {EPOCHS} epochs in {train_time:.1f} s, test accuracy {100 * acc:.2f}%, peak RSS {peak:.0f} MB")
