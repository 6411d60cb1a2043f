-- bench_matmul.lua: a:matmul(b) on 1024x1024 float32 from Lua, to set beside
-- bench_matmul (the C comparison of dlt_matmul with cblas_sgemm).
-- Run: build/dltlua bench/bench_matmul.lua [n] [reps]
local dlt = require "dlt"

local n = tonumber(arg and arg[1]) or 1024
local reps = tonumber(arg and arg[2]) or 21

dlt.manual_seed(0)
local a = dlt.rand(n, n) * 2 - 1
local b = dlt.rand(n, n) * 2 - 1
for _ = 1, 3 do local _ = a:matmul(b) end  -- warm up

local times = {}
for r = 1, reps do
  local t0 = dlt.clock()
  local c = a:matmul(b)
  times[r] = dlt.clock() - t0
  assert(c)
end
table.sort(times)
local med = times[(reps + 1) // 2]
print(string.format("Lua a:matmul(b) %dx%d float32, median of %d runs, %d BLAS threads", n, n, reps, dlt.num_threads()))
print(string.format("  a:matmul(b)                    %8.3f ms  %6.1f GFLOP/s", med * 1e3, 2 * n ^ 3 / med * 1e-9))
