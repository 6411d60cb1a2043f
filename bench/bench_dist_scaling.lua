-- bench_dist_scaling.lua: training throughput (samples/s) of data-parallel training, for
-- the 784-512-256-10 MLP (batches of 64 and of 256 per process) and the shared CNN
-- (batches of 64 per process), AdamW on random data. One process trains the plain model;
-- several train it under DistributedDataParallel. Run single-threaded (one core per
-- process), or through bench/dist_scaling.sh, which takes turns and keeps the best:
--   OPENBLAS_NUM_THREADS=1 taskset -c 0 build/dltlua bench/bench_dist_scaling.lua
--   OPENBLAS_NUM_THREADS=1 mpirun -np 2 --bind-to core build/dltlua bench/bench_dist_scaling.lua
-- DLT_BENCH_STEPS=mlp64,mlp256,cnn sets the timed steps (default 300,100,40).
local dlt = require "dlt"
local dist, nn, optim = dlt.distributed, dlt.nn, dlt.optim
local F = nn.functional
dist.init_process_group()
local rank, world = dist.get_rank(), dist.get_world_size()
local steps = {}
for n in (os.getenv("DLT_BENCH_STEPS") or "300,100,40"):gmatch("%d+") do steps[#steps + 1] = tonumber(n) end
assert(#steps == 3, "DLT_BENCH_STEPS: three step counts, mlp64,mlp256,cnn")

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
-- the wall clock; and how the gradients were summed
local function run(make, shape, n)
  dlt.manual_seed(0)
  local model = make()
  local net = model
  if world > 1 then net = nn.parallel.DistributedDataParallel(model) end
  local opt = optim.AdamW(net:parameters(), { lr = 1e-3 })
  dlt.manual_seed(rank)
  local x = dlt.randn(table.unpack(shape))
  local y = dlt.randint(1, 11, { shape[1] })
  local function step()
    opt:zero_grad()
    F.cross_entropy(net(x), y):backward()
    opt:step()
  end
  for _ = 1, 5 do step() end
  dist.barrier()
  local t0 = dlt.clock()
  for _ = 1, n do step() end
  dist.barrier()
  local wall = dlt.clock() - t0
  local how = world == 1 and "" or rawget(net, "_reducer"):shared() and "shared memory" or "MPI_Iallreduce"
  return n * shape[1] * world / wall, how
end

for i, case in ipairs({
  { "MLP 784-512-256-10, batch 64", mlp, { 64, 784 } },
  { "MLP 784-512-256-10, batch 256", mlp, { 256, 784 } },
  { "CNN (shared), batch 64", cnn, { 64, 1, 28, 28 } },
}) do
  local rate, how = run(case[2], case[3], steps[i])
  dist.print(string.format("%-31s per process, %d process%s: %8.0f samples/s%s", case[1], world,
    world > 1 and "es" or "  ", rate, how ~= "" and " (gradients summed through " .. how .. ")" or ""))
end
dist.destroy_process_group()
