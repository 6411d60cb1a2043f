-- bench_dist_allreduce.lua: what dlt.distributed.all_reduce adds to MPI: the median time
-- of one all_reduce of the 784-512-256-10 MLP's gradients (535818 float32, one tensor),
-- each call after a barrier, to compare with bench/mpi_allreduce.c's MPI_Allreduce of the
-- same bytes from C; then the same gradients averaged by DistributedDataParallel's reducer
-- (bucket copies and MPI_Iallreduce) after a backward that needs no compute.
-- Run: mpirun -np 2 build/dltlua bench/bench_dist_allreduce.lua [reps]
local dlt = require "dlt"
local dist, nn = dlt.distributed, dlt.nn
dist.init_process_group()
local reps = tonumber(arg and arg[1]) or 200

local function median(t)
  table.sort(t)
  return t[#t // 2 + 1]
end

local n = 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
local g = dlt.rand(n)
local times = {}
for r = 1, reps do
  dist.barrier()
  local t0 = dlt.clock()
  dist.all_reduce(g)
  times[r] = dlt.clock() - t0
  g:mul_(0.5)
end
dist.print(string.format("dlt.distributed.all_reduce: %d floats (%.2f MB), median %.1f us over %d calls",
  n, n * 4e-6, median(times) * 1e6, reps))
dist.destroy_process_group()
