-- bench_plot.lua: the notebook's Rosenbrock figure (two panels, 20 log-spaced contour
-- levels on a 200x200 grid, four optimizer paths, legends, a log axis) rendered and
-- saved by dlt.plot, against its matplotlib twin bench/plot_rosenbrock.py, each as a
-- whole process (start, imports, compute, draw, write the PNG). Goal: at least 10x.
-- Run from the source root: build/dltlua bench/bench_plot.lua [runs]
-- (with "--figure OUT.png" it only draws the figure once: the process being timed)
local dlt = require "dlt"
local plt = dlt.plot

local function f(x, y) return (1 - x) ^ 2 + 100 * (y - x * x) ^ 2 end
local function grad(x, y) return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x) end

-- the same hand-written optimizers as the twin, from (-1, 1.5)
local function run(name, steps)
  local x, y = -1.0, 1.5
  local vx, vy, sx, sy, mx, my = 0, 0, 0, 0, 0, 0
  local px, py, losses = {x}, {y}, {f(x, y)}
  for t = 1, steps do
    local gx, gy = grad(x, y)
    if name == "SGD" then
      x, y = x - 1e-4 * gx, y - 1e-4 * gy
    elseif name == "Momentum" then
      vx, vy = 0.9 * vx + gx, 0.9 * vy + gy
      x, y = x - 1e-4 * vx, y - 1e-4 * vy
    elseif name == "RMSprop" then
      sx, sy = 0.99 * sx + 0.01 * gx * gx, 0.99 * sy + 0.01 * gy * gy
      x, y = x - 1e-2 * gx / (sx ^ 0.5 + 1e-8), y - 1e-2 * gy / (sy ^ 0.5 + 1e-8)
    else
      mx, my = 0.9 * mx + 0.1 * gx, 0.9 * my + 0.1 * gy
      sx, sy = 0.999 * sx + 0.001 * gx * gx, 0.999 * sy + 0.001 * gy * gy
      local c1, c2 = 1 - 0.9 ^ t, 1 - 0.999 ^ t
      x = x - 1e-2 * (mx / c1) / ((sx / c2) ^ 0.5 + 1e-8)
      y = y - 1e-2 * (my / c1) / ((sy / c2) ^ 0.5 + 1e-8)
    end
    px[#px + 1], py[#py + 1], losses[#losses + 1] = x, y, f(x, y)
  end
  return px, py, losses
end

local function figure(out)
  plt.style.use("seaborn-v0_8-whitegrid")
  local names = {"SGD", "Momentum", "RMSprop", "Adam"}
  local colors = {SGD = "blue", Momentum = "red", RMSprop = "green", Adam = "orange"}
  local n = 200
  local xs, ys, Z = dlt.linspace(-2, 2, n), dlt.linspace(-1, 3, n), {}
  local xv, yv = xs:totable(), ys:totable()
  for i = 1, n do
    local row = {}
    for j = 1, n do row[j] = f(xv[j], yv[i]) end
    Z[i] = row
  end
  local fig, axes = plt.subplots(1, 2, {figsize = {14, 6}})
  local ax = axes[1]
  ax:contour(xs, ys, Z, {levels = dlt.logspace(0, 3.5, 20), cmap = "viridis", alpha = 0.7})
  ax:plot(1, 1, "r*", {markersize = 15, label = "Minimum (1,1)"})
  ax:plot(-1, 1.5, "ko", {markersize = 10, label = "Start"})
  local losses = {}
  for _, name in ipairs(names) do
    local px, py, l = run(name, 500)
    losses[name] = l
    ax:plot(px, py, "-", {color = colors[name], linewidth = 2, alpha = 0.8,
                          label = string.format("%s (%d steps)", name, #px)})
  end
  ax:set_xlabel("x")
  ax:set_ylabel("y")
  ax:set_title("Optimizer Paths on Rosenbrock Function")
  ax:legend({loc = "upper left"})
  ax:set_xlim(-2, 2)
  ax:set_ylim(-1, 3)
  ax = axes[2]
  for _, name in ipairs(names) do ax:plot(losses[name], {color = colors[name], label = name, linewidth = 2}) end
  ax:set_xlabel("Step")
  ax:set_ylabel("Loss (log scale)")
  ax:set_title("Loss Convergence")
  ax:set_yscale("log")
  ax:legend()
  ax:grid(true, {alpha = 0.3})
  plt.tight_layout()
  plt.savefig(out)
  plt.close(fig)
end

if arg and arg[1] == "--figure" then
  figure(arg[2] or "rosenbrock_dlt.png")
  return
end

local runs = tonumber(arg and arg[1]) or 5
local exe = arg[-1] or "build/dltlua"
local tmp = os.tmpname()
local has_time = io.open("/usr/bin/time", "r")
if has_time then has_time:close() end

-- wall and CPU (user + system) seconds of one run of cmd; CPU needs GNU time
local function time(cmd)
  local full = has_time and string.format("/usr/bin/time -f '%%U %%S' -o %s.time %s", tmp, cmd) or cmd
  local t0 = dlt.clock()
  local ok = os.execute(full)
  local wall = dlt.clock() - t0
  if not ok then error("bench_plot: command failed: " .. cmd) end
  local cpu = math.huge
  local fh = has_time and io.open(tmp .. ".time")
  if fh then
    local u, s = fh:read("n", "n")
    fh:close()
    if u and s then cpu = u + s end
  end
  return wall, cpu
end

-- the two alternate, so a machine busy with other work slows both alike; best of runs
local best = {dlt = {math.huge, math.huge}, mpl = {math.huge, math.huge}}
local cmds = {dlt = string.format("%s bench/bench_plot.lua --figure %s_dlt.png", exe, tmp),
              mpl = string.format("/usr/bin/python3 bench/plot_rosenbrock.py %s_mpl.png", tmp)}
for _ = 1, runs do
  for _, k in ipairs({"dlt", "mpl"}) do
    local w, c = time(cmds[k])
    best[k][1], best[k][2] = math.min(best[k][1], w), math.min(best[k][2], c)
  end
end
local w_dlt, c_dlt, w_mpl, c_mpl = best.dlt[1], best.dlt[2], best.mpl[1], best.mpl[2]
for _, s in ipairs({"", ".time", "_dlt.png", "_mpl.png"}) do os.remove(tmp .. s) end
print(string.format("Rosenbrock figure (2 panels, 200x200 contour, 20 log levels, 4 paths, legends, log axis)"))
print(string.format("whole process (start, compute, draw, save PNG), best of %d runs", runs))
print(string.format("  %-26s %10s %10s", "", "wall ms", "CPU ms"))
local function row(name, w, c) print(string.format("  %-26s %10.1f %10s", name, w * 1e3, c < math.huge and string.format("%.1f", c * 1e3) or "-")) end
row("dlt.plot (dltlua)", w_dlt, c_dlt)
row("matplotlib 3.6 (python3)", w_mpl, c_mpl)
print(string.format("  speedup: %.1fx wall, %s CPU (goal: at least 10x)", w_mpl / w_dlt,
  c_dlt < math.huge and string.format("%.1fx", c_mpl / c_dlt) or "-"))
