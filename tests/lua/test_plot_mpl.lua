-- test_plot_mpl.lua: dlt.plot against matplotlib 3.6 (tests/fixtures/plot.lua from
-- tests/golden/gen_plot.py): tick values and labels, autoscaled limits, contour
-- levels, histograms and tight_layout positions.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot
local F = dofile("tests/fixtures/plot.lua")

plt.style.use("seaborn-v0_8-whitegrid")

for _, c in ipairs(F.limits) do
  T.test(string.format("%s ticks of %s [%g, %g] equal matplotlib's", c.axis, c.scale, c.lo, c.hi), function()
    local fig, ax = plt.subplots()
    if c.axis == "x" then ax:set_xscale(c.scale); ax:set_xlim(c.lo, c.hi)
    else ax:set_yscale(c.scale); ax:set_ylim(c.lo, c.hi) end
    local ticks, labels
    if c.axis == "x" then ticks, labels = ax:get_xticks() else ticks, labels = ax:get_yticks() end
    T.close(ticks, c.ticks, 1e-9, 1e-15, "ticks")
    T.eq(#labels, #c.labels, "label count")
    for i = 1, #labels do T.eq(labels[i], c.labels[i], "label " .. i) end
    plt.close(fig)
  end)
end

for _, c in ipairs(F.logminor) do
  T.test(string.format("log axis [%g, %g] labels minor ticks as matplotlib", c.lo, c.hi), function()
    local fig, ax = plt.subplots()
    ax:set_yscale("log")
    ax:set_ylim(c.lo, c.hi)
    local ticks, labels = ax:get_yticks({minor = true})
    T.close(ticks, c.ticks, 1e-12, 0, "minor ticks")
    T.eq(#labels, #c.labels, "minor label count")
    for i = 1, #labels do T.eq(labels[i], c.labels[i], "minor label " .. i) end
    local major, mlabels = ax:get_yticks()
    T.close(major, c.major, 1e-12, 0, "major ticks")
    for i = 1, #mlabels do T.eq(mlabels[i], c.major_labels[i], "major label " .. i) end
    plt.close(fig)
  end)
end

T.test("autoscale adds 5% margins like matplotlib", function()
  local a = F.autoscale.line
  local fig, ax = plt.subplots()
  ax:plot({0, 1, 2, 3}, {2, -1, 5, 4})
  T.close({ax:get_xlim()}, a.xlim, 1e-12, 0, "xlim")
  T.close({ax:get_ylim()}, a.ylim, 1e-12, 0, "ylim")
  T.close((ax:get_xticks()), a.xticks, 1e-12, 1e-15, "xticks")
  T.close((ax:get_yticks()), a.yticks, 1e-12, 1e-15, "yticks")
  plt.close(fig)
end)

T.test("bars keep their base on the axis (sticky edge at 0)", function()
  local fig, ax = plt.subplots()
  ax:bar({1, 2, 3}, {3, 7, 5})
  T.close({ax:get_xlim()}, F.autoscale.bar.xlim, 1e-12, 0, "xlim")
  T.close({ax:get_ylim()}, F.autoscale.bar.ylim, 1e-12, 0, "ylim")
  plt.close(fig)
end)

T.test("log axis autoscale and ticks", function()
  local a = F.autoscale.logline
  local fig, ax = plt.subplots()
  local x, y = {}, {}
  for i = 1, 10 do x[i] = i; y[i] = 10 ^ (-3 + 4 * (i - 1) / 9) end
  ax:plot(x, y)
  ax:set_yscale("log")
  T.close({ax:get_ylim()}, a.ylim, 1e-9, 0, "ylim")
  T.close((ax:get_yticks()), a.yticks, 1e-9, 0, "yticks")
  plt.close(fig)
end)

for _, c in ipairs(F.levels) do
  T.test(string.format("contour levels for %d over [%g, %g] equal matplotlib's", c.n, c.zmin, c.zmax), function()
    local x = {0, 0.25, 0.5, 0.75, 1}
    local Z = {}
    for i = 1, 5 do
      Z[i] = {}
      for j = 1, 5 do Z[i][j] = c.zmin + (c.zmax - c.zmin) * ((i - 1) * 5 + j - 1) / 24 end
    end
    local fig, ax = plt.subplots()
    local cf = ax:contourf(x, x, Z, {levels = c.n})
    local cl = ax:contour(x, x, Z, {levels = c.n})
    T.close(cf.levels, c.filled, 1e-9, 1e-12, "contourf levels")
    T.close(cl.levels, c.lines, 1e-9, 1e-12, "contour levels")
    plt.close(fig)
  end)
end

T.test("hist counts and edges equal numpy's (bins=10)", function()
  local fig, ax = plt.subplots()
  local counts, edges = ax:hist(F.hist.data, {bins = 10})
  T.close(counts, F.hist.bins10.counts, 0, 0, "counts")
  T.close(edges, F.hist.bins10.edges, 1e-6, 1e-6, "edges")
  plt.close(fig)
end)

T.test("hist with explicit edges and density", function()
  local fig, ax = plt.subplots()
  local counts, edges = ax:hist(F.hist.data, {bins = {-3, -1, 0, 0.5, 3}, density = true})
  T.close(counts, F.hist.density.counts, 1e-6, 0, "density")
  T.close(edges, F.hist.density.edges, 0, 0, "edges")
  plt.close(fig)
end)

-- text is drawn by Cairo rather than Agg, so extents may differ by a pixel or two
local function close_positions(got, want, px_w, px_h, what)
  for k = 1, 4 do
    local tol = (k % 2 == 1) and 3 / px_w or 3 / px_h
    if math.abs(got[k] - want[k]) > tol then
      error(string.format("%s: position[%d] is %.5f, matplotlib %.5f (tolerance %.5f)", what, k, got[k], want[k], tol), 2)
    end
  end
end

T.test("tight_layout places two panels as matplotlib does (within 3 px)", function()
  local fig, axes = plt.subplots(1, 2, {figsize = {14, 6}})
  local titles = {"Optimizer Paths on Rosenbrock Function", "Loss Convergence"}
  for i = 1, 2 do
    axes[i]:plot({0, 500}, {0.1, 30})
    axes[i]:set_xlabel("x"); axes[i]:set_ylabel("y"); axes[i]:set_title(titles[i])
  end
  axes[2]:set_yscale("log")
  axes[1]:set_xlim(-2, 2); axes[1]:set_ylim(-1, 3)
  fig:tight_layout()
  for i = 1, 2 do close_positions(axes[i]:get_position(), F.tight.two[i], 1400, 600, "axes " .. i) end
  plt.close(fig)
end)

T.test("tight_layout makes room for a suptitle on a 2x2 grid (within 3 px)", function()
  local fig, axes = plt.subplots(2, 2, {figsize = {12, 10}})
  local x, y = {}, {}
  for i = 1, 100 do x[i] = i - 1; y[i] = 0.1 * math.exp(-(i - 1) / 30) end
  local list = {}
  for r = 1, 2 do
    for c = 1, 2 do
      local ax = axes[r][c]
      ax:plot(x, y)
      ax:set_xlabel("Epoch"); ax:set_ylabel("Learning Rate"); ax:set_title("StepLR (step=30, gamma=0.1)")
      list[#list + 1] = ax
    end
  end
  fig:suptitle("Learning Rate Schedulers", {fontsize = 14})
  fig:tight_layout()
  for i = 1, 4 do close_positions(list[i]:get_position(), F.tight.grid[i], 1200, 1000, "axes " .. i) end
  plt.close(fig)
end)

T.run()
