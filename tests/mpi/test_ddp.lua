-- test_ddp.lua (run under mpirun -np 2): DistributedDataParallel. Two processes with half
-- of each global batch end 20 AdamW steps with the parameters one process gets from the
-- whole batch (each rank computes that reference itself): an MLP, and the notebook's
-- network with BatchNorm through SyncBatchNorm (global-batch statistics, so "the same
-- network" holds). Also: wrap-time broadcast and shape check, no_sync accumulation,
-- overlapped buckets, per-rank BatchNorm with buffers broadcast from rank 1, and a
-- checkpoint from the distributed run loading into a plain model.
package.path = "tests/lua/?.lua;scripts/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local pipeline = require "pipeline"
local dist, nn, optim = dlt.distributed, dlt.nn, dlt.optim
local DDP = nn.parallel.DistributedDataParallel

dist.init_process_group()
local rank, world = dist.get_rank(), dist.get_world_size()

local STEPS, BATCH = 20, 64
local TOL = { float32 = 1e-6, float64 = 1e-12 }

-- max |a - b| over max |b|: the relative error of a whole tensor
local function relerr(a, b)
  local scale = b:abs():max():item()
  if scale == 0 then scale = 1 end
  return (a - b):abs():max():item() / scale
end

local function check_same(ma, mb, tol, what)
  local sa, sb = ma:state_dict(), mb:state_dict()
  local names = {}
  for k in pairs(sb) do names[#names + 1] = k end
  table.sort(names)
  local worst = 0
  for _, k in ipairs(names) do
    T.eq(sa[k] ~= nil, true, what .. ": " .. k .. " present")
    local e = relerr(sa[k]:double(), sb[k]:double())
    if not (e <= tol) then
      error(string.format("%s: %s differs by %.3g relative (tolerance %g)", what, k, e, tol), 2)
    end
    worst = math.max(worst, e)
  end
  dist.print(string.format("%s: largest relative difference %.3g (tolerance %g)", what, worst, tol))
end

-- this rank's rows of a global batch
local function my_half(t)
  local n = t:size(1) // world
  return t:narrow(1, (rank - 1) * n + 1, n)
end

-- 20 steps of AdamW; batches[s] = {X, Y}; each step's input through rows(...)
local function train(model, params, batches, loss_fn, rows)
  local trained = {}
  for _, p in ipairs(params) do
    if p.requires_grad then trained[#trained + 1] = p end
  end
  local opt = optim.AdamW(trained, { lr = 1e-2, weight_decay = 1e-2 })
  for s = 1, STEPS do
    local X, Y = batches[s][1], batches[s][2]
    opt:zero_grad()
    local loss = loss_fn(model(rows(X)), rows(Y))
    loss:backward()
    opt:step()
  end
end

local function same_rows(t) return t end

local function mlp(dtype)
  return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 5)):to(dtype)
end

local function mlp_batches(dtype)
  local b = {}
  for s = 1, STEPS do
    b[s] = { dlt.randn(BATCH, 20, { dtype = dtype }), dlt.randint(1, 6, { BATCH }, { dtype = "float64" }) }
  end
  return b
end

-- The bias of a Linear that feeds a BatchNorm has a gradient of exactly 0 (BatchNorm
-- subtracts the batch mean, bias included), so with exact arithmetic AdamW never moves
-- it. In floating point its gradient is rounding noise (1e-17 in float64), which Adam
-- divides by its own size: the bias then drifts by noise, differently in any two runs,
-- and drags the running means along. Frozen at 0, as exact arithmetic keeps it, the
-- comparison measures the training, not the noise.
local function frozen_bn_biases(net)
  local seq = net.network
  for i = 1, #seq - 1 do
    if seq[i]:_get_name() == "Linear" and seq[i + 1]:_get_name() == "BatchNorm1d" then
      seq[i].bias.requires_grad = false
    end
  end
  return net
end

for _, dtype in ipairs({ "float32", "float64" }) do
  T.test("MLP, " .. dtype .. ": 2 ranks with half batches = 1 process with the whole batch after 20 AdamW steps", function()
    dlt.manual_seed(11)
    local batches = mlp_batches(dtype)
    dlt.manual_seed(7)
    local ref = mlp(dtype)
    train(ref, ref:parameters(), batches, nn.CrossEntropyLoss(), same_rows)
    dlt.manual_seed(6 + rank)  -- rank 1 starts as the reference, rank 2 elsewhere: DDP copies rank 1's
    local model = mlp(dtype)
    local ddp = DDP(model, { bucket_cap_mb = 0.002 })  -- several buckets, summed during backward
    T.eq(#ddp:buckets() > 1, true, "several buckets")
    train(ddp, ddp:parameters(), batches, nn.CrossEntropyLoss(), my_half)
    check_same(model, ref, TOL[dtype], "MLP " .. dtype)
  end)

  T.test("notebook network (BatchNorm -> SyncBatchNorm), " .. dtype .. ": same as 1 process after 20 AdamW steps", function()
    -- the moons data of the notebook, 20 global batches of 64
    local X, y = pipeline.make_moons_data(STEPS * BATCH, 0.2)
    X, y = X:to(dtype), y:to(dtype):unsqueeze(2)
    local batches = {}
    for s = 1, STEPS do batches[s] = { X:narrow(1, (s - 1) * BATCH + 1, BATCH), y:narrow(1, (s - 1) * BATCH + 1, BATCH) } end
    -- dropout 0: dropout masks are random draws, which no two runs share
    dlt.manual_seed(42)
    local ref = frozen_bn_biases(pipeline.BestPracticesNetwork(2, { 64, 32 }, 1, 0):to(dtype))
    train(ref, ref:parameters(), batches, nn.BCEWithLogitsLoss(), same_rows)
    dlt.manual_seed(42)
    local model = frozen_bn_biases(pipeline.BestPracticesNetwork(2, { 64, 32 }, 1, 0):to(dtype))
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    local ddp = DDP(model)
    train(ddp, ddp:parameters(), batches, nn.BCEWithLogitsLoss(), my_half)
    check_same(model, ref, TOL[dtype], "notebook network " .. dtype)  -- running statistics included
    -- and in eval mode both give the same predictions
    model:eval()
    ref:eval()
    T.eq(relerr(model(X):double(), ref(X):double()) <= 10 * TOL[dtype], true, "eval predictions")
  end)
end

T.test("overlap: buckets start during backward, and give the same bits as summing at the end", function()
  dlt.manual_seed(11)
  local batches = mlp_batches("float32")
  local results = {}
  for _, overlap in ipairs({ true, false }) do
    dlt.manual_seed(7)
    local model = mlp("float32")
    local ddp = DDP(model, { bucket_cap_mb = 0.002, overlap = overlap })
    train(ddp, ddp:parameters(), batches, nn.CrossEntropyLoss(), my_half)
    results[#results + 1] = model
  end
  check_same(results[1], results[2], 0, "overlap on and off")
end)

T.test("no_sync accumulates locally; the next synced backward averages the sums", function()
  dlt.manual_seed(3)
  local X, Y = dlt.randn(4 * 8, 20, { dtype = "float64" }), dlt.randint(1, 6, { 32 }, { dtype = "float64" })
  local loss_fn = nn.CrossEntropyLoss()
  -- one process: the four quarter-batch gradients summed, halved (DDP averages 2 ranks)
  dlt.manual_seed(7)
  local ref = mlp("float64")
  for q = 1, 4 do loss_fn(ref(X:narrow(1, (q - 1) * 8 + 1, 8)), Y:narrow(1, (q - 1) * 8 + 1, 8)):backward() end
  -- rank r: quarters 2r-1 (under no_sync) and 2r (synced)
  dlt.manual_seed(7)
  local model = mlp("float64")
  local ddp = DDP(model)
  local function quarter(q) return X:narrow(1, (q - 1) * 8 + 1, 8), Y:narrow(1, (q - 1) * 8 + 1, 8) end
  ddp:no_sync(function()
    local xq, yq = quarter(2 * rank - 1)
    loss_fn(ddp(xq), yq):backward()
  end)
  local local_grad = model:parameters()[1].grad:clone()
  local other = dist.all_gather({}, local_grad)
  T.eq(relerr(other[1], other[2]) > 1e-3, true, "under no_sync the ranks' gradients differ")
  local xq, yq = quarter(2 * rank)
  loss_fn(ddp(xq), yq):backward()
  local pr, pm = ref:parameters(), model:parameters()
  for i = 1, #pr do
    T.eq(relerr(pm[i].grad, pr[i].grad * 0.5) <= 1e-12, true, "grad " .. i)
  end
end)

T.test("per-rank BatchNorm: buffers broadcast from rank 1 at each forward, parameters equal on all ranks", function()
  local X, y = pipeline.make_moons_data(STEPS * BATCH, 0.2)
  y = y:unsqueeze(2)
  local batches = {}
  for s = 1, STEPS do batches[s] = { X:narrow(1, (s - 1) * BATCH + 1, BATCH), y:narrow(1, (s - 1) * BATCH + 1, BATCH) } end
  dlt.manual_seed(42 + rank)
  local model = pipeline.BestPracticesNetwork(2, { 64, 32 }, 1, 0)
  local ddp = DDP(model)
  train(ddp, ddp:parameters(), batches, nn.BCEWithLogitsLoss(), my_half)
  for name, p in model:named_parameters() do
    local all = dist.all_gather({}, p:detach())
    T.close(all[2], all[1], 0, 0, name .. " equal on both ranks")
  end
  -- the buffers were last broadcast before the last forward, which then updated them
  -- with this rank's own half batch: they differ now, and are rank 1's after a forward
  ddp:eval()
  dlt.no_grad(function() ddp(X:narrow(1, 1, 4)) end)
  local sd, names = model:state_dict(), {}
  for k in pairs(sd) do names[#names + 1] = k end
  table.sort(names)  -- the same order on both ranks
  for _, k in ipairs(names) do
    local all = dist.all_gather({}, sd[k]:clone())
    T.close(all[2], all[1], 0, 0, k .. " broadcast from rank 1")
  end
end)

T.test("a model whose shapes differ between ranks fails at wrap time on every rank", function()
  local model = nn.Sequential(nn.Linear(rank == 1 and 3 or 4, 5), nn.ReLU(), nn.Linear(5, 2))
  T.raises(function() DDP(model) end,
    "DistributedDataParallel: the model differs between ranks: rank 2 has parameter '1.weight' {5,4} float32, "
    .. "rank 1 has parameter '1.weight' {5,3} float32")
  local extra = rank == 1 and nn.Sequential(nn.Linear(3, 5)) or nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 5))
  T.raises(function() DDP(extra) end, "rank 1 has no more tensors")
end)

T.test("a checkpoint saved by the distributed run loads into a plain model in one process", function()
  dlt.manual_seed(7 + rank)
  local model = mlp("float32")
  local ddp = DDP(model)
  local id = dlt.tensor({ math.random(1, 1e9) }, { dtype = "float64" })
  dist.broadcast(id, 1)
  local path = string.format("%s/dlt_ddp_%d.safetensors", os.getenv("TMPDIR") or "/tmp", math.tointeger(id[1]))
  dlt.save(path, ddp:state_dict())  -- rank 1 writes
  dist.barrier()
  -- the single-process side: a plain model, no process group needed to load
  local plain = mlp("float32")
  plain:load_state_dict(dlt.load(path))
  check_same(plain, model, 0, "loaded checkpoint")
  -- PyTorch-style "module."-prefixed names load too
  local prefixed = {}
  for k, v in pairs(dlt.load(path)) do prefixed["module." .. k] = v end
  ddp:load_state_dict(prefixed)
  dist.barrier()
  if rank == 1 then os.remove(path) end
end)

T.test("ranks on one machine sum through shared memory (DLT_DIST_NO_SHM=1: through MPI_Iallreduce)", function()
  local ddp = DDP(nn.Linear(3, 2))
  T.eq(ddp:shared_memory(), os.getenv("DLT_DIST_NO_SHM") == nil, "shared")
end)

T.test("the shared windows of collected wrappers are freed at the next wrap, not by the GC", function()
  for _ = 1, 20 do
    DDP(nn.Linear(50, 40))
    collectgarbage()
  end
  collectgarbage()
  -- the last wrapper's window, at most, outlives the loop (it is freed at the next wrap)
  local held = dist._shared_windows()
  T.eq(held <= 2, true, "windows held: " .. held)
  local ddp = DDP(nn.Linear(2, 2))
  T.eq(ddp:shared_memory() and dist._shared_windows() <= 2 or dist._shared_windows() == 0, true, "after a wrap")
end)

T.test("DistributedDataParallel checks its options", function()
  T.raises(function() DDP(nn.Linear(2, 2), { bucket_cap = 1 }) end, "unknown option 'bucket_cap'")
  T.raises(function() DDP(3) end, "expected a module")
  T.raises(function() DDP(nn.Linear(2, 2), { bucket_cap_mb = 0 }) end, "bucket_cap_mb must be a positive number")
end)

T.run()
dist.destroy_process_group()
