-- bench_dist_scaling.lua: training throughput (samples/s) of data-parallel training, for
-- the 784-512-256-10 MLP and the shared CNN (AdamW, batches of 64 per process, random
-- data). One process trains the plain model; several train it under
-- DistributedDataParallel, with the gradient sums overlapped with backward and not.
-- Run single-threaded (one core per process; see bench/README.md):
--   taskset -c 0 build/dltlua bench/bench_dist_scaling.lua
--   mpirun -np 2 --bind-to core build/dltlua bench/bench_dist_scaling.lua
-- DLT_BENCH_STEPS=mlp,cnn sets the timed steps (default 300,40).
local dlt = require "dlt"
local dist, nn, optim = dlt.distributed, dlt.nn, dlt.optim
local F = nn.functional
dist.init_process_group()
local rank, world = dist.get_rank(), dist.get_world_size()
local mlp_steps, cnn_steps = (os.getenv("DLT_BENCH_STEPS") or "300,40"):match("(%d+),(%d+)")
mlp_steps, cnn_steps = tonumber(mlp_steps), tonumber(cnn_steps)
local B = 64

local function mlp()
  return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
end

local function cnn()
  return nn.Sequential(
    nn.Conv2d(1, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, { padding = 1 }), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
end

-- samples/s over all processes: steps timed after 5 warm-up steps, between barriers, by
-- the wall clock and (second result) by each process's CPU time (os.clock, the slowest
-- process's): on a machine shared with other work the wall clock measures the other work
-- too, the CPU time what an idle core would take (MPI's waiting included, as it polls)
local function run(make, shape, steps, overlap)
  dlt.manual_seed(0)
  local model = make()
  local net = model
  if world > 1 then net = nn.parallel.DistributedDataParallel(model, { overlap = overlap }) end
  local opt = optim.AdamW(net:parameters(), { lr = 1e-3 })
  dlt.manual_seed(rank)
  local x = dlt.randn(table.unpack(shape))
  local y = dlt.randint(1, 11, { B })
  local function step()
    opt:zero_grad()
    F.cross_entropy(net(x), y):backward()
    opt:step()
  end
  for _ = 1, 5 do step() end
  dist.barrier()
  local t0, c0 = dlt.clock(), os.clock()
  for _ = 1, steps do step() end
  local cpu = dlt.tensor({ os.clock() - c0 }, { dtype = "float64" })
  dist.barrier()
  local wall = dlt.clock() - t0
  dist.all_reduce(cpu, { op = "max" })
  return steps * B * world / wall, steps * B * world / cpu[1]
end

for _, case in ipairs({
  { "MLP 784-512-256-10", mlp, { B, 784 }, mlp_steps },
  { "CNN (shared)", cnn, { B, 1, 28, 28 }, cnn_steps },
}) do
  local rate, cpu_rate = run(case[2], case[3], case[4], true)
  local line = string.format("%-20s %d process%s: %7.0f samples/s wall, %7.0f per CPU time", case[1], world,
    world > 1 and "es" or "  ", rate, cpu_rate)
  if world > 1 then
    local r2, c2 = run(case[2], case[3], case[4], false)
    line = line .. string.format(" (overlapped sums; summed after backward: %.0f wall, %.0f per CPU time)", r2, c2)
  end
  dist.print(line)
end
dist.destroy_process_group()
