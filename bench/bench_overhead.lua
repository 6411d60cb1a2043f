-- bench_overhead.lua: the per-call cost of small tensor ops from Lua (32x64 float32),
-- the case where binding overhead, not arithmetic, dominates. Target: a + b under 1 us.
-- Run: build/dltlua bench/bench_overhead.lua [iterations]
local dlt = require "dlt"

local N = tonumber(arg and arg[1]) or 200000
local REPEATS = 5

-- best of REPEATS runs of N calls, in nanoseconds per call: wall-clock time (dlt.clock)
-- and this process's CPU time (os.clock), which other processes on a busy machine
-- disturb less; the ops here run on one thread, so both measure the same work.
local function time(f)
  local wall, cpu = math.huge, math.huge
  for _ = 1, REPEATS do
    collectgarbage()
    local t0, c0 = dlt.clock(), os.clock()
    f(N)
    wall = math.min(wall, dlt.clock() - t0)
    cpu = math.min(cpu, os.clock() - c0)
  end
  return wall / N * 1e9, cpu / N * 1e9
end

dlt.manual_seed(0)
local a, b = dlt.randn(32, 64), dlt.randn(32, 64)
local w = dlt.randn(64, 32)
local row = dlt.randn(64)
local p = dlt.randn(32, 64, { requires_grad = true })

local cases = {
  { "empty Lua loop (baseline)", function(n) for _ = 1, n do end end },
  { "a + b", function(n) for _ = 1, n do local _ = a + b end end },
  { "a * 2", function(n) for _ = 1, n do local _ = a * 2 end end },
  { "a + row (broadcast)", function(n) for _ = 1, n do local _ = a + row end end },
  { "a:relu()", function(n) for _ = 1, n do local _ = a:relu() end end },
  { "a:exp()", function(n) for _ = 1, n do local _ = a:exp() end end },
  { "a:sum()", function(n) for _ = 1, n do local _ = a:sum() end end },
  { "a:sum(2)", function(n) for _ = 1, n do local _ = a:sum(2) end end },
  { "a:view(64, 32)", function(n) for _ = 1, n do local _ = a:view(64, 32) end end },
  { "a[1] (row view)", function(n) for _ = 1, n do local _ = a[1] end end },
  { "a.shape", function(n) for _ = 1, n do local _ = a.shape end end },
  { "a:matmul(w) 32x64x32", function(n) for _ = 1, n do local _ = a:matmul(w) end end },
  { "p + b (records autograd)", function(n) for _ = 1, n do local _ = p + b end end },
  { "a:add_(b) (in place)", function(n) for _ = 1, n do a:add_(b) end end },
}

print(string.format("small-op overhead, 32x64 float32, best of %d x %d calls, %d BLAS threads",
  REPEATS, N, dlt.num_threads()))
print(string.format("  %-28s %10s %10s", "op", "wall ns", "cpu ns"))
for _, c in ipairs(cases) do
  print(string.format("  %-28s %10.1f %10.1f", c[1], time(c[2])))
end
print(string.format("  live tensor bytes at the end: %d", dlt.memory_in_use()))
