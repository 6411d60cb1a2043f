-- bench_train_step.lua: one AdamW training step (zero_grad, forward, loss, backward,
-- step) of (a) the notebook's BestPracticesNetwork, 2-64-32-1 with BatchNorm, ReLU and
-- Dropout 0.3, batch 32, BCEWithLogits, and (b) a 784-512-256-10 ReLU MLP, batch 128,
-- cross entropy; against the same steps in PyTorch (bench/train_step_torch.py, run when
-- Debian's python3 has torch), with the same thread count. Goals: (a) 15x, (b) 1.25x.
-- Run: build/dltlua bench/bench_train_step.lua [threads=1] [python=/usr/bin/python3]
local dlt = require "dlt"
local nn, optim = dlt.nn, dlt.optim

local threads = tonumber(arg and arg[1]) or 1
local python = arg and arg[2] or "/usr/bin/python3"
dlt.num_threads(threads)
dlt.manual_seed(0)

-- the folder of this file; the notebook's network comes from scripts/pipeline.lua
-- (required as a module, it defines its pieces and runs nothing)
local here = (arg and arg[0] or "bench/bench_train_step.lua"):match("^(.*)/[^/]*$") or "."
package.path = here .. "/../scripts/?.lua;" .. package.path
local Net = require("pipeline").BestPracticesNetwork

-- microseconds per step: the best of `rounds` rounds of `steps` steps (the minimum is
-- the least disturbed by other work on the machine)
local function time_steps(step, steps, rounds)
  for _ = 1, steps // 10 + 5 do step() end
  local best = math.huge
  for _ = 1, rounds do
    local t0 = dlt.clock()
    for _ = 1, steps do step() end
    best = math.min(best, (dlt.clock() - t0) / steps)
  end
  return best * 1e6
end

-- one training step of model on the batch (x, y), as a function to time
local function train_step(model, opt, loss_fn, x, y)
  return function()
    opt:zero_grad()
    local loss = loss_fn(model(x), y)
    loss:backward()
    opt:step()
  end
end

local function notebook_step()
  local model = Net(2, { 64, 32 }, 1, 0.3)
  local opt = optim.AdamW(model:parameters(), { lr = 0.01, weight_decay = 0.01 })
  -- a float target, as the twin's (torch.rand(32, 1) > 0.5).float(): gt gives bool (as
  -- PyTorch) since int64/bool came in, which BCEWithLogits would convert every step
  local x, y = dlt.randn(32, 2), dlt.rand(32, 1):gt(0.5):float()
  return train_step(model, opt, nn.BCEWithLogitsLoss(), x, y)
end

local function mlp_step()
  local model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
  local opt = optim.AdamW(model:parameters(), { lr = 1e-3 })
  local x, y = dlt.randn(128, 784), dlt.randint(1, 11, { 128 })
  return train_step(model, opt, nn.CrossEntropyLoss(), x, y)
end

-- the PyTorch twin prints "notebook <us>" and "mlp <us>"
local probe = io.popen(python .. " -c 'import torch' 2>/dev/null && echo yes")
local has_torch = probe and probe:read("l") == "yes"
if probe then probe:close() end

local function run_torch(into)
  -- OpenBLAS's thread count too: torch.set_num_threads does not reach the system
  -- OpenBLAS that Debian's PyTorch multiplies with
  local p = io.popen(string.format("OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=%d %s %s/train_step_torch.py %d", threads,
    threads, python, here, threads))
  for line in p:lines() do
    local k, v = line:match("^(%w+) ([%d.]+)$")
    if k then into[k] = math.min(into[k] or math.huge, tonumber(v)) end
  end
  p:close()
end

-- dlt and PyTorch take turns, three times, each keeping its best: the machine's load
-- then weighs on both alike
local ours, theirs = { notebook = math.huge, mlp = math.huge }, {}
local notebook, mlp = notebook_step(), mlp_step()
for _ = 1, has_torch and 3 or 1 do
  if has_torch then run_torch(theirs) end
  ours.notebook = math.min(ours.notebook, time_steps(notebook, 2000, 7))
  ours.mlp = math.min(ours.mlp, time_steps(mlp, 40, 7))
end

print(string.format("AdamW training step, %d thread%s (best of 7 rounds, taking turns with PyTorch 3 times)",
  threads, threads == 1 and "" or "s"))
local goals = { notebook = 15, mlp = 1.25 }
local names = { notebook = "notebook net 2-64-32-1, batch 32", mlp = "MLP 784-512-256-10, batch 128" }
for _, k in ipairs({ "notebook", "mlp" }) do
  if theirs[k] then
    local ratio = theirs[k] / ours[k]
    print(string.format("  %-34s dlt %9.1f us   PyTorch %9.1f us   %6.2fx (goal %gx: %s)", names[k], ours[k],
      theirs[k], ratio, goals[k], ratio >= goals[k] and "met" or "NOT met"))
  else
    print(string.format("  %-34s dlt %9.1f us   (PyTorch not available: %s has no torch)", names[k], ours[k], python))
  end
end
