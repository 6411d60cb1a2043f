-- bench_plot_lines.lua: savefig of one line of many points (issue 12, item 19): noisy
-- data (standard normal noise), a 200,000-step noisy loss curve, a random walk and
-- sorted data, 10^4 to 10^6 points, in the default 6.4x4.8-inch figure at 100 dpi.
-- Times savefig alone (the line's data made and plotted before), best of runs, in this
-- process: wall time, and CPU time of the process (both drawing threads; os.clock),
-- which a machine busy with other work changes less. Goal: every line of up to 10^6
-- points saves in under 0.1 s.
-- Run from the source root: build/dltlua bench/bench_plot_lines.lua [runs]
-- With "--one KIND N OUT.png" it draws and saves one figure (the matplotlib twin,
-- bench/plot_lines.py, makes the same data and figure).
local dlt = require "dlt"
local plt = dlt.plot

-- y values of kind for n points (x is 0 .. n-1), from seed 0
local function data(kind, n)
  dlt.manual_seed(0)
  local noise = dlt.randn(n):double()
  if kind == "noisy" then return noise end
  local y = noise:totable()
  if kind == "sorted" then
    table.sort(y)
  elseif kind == "walk" then
    for i = 2, n do y[i] = y[i - 1] + y[i] end
  elseif kind == "loss" then  -- a training loss: decays, noise of a tenth of its size
    for i = 1, n do
      local l = 2.3 * math.exp(-5 * (i - 1) / n) + 0.05
      y[i] = l * (1 + 0.1 * y[i])
    end
  else
    error("bench_plot_lines: unknown kind '" .. tostring(kind) .. "'")
  end
  return dlt.tensor(y, {dtype = "float64"})
end

local function figure(kind, n)
  local fig, ax = plt.subplots()
  ax:plot(dlt.arange(n):double(), data(kind, n))
  return fig
end

if arg and arg[1] == "--one" then
  local kind, n, out = arg[2], math.tointeger(tonumber(arg[3])), arg[4] or "line.png"
  local fig = figure(kind, n)
  fig:savefig(out)
  plt.close(fig)
  return
end

local runs = tonumber(arg and arg[1]) or 5
local out = os.tmpname() .. ".png"
print(string.format("savefig of one line (6.4x4.8 in, 100 dpi), best of %d runs, ms wall / ms CPU", runs))
print(string.format("  %-8s %16s %16s %16s", "data", "10^4", "10^5", "10^6"))
local worst = 0
for _, kind in ipairs({"noisy", "loss", "walk", "sorted"}) do
  local row = {}
  for _, n in ipairs({10000, 100000, 1000000}) do
    local fig, best, cpu = figure(kind, n), math.huge, math.huge
    for _ = 1, runs do
      local t0, c0 = dlt.clock(), os.clock()
      fig:savefig(out)
      best, cpu = math.min(best, dlt.clock() - t0), math.min(cpu, os.clock() - c0)
    end
    plt.close(fig)
    worst = math.max(worst, best)
    row[#row + 1] = string.format("%16s", string.format("%.1f / %.1f", best * 1e3, cpu * 1e3))
  end
  print(string.format("  %-8s %s", kind, table.concat(row, " ")))
end
os.remove(out)
print(string.format("slowest: %.1f ms wall (goal: under 100 ms)", worst * 1e3))
