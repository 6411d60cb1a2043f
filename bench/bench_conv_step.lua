-- bench_conv_step.lua: one AdamW training step of the shared CNN (batch 64, 1x28x28,
-- cross entropy) on 1 and 2 threads, against its PyTorch twin (bench/conv_step_torch.py)
-- at the same thread counts, run in turns; the 784-512-256-10 MLP step (batch 128) on 1
-- and 2 threads; OpenBLAS's measured sgemm rate on 1 and 2 cores and the GEMM floors it
-- gives (the steps' multiply-adds at that rate); and the peak resident memory of a
-- process that only trains the CNN, dlt's against PyTorch's.
-- Run: build/dltlua bench/bench_conv_step.lua [steps=20] [python=/usr/bin/python3]
-- (internal: --rss steps trains the CNN alone and prints its peak RSS in kB;
-- --count n w [t] trains it on t threads (1), w warm-up steps then n, and prints their
-- CPU time and wall time per step:
-- run it under valgrind --tool=callgrind to count a step's instructions)
local dlt = require "dlt"
local nn, optim = dlt.nn, dlt.optim

local here = (arg and arg[0] or "bench/bench_conv_step.lua"):match("^(.*)/[^/]*$") or "."
local interp = arg and arg[-1] or "build/dltlua"

local function cnn()
  return nn.Sequential(
    nn.Conv2d(1, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, { padding = 1 }), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
end

local function mlp()
  return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
end

-- a step function: zero_grad, forward, loss, backward, AdamW step
local function make_step(model, x, y)
  local opt = optim.AdamW(model:parameters(), { lr = 1e-3 })
  local loss_fn = nn.CrossEntropyLoss()
  return function()
    opt:zero_grad()
    local loss = loss_fn(model(x), y)
    loss:backward()
    opt:step()
  end
end

-- milliseconds per step, wall and CPU (this process, all threads): the best of
-- `rounds` rounds of `steps` steps
local function time_steps(step, steps, rounds)
  for _ = 1, 5 do step() end
  local best, best_cpu = math.huge, math.huge
  for _ = 1, rounds do
    local t0, c0 = dlt.clock(), os.clock()
    for _ = 1, steps do step() end
    best = math.min(best, (dlt.clock() - t0) / steps)
    best_cpu = math.min(best_cpu, (os.clock() - c0) / steps)
  end
  return best * 1e3, best_cpu * 1e3
end

local function peak_rss_kb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)"))
end

if arg and arg[1] == "--rss" then
  dlt.manual_seed(0)
  local step = make_step(cnn(), dlt.rand(64, 1, 28, 28), dlt.randint(1, 11, { 64 }))
  for _ = 1, tonumber(arg[2]) or 50 do step() end
  print("rss " .. peak_rss_kb())
  return
end

if arg and arg[1] == "--count" then
  dlt.num_threads(tonumber(arg[4]) or 1)
  dlt.manual_seed(0)
  local step = make_step(cnn(), dlt.rand(64, 1, 28, 28), dlt.randint(1, 11, { 64 }))
  local n, w = tonumber(arg[2]) or 1, tonumber(arg[3]) or 1
  for _ = 1, w do step() end
  local c0, t0 = os.clock(), dlt.clock()
  for _ = 1, n do step() end
  local per = function(s) return n > 0 and s / n * 1e3 or 0 end
  print(string.format("CPU time per step: %.2f ms, wall %.2f ms", per(os.clock() - c0), per(dlt.clock() - t0)))
  return
end

local steps = tonumber(arg and arg[1]) or 20
local python = arg and arg[2] or "/usr/bin/python3"

-- multiply-adds of one training step: every layer's forward, its input gradient (not for
-- the first layer, whose input needs none) and its weight gradient
local function conv_macs(N, Cin, Cout, P, k) return N * Cout * P * Cin * k * k end
local cnn_macs = 2 * conv_macs(64, 1, 32, 28 * 28, 3) + 3 * conv_macs(64, 32, 64, 14 * 14, 3)
  + 3 * 64 * 3136 * 128 + 3 * 64 * 128 * 10
local mlp_macs = 2 * 128 * 784 * 512 + 3 * 128 * 512 * 256 + 3 * 128 * 256 * 10
-- the multiply-adds of the GEMMs dlt runs for it: conv2 by Winograd's F(4x4,3x3) (36
-- products of OC x C by C x tiles, 16 tiles of 4x4 a 14x14 plane, in each of its three
-- passes)
local run_macs = cnn_macs - 3 * conv_macs(64, 32, 64, 14 * 14, 3) + 3 * 36 * 64 * 32 * (64 * 16)

-- OpenBLAS's sgemm rate (GFLOP/s) on n threads: a 1024^3 product, best of 7
local function gemm_rate(n)
  dlt.num_threads(n)
  local a, b = dlt.randn(1024, 1024), dlt.randn(1024, 1024)
  a:matmul(b)
  local best = math.huge
  for _ = 1, 7 do
    local t0 = dlt.clock()
    a:matmul(b)
    best = math.min(best, dlt.clock() - t0)
  end
  return 2 * 1024 ^ 3 / best / 1e9
end

local probe = io.popen(python .. " -c 'import torch' 2>/dev/null && echo yes")
local has_torch = probe and probe:read("l") == "yes"
if probe then probe:close() end

