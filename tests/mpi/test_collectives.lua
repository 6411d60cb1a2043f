-- test_collectives.lua (run under mpirun -np 2, see tests/CMakeLists.txt): the process
-- group and the collectives on tensors of odd sizes, both dtypes, views; mismatched
-- calls fail on every rank with the rank and the operation named, instead of hanging.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local dist = dlt.distributed

dist.init_process_group()
local rank, world = dist.get_rank(), dist.get_world_size()

T.test("ranks count from 1 to the world size", function()
  T.eq(world, 2, "world size")
  T.eq(rank >= 1 and rank <= world, true, "rank in 1..world")
  local all = dist.all_gather({}, dlt.tensor({ rank }))
  T.close(all[1], { 1 }, 0, 0, "rank 1")
  T.close(all[2], { 2 }, 0, 0, "rank 2")
  T.eq(dist.is_main_process(), rank == 1, "is_main_process")
end)

-- rank r's values: a known function of r and the position, so sums have closed forms
local function values(n, r, dtype)
  return (dlt.arange(1, n + 1, 1, { dtype = dtype }) * 0.25 + r * 1000):reshape(n)
end

T.test("all_reduce sum, avg, max, min on odd sizes in both dtypes", function()
  for _, dtype in ipairs({ "float32", "float64" }) do
    for _, n in ipairs({ 1, 7, 1001, 65537 }) do
      local base = values(n, 0, dtype)
      -- in a fixed order: pairs() would visit the ops in a different order on each rank
      for _, case in ipairs({
        { "sum", base * 2 + 3000 }, { "avg", base + 1500 }, { "max", base + 2000 }, { "min", base + 1000 },
      }) do
        local op, want = case[1], case[2]
        local t = values(n, rank, dtype)
        local ret = dist.all_reduce(t, { op = op })
        T.eq(ret, t, "returns its tensor")
        T.eq((t - want):abs():max():item(), 0, string.format("%s %s n=%d: largest difference", op, dtype, n))
      end
    end
  end
end)

T.test("all_reduce of a non-contiguous view writes through to its elements", function()
  local m = dlt.zeros(5, 3)
  local v = m:t()  -- (3, 5), transposed strides
  dlt.no_grad(function() v:fill_(rank) end)
  dist.all_reduce(v)
  T.close(m, dlt.full({ 5, 3 }, 3), 0, 0, "1 + 2 everywhere")
end)

T.test("broadcast from rank 2 and from rank 1, odd sizes, both dtypes", function()
  for _, dtype in ipairs({ "float32", "float64" }) do
    for _, src in ipairs({ 2, 1 }) do
      local t = values(13, rank, dtype):reshape(13, 1)
      dist.broadcast(t, src)
      T.close(t, values(13, src, dtype):reshape(13, 1), 0, 0, "broadcast from " .. src)
    end
  end
  T.raises(function() dist.broadcast(dlt.ones(2), 3) end, "rank " .. rank .. " of 2: src must be a rank in 1..2, got 3")
end)

T.test("all_gather fills the list by rank, into given tensors too", function()
  for _, dtype in ipairs({ "float32", "float64" }) do
    local t = values(9, rank, dtype):reshape(3, 3)
    local list = dist.all_gather({}, t)
    T.eq(#list, 2, "one tensor per rank")
    for r = 1, 2 do T.close(list[r], values(9, r, dtype):reshape(3, 3), 0, 0, "rank " .. r .. "'s tensor") end
    local into = { dlt.zeros(3, 3, { dtype = dtype }) }
    local keep = into[1]
    dist.all_gather(into, t)
    T.eq(into[1], keep, "the given tensor is kept")
    T.close(keep, values(9, 1, dtype):reshape(3, 3), 0, 0, "and written")
  end
  T.raises(function() dist.all_gather({ dlt.zeros(2) }, dlt.zeros(3)) end, "list[1] must be nil or a tensor")
end)

T.test("a collective whose ranks disagree fails on every rank, naming the rank and the operation", function()
  local err = T.raises(function() dist.all_reduce(dlt.ones(3 + rank)) end, "all_reduce: rank 2 has a tensor of numel 5 but rank 1 has 4")
  T.eq(err:find("seen on rank " .. rank .. " of 2", 1, true) ~= nil, true, "the reporting rank is named")
  T.raises(function() dist.all_reduce(dlt.ones(3, { dtype = rank == 1 and "float32" or "float64" })) end,
    "all_reduce: rank 2 has dtype number")
  T.raises(function() dist.all_reduce(dlt.ones(3), { op = rank == 1 and "sum" or "max" }) end, "op number")
  T.raises(function() dist.broadcast(dlt.ones(2), rank) end, "broadcast: rank 2 has src rank - 1 1 but rank 1 has 0")
  T.raises(function() dist.all_gather({}, dlt.ones(rank)) end, "all_gather: rank 2 has a tensor of numel 2")
  T.raises(function() dist.all_reduce(dlt.ones(2), { op = "prod" }) end, "all_reduce: rank " .. rank .. " of 2: op must be")
  -- the group still works after the failures
  local t = dlt.ones(3)
  dist.all_reduce(t)
  T.close(t, { 2, 2, 2 }, 0, 0, "after")
end)

T.test("progress bars draw on rank 1 only (DLT_PROGRESS=1 forces them on in this test)", function()
  local bar = dlt.progress(10, { delay = math.huge })
  T.eq(bar.enabled, rank == 1, "enabled on rank " .. rank)
  bar:close()
end)

T.test("barrier, and a second init fails", function()
  dist.barrier()
  T.raises(function() dist.init_process_group() end, "already initialized")
end)

T.test("dlt.save writes on rank 1 only; a rank-specific file is not written on rank 2", function()
  local id = dlt.tensor({ math.random(1, 1e9) }, { dtype = "float64" })
  dist.broadcast(id, 1)
  local path = string.format("%s/dlt_mpi_%d_rank%d.safetensors", os.getenv("TMPDIR") or "/tmp", math.tointeger(id[1]), rank)
  dlt.save(path, { w = dlt.ones(2) })
  local f = io.open(path, "rb")
  T.eq(f ~= nil, rank == 1, "file exists on rank 1 only")
  if f then f:close() end
  os.remove(path)
  dist.save_on_all_ranks(path, { w = dlt.ones(2) })
  f = io.open(path, "rb")
  T.eq(f ~= nil, true, "save_on_all_ranks writes everywhere")
  f:close()
  os.remove(path)
end)

T.run()
dist.destroy_process_group()
