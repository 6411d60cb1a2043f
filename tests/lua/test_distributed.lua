-- test_distributed.lua: dlt.distributed in one process, without mpirun: the errors
-- before a process group exists (or without MPI), DistributedSampler against PyTorch's,
-- DataLoader with a sampler, SyncBatchNorm as BatchNorm on one process, the rank-aware
-- conveniences outside a group. The multi-process tests are tests/mpi/*.lua (mpirun).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local dist, nn, data = dlt.distributed, dlt.nn, dlt.data

local F64 = { dtype = "float64" }

T.test("without a process group every collective says how to start one (or how to get MPI)", function()
  T.eq(dist.is_initialized(), false, "is_initialized")
  local want = dist.is_available() and "call dlt.distributed.init_process_group() first" or "libopenmpi-dev openmpi-bin"
  for _, call in ipairs({
    function() return dist.get_rank() end,
    function() return dist.get_world_size() end,
    function() return dist.barrier() end,
    function() return dist.all_reduce(dlt.ones(3)) end,
    function() return dist.broadcast(dlt.ones(3), 1) end,
    function() return dist.all_gather({}, dlt.ones(3)) end,
    function() return dist.destroy_process_group() end,
    function() return nn.parallel.DistributedDataParallel(nn.Linear(2, 2)) end,
  }) do
    T.raises(call, want)
  end
end)

T.test("without MPI init_process_group names the packages to install", function()
  if dist.is_available() then return end
  T.raises(function() dist.init_process_group() end, "libopenmpi-dev openmpi-bin")
end)

T.test("init_process_group refuses backends other than mpi", function()
  T.raises(function() dist.init_process_group("nccl") end, "backend 'nccl' is not available")
  T.raises(function() dist.init_process_group({ backend = "gloo" }) end, "backend 'gloo' is not available")
  T.raises(function() dist.init_process_group({ world = 2 }) end, "unknown option 'world'")
end)

T.test("DistributedSampler gives each rank PyTorch's rows (padding, drop_last)", function()
  local cases = dofile("tests/fixtures/distributed.lua")
  for _, c in ipairs(cases) do
    local ds = data.TensorDataset(dlt.arange(1, c.n + 1))
    for r = 1, c.replicas do
      local s = data.DistributedSampler(ds, { num_replicas = c.replicas, rank = r, shuffle = false,
                                              drop_last = c.drop_last })
      local what = string.format("n=%d replicas=%d drop_last=%s rank %d", c.n, c.replicas, tostring(c.drop_last), r)
      T.eq(#s, #c.ranks[r], what .. " length")
      local got = #c.ranks[r] > 0 and s:indices():totable() or {}
      for i, v in ipairs(got) do got[i] = math.tointeger(v) end
      T.eq(table.concat(got, ","), table.concat(c.ranks[r], ","), what)
    end
  end
end)

T.test("DistributedSampler's shuffle: one permutation shared by the ranks, new each epoch", function()
  local n, R = 23, 3
  local ds = data.TensorDataset(dlt.arange(1, n + 1))
  local function epoch_rows(e, seed)
    local all = {}
    for r = 1, R do
      local s = data.DistributedSampler(ds, { num_replicas = R, rank = r, seed = seed })
      s:set_epoch(e)
      all[r] = s:indices():totable()
    end
    return all
  end
  local a, b = epoch_rows(0), epoch_rows(1)
  -- 23 rows over 3 ranks: 8 each, the first one repeated as padding
  local seen, count = {}, 0
  for r = 1, R do
    T.eq(#a[r], 8, "rows per rank")
    for _, i in ipairs(a[r]) do
      if not seen[i] then count = count + 1 end
      seen[i] = true
    end
  end
  T.eq(count, n, "every row is on some rank")
  T.eq(table.concat(epoch_rows(0)[2], ","), table.concat(a[2], ","), "same epoch, same rows")
  T.eq(table.concat(a[1], ",") ~= table.concat(b[1], ","), true, "another epoch, another order")
  T.eq(table.concat(epoch_rows(0, 7)[1], ",") ~= table.concat(a[1], ","), true, "another seed, another order")
  dlt.manual_seed(5)
  local x = dlt.rand(3):totable()
  dlt.manual_seed(5)
  epoch_rows(3)
  T.close(dlt.rand(3), x, 0, 0, "the global generator is untouched")
end)

T.test("DistributedSampler checks its arguments", function()
  local ds = data.TensorDataset(dlt.arange(1, 5))
  T.raises(function() data.DistributedSampler(ds, { num_replicas = 2, rank = 3 }) end, "rank 3 is not in 1..2")
  T.raises(function() data.DistributedSampler(ds, { num_replicas = 0, rank = 1 }) end, "num_replicas must be at least 1")
  T.raises(function() data.DistributedSampler(ds, { num_replicas = 2, rank = 1, shufle = true }) end, "unknown option 'shufle'")
  T.raises(function() data.DistributedSampler(ds) end,
    dist.is_available() and "init_process_group" or "libopenmpi-dev openmpi-bin")
  local s = data.DistributedSampler(ds, { num_replicas = 2, rank = 1 })
  T.raises(function() s:set_epoch(1.5) end, "epoch must be an integer")
end)

T.test("DataLoader takes a sampler: its rows, in its order, in batches", function()
  local X = dlt.arange(1, 12, 1, F64):unsqueeze(2)
  local ds = data.TensorDataset(X, dlt.arange(1, 12, 1, F64))
  local s = data.DistributedSampler(ds, { num_replicas = 2, rank = 2, shuffle = false })
  local loader = data.DataLoader(ds, { batch_size = 4, sampler = s })
  T.eq(#loader, 2, "6 rows in batches of 4")
  local rows = {}
  for xb, yb in loader:iter() do
    for _, v in ipairs(yb:totable()) do rows[#rows + 1] = math.tointeger(v) end
    T.close(xb:squeeze(2), yb, 0, 0, "rows stay paired")
  end
  T.eq(table.concat(rows, ","), "2,4,6,8,10,1", "rank 2's rows with PyTorch's padding")
  T.raises(function() data.DataLoader(ds, { sampler = s, shuffle = true }) end, "mutually exclusive with shuffle")
  T.raises(function() data.DataLoader(ds, { sampler = 3 }) end, "sampler must have an indices() method")
end)

-- a BatchNorm1d and a SyncBatchNorm from convert_sync_batchnorm, trained side by side
local function bn_pair(dtype)
  dlt.manual_seed(3)
  local a = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, { momentum = 0.3 }), nn.ReLU(), nn.Linear(6, 2)):to(dtype)
  dlt.manual_seed(3)
  local b = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, { momentum = 0.3 }), nn.ReLU(), nn.Linear(6, 2)):to(dtype)
  return a, nn.SyncBatchNorm.convert_sync_batchnorm(b)
end

T.test("SyncBatchNorm in one process is BatchNorm: outputs, gradients, running statistics", function()
  local a, b = bn_pair("float64")
  T.eq(b[2]:_get_name(), "SyncBatchNorm", "converted")
  local x = dlt.randn(16, 4, F64)
  for _ = 1, 3 do
    local ya, yb = a(x), b(x)
    T.close(yb, ya, 1e-12, 1e-14, "forward")
    ya:pow(2):sum():backward()
    yb:pow(2):sum():backward()
  end
  local pa, pb = a:parameters(), b:parameters()
  T.eq(#pb, #pa, "parameter count")
  for i = 1, #pa do T.close(pb[i].grad, pa[i].grad, 1e-11, 1e-13, "grad " .. i) end
  local sa, sb = a:state_dict(), b:state_dict()
  T.close(sb["2.running_mean"], sa["2.running_mean"], 1e-12, 1e-15, "running_mean")
  T.close(sb["2.running_var"], sa["2.running_var"], 1e-12, 1e-15, "running_var")
  a:eval()
  b:eval()
  T.close(b(x), a(x), 1e-12, 1e-14, "eval forward")
end)

T.test("SyncBatchNorm in one process is BatchNorm2d on images, momentum=false (cumulative) too", function()
  for _, momentum in ipairs({ 0.1, false }) do
    dlt.manual_seed(4)
    local a = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, { momentum = momentum })):double()
    dlt.manual_seed(4)
    local b = nn.SyncBatchNorm.convert_sync_batchnorm(
      nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, { momentum = momentum })):double())
    T.eq(tostring(b[2]), "SyncBatchNorm(3, eps=1e-05, momentum=" .. (momentum and "0.1" or "None")
      .. ", affine=True, track_running_stats=True)", "printout")
    for _ = 1, 3 do
      local x = dlt.randn(4, 2, 6, 5, F64)
      local ya, yb = a(x), b(x)
      T.close(yb, ya, 1e-12, 1e-13, "forward")
      ya:pow(2):sum():backward()
      yb:pow(2):sum():backward()
    end
    local pa, pb = a:parameters(), b:parameters()
    for i = 1, #pa do T.close(pb[i].grad, pa[i].grad, 1e-10, 1e-12, "grad " .. i) end
    local sa, sb = a:state_dict(), b:state_dict()
    for _, k in ipairs({ "2.running_mean", "2.running_var", "2.num_batches_tracked" }) do
      T.close(sb[k], sa[k], 1e-12, 1e-15, k)
    end
  end
end)

T.test("convert_sync_batchnorm shares the parameters and keeps a checkpoint loadable", function()
  local a, b = bn_pair("float32")
  local seq = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6))
  local bn = seq[2]
  local conv = nn.SyncBatchNorm.convert_sync_batchnorm(seq)
  dlt.no_grad(function() bn.weight:fill_(3) end)
  T.close(conv[2].weight, dlt.full({ 6 }, 3), 0, 0, "weight shared")
  local keys = {}
  for k in pairs(b:state_dict()) do keys[#keys + 1] = k end
  table.sort(keys)
  local want = {}
  for k in pairs(a:state_dict()) do want[#want + 1] = k end
  table.sort(want)
  T.eq(table.concat(keys, " "), table.concat(want, " "), "the same state_dict names as BatchNorm1d")
  a:load_state_dict(b:state_dict())
end)

T.test("outside a process group the rank-aware helpers act as in one process", function()
  T.eq(dist.is_main_process(), true, "is_main_process")
  local path = os.tmpname()
  dlt.save(path, { w = dlt.ones(2) })
  T.close(dlt.load(path).w, { 1, 1 }, 0, 0, "dlt.save writes")
  os.remove(path)
  T.eq(dist.ReduceOp.AVG, "avg", "ReduceOp")
end)

T.test("without mpirun init_process_group makes a group of one process, and DDP trains as the plain model", function()
  if not dist.is_available() then return end
  dist.init_process_group()
  T.eq(dist.get_rank(), 1, "rank")
  T.eq(dist.get_world_size(), 1, "world size")
  local t = dlt.tensor({ 1, 2, 3 })
  dist.all_reduce(t, { op = "avg" })
  T.close(t, { 1, 2, 3 }, 0, 0, "all_reduce of one rank")
  T.close(dist.all_gather({}, t)[1], { 1, 2, 3 }, 0, 0, "all_gather of one rank")
  dist.barrier()
  -- DDP over one rank: the same bits as training the model itself, buckets and all
  local function net()
    dlt.manual_seed(9)
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
  end
  local plain, inner = net(), net()
  local ddp = nn.parallel.DistributedDataParallel(inner, { bucket_cap_mb = 1e-5 })
  T.eq(#ddp:buckets(), 4, "a bucket per parameter at this cap")
  local oa, ob = dlt.optim.AdamW(plain:parameters()), dlt.optim.AdamW(ddp:parameters())
  local X, Y = dlt.randn(8, 5), dlt.randint(1, 4, { 8 }, F64)
  local loss = nn.CrossEntropyLoss()
  for _ = 1, 3 do
    oa:zero_grad()
    ob:zero_grad()
    loss(plain(X), Y):backward()
    loss(ddp(X), Y):backward()
    oa:step()
    ob:step()
  end
  local pa, pb = plain:parameters(), inner:parameters()
  for i = 1, #pa do T.close(pb[i], pa[i], 0, 0, "parameter " .. i) end
  -- an expanded view cannot take a collective's result; a NaN bucket size is refused
  local ex = dlt.zeros(1, 3):expand(2, 3)
  T.raises(function() dist.all_reduce(ex) end,
    "all_reduce: rank 1 of 1: more than one element of the tensor refers to a single memory location")
  T.raises(function() dist.broadcast(ex, 1) end, "broadcast: rank 1 of 1: more than one element of the tensor")
  T.raises(function() dist.all_gather({ ex }, dlt.ones(2, 3)) end, "all_gather: rank 1 of 1: more than one element of list[1]")
  T.raises(function() nn.parallel.DistributedDataParallel(net(), { bucket_cap_mb = 0 / 0 }) end,
    "DistributedDataParallel: bucket_cap_mb must be a positive number, got nan")
  dist.destroy_process_group()
  T.eq(dist.is_initialized(), false, "destroyed")
end)

T.run()