-- Debian's PyTorch does its GEMMs in the system OpenBLAS, whose own thread pool
-- torch.set_num_threads does not reach: unset, a "1 thread" twin ran on both cores (102 ms
-- of CPU per 51 ms step), so the twin gets OpenBLAS's thread count too
local function run_torch(threads, into)
  local p = io.popen(string.format("OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=%d %s %s/conv_step_torch.py %d %d",
    threads, threads, python, here, threads, steps))
  for line in p:lines() do
    local k, v = line:match("^(%w+) ([%d.]+)$")
    if k then into[k] = math.min(into[k] or math.huge, tonumber(v)) end
  end
  p:close()
end

local core = os.getenv("OPENBLAS_CORETYPE")
do
  local p = io.popen("OPENBLAS_VERBOSE=2 " .. interp .. " -e 'require \"dlt\"' 2>&1")
  local out = p and p:read("a") or ""
  if p then p:close() end
  core = (out:match("Core: (%S+)") or "?") .. (core and (" (OPENBLAS_CORETYPE=" .. core .. ")") or "")
end

local threads0 = dlt.num_threads()
dlt.manual_seed(0)
local xc, yc = dlt.rand(64, 1, 28, 28), dlt.randint(1, 11, { 64 })
local xm, ym = dlt.randn(128, 784), dlt.randint(1, 11, { 128 })
local cnn_step, mlp_step = make_step(cnn(), xc, yc), make_step(mlp(), xm, ym)
local ours, theirs, rate = {}, { {}, {} }, {}
-- dlt and PyTorch take turns, twice, each keeping its best
for _ = 1, 2 do
  for t = 1, 2 do
    if has_torch then run_torch(t, theirs[t]) end
    dlt.num_threads(t)
    local w, c = time_steps(cnn_step, steps, 5)
    ours["cnn" .. t] = math.min(ours["cnn" .. t] or math.huge, w)
    ours["cpu" .. t] = math.min(ours["cpu" .. t] or math.huge, c)
    ours["mlp" .. t] = math.min(ours["mlp" .. t] or math.huge, (time_steps(mlp_step, steps * 4, 5)))
    rate[t] = math.max(rate[t] or 0, gemm_rate(t))
  end
end
dlt.num_threads(threads0)

local la = io.open("/proc/loadavg")
local load = la and la:read("l") or "?"
if la then la:close() end
print(string.format("load average at the end: %s (on a machine of 2 cores, above 2 means other work slowed every figure)", load))
print(string.format("OpenBLAS kernel %s; sgemm 1024^3: %.1f GFLOP/s on 1 core, %.1f on 2", core, rate[1], rate[2]))
print(string.format("CNN step: %.3f GFLOP (floor %.2f ms on 1 core, %.2f ms on 2); MLP step: %.3f GFLOP (floor %.2f / %.2f ms)",
  2 * cnn_macs / 1e9, 2 * cnn_macs / rate[1] / 1e6, 2 * cnn_macs / rate[2] / 1e6, 2 * mlp_macs / 1e9,
  2 * mlp_macs / rate[1] / 1e6, 2 * mlp_macs / rate[2] / 1e6))
print(string.format("  the GEMMs dlt runs for the CNN step (conv2 by Winograd): %.3f GFLOP (floor %.2f ms on 1 core, %.2f ms on 2)",
  2 * run_macs / 1e9, 2 * run_macs / rate[1] / 1e6, 2 * run_macs / rate[2] / 1e6))
for t = 1, 2 do
  local floor = 2 * cnn_macs / rate[t] / 1e6
  local line = string.format("  CNN, %d thread%s: dlt %7.2f ms (%.2fx its floor)", t, t == 1 and " " or "s", ours["cnn" .. t],
    ours["cnn" .. t] / floor)
  if theirs[t].cnn then
    local r = theirs[t].cnn / ours["cnn" .. t]
    line = line .. string.format("   PyTorch %7.2f ms   %5.2fx (goal 4x: %s)", theirs[t].cnn, r, r >= 4 and "met" or "NOT met")
  end
  print(line)
  if theirs[t].cpu then
    print(string.format("    CPU time per step: dlt %.2f ms, PyTorch %.2f ms (%.2fx)", ours["cpu" .. t], theirs[t].cpu,
      theirs[t].cpu / ours["cpu" .. t]))
  end
end
local floor2 = 2 * mlp_macs / rate[2] / 1e6
local speedup = ours.mlp1 / ours.mlp2
print(string.format("  MLP: 1 thread %.3f ms, 2 threads %.3f ms: %.2fx (goal 1.6x: %s); %.2fx the 2-core floor (goal 1.5x: %s)",
  ours.mlp1, ours.mlp2, speedup, speedup >= 1.6 and "met" or "NOT met", ours.mlp2 / floor2,
  ours.mlp2 / floor2 <= 1.5 and "met" or "NOT met"))

-- peak memory of a process that trains the CNN only (50 steps, default threads)
local p = io.popen(interp .. " " .. here .. "/bench_conv_step.lua --rss 50")
local rss = tonumber((p:read("a") or ""):match("rss (%d+)"))
p:close()
local trss = theirs[2].rss or theirs[1].rss
if rss and trss then
  print(string.format("  peak RSS training the CNN: dlt %.1f MB, PyTorch %.1f MB (%.2f of it; goal at most 0.5: %s)", rss / 1024,
    trss / 1024, rss / trss, rss / trss <= 0.5 and "met" or "NOT met"))
elseif rss then
  print(string.format("  peak RSS training the CNN: dlt %.1f MB", rss / 1024))
end
