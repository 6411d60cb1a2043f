-- test_plot.lua: dlt.plot from Lua: figure and subplot shapes, data as tensors,
-- tables and numbers, PNG files of figsize x dpi pixels, plt.show's numbered files,
-- mappables and colorbars, NaN handling, and errors that name the problem.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot

plt.style.use("seaborn-v0_8-whitegrid")

local tmp, remove_tmpdir = T.tmpdir()

-- width and height from a PNG's IHDR chunk
local function png_size(path)
  local f = assert(io.open(path, "rb"))
  local head = f:read(24)
  f:close()
  T.eq(head:sub(1, 8), "\137PNG\r\n\26\n", "PNG signature")
  return string.unpack(">I4I4", head, 17)
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

T.test("subplots returns one axes, a list, or a grid", function()
  local fig, ax = plt.subplots()
  T.eq(tostring(ax), "Axes(row 1, col 1)")
  local _, row = plt.subplots(1, 3)
  T.eq(#row, 3, "1x3 is a list")
  T.eq(tostring(row[3]), "Axes(row 1, col 3)")
  local _, grid = plt.subplots(2, 2, {figsize = {12, 10}})
  T.eq(#grid, 2, "rows")
  T.eq(#grid[2], 2, "cols")
  T.eq(tostring(grid[2][1]), "Axes(row 2, col 1)")
  T.eq(grid[2][1]:get_figure(), grid[1][1]:get_figure(), "one figure")
  T.eq(plt.gca(), grid[2][2], "the last axes made is current")
  local _, sq = plt.subplots(1, 1, {squeeze = false})
  T.eq(tostring(sq[1][1]), "Axes(row 1, col 1)", "squeeze = false keeps the grid")
  plt.close("all")
  T.eq(tostring(fig), "Figure(640x480)")
end)

T.test("savefig writes a PNG of figsize x dpi pixels", function()
  local fig, ax = plt.subplots(1, 2, {figsize = {14, 6}})
  ax[1]:plot({1, 2, 3}, {3, 1, 2})
  fig:savefig(tmp("a.png"))
  T.eq(select(1, png_size(tmp("a.png"))), 1400, "width")
  T.eq(select(2, png_size(tmp("a.png"))), 600, "height")
  fig:savefig(tmp("b.png"), {dpi = 50})
  local w, h = png_size(tmp("b.png"))
  T.eq(w, 700, "width at 50 dpi")
  T.eq(h, 300, "height at 50 dpi")
  local f2 = plt.figure({figsize = {3, 2}, dpi = 80})
  plt.plot({0, 1})
  plt.savefig(tmp("c.png"))
  w, h = png_size(tmp("c.png"))
  T.eq(w, 240)
  T.eq(h, 160)
  plt.close(f2)
  plt.close(fig)
end)

T.test("a tight_layout figure saved twice lays out the same: identical bytes", function()
  -- the notebook's learning_rate_sizes: the first layout moves the panels, and with
  -- the old measure-from-where-they-are a second save moved them again
  plt.style.use("seaborn-v0_8-whitegrid")
  local fig, ax = plt.subplots(1, 3, {figsize = {15, 4}})
  for i, lr in ipairs({1.1, 0.3, 0.01}) do
    local path, x = {5.0}, 5.0
    for _ = 1, 20 do
      x = x - lr * 2 * x
      path[#path + 1] = x
      if math.abs(x) > 100 then break end
    end
    ax[i]:plot(path, "o-", {markersize = 6, linewidth = 2})
    ax[i]:axhline(0, {color = "gray", linestyle = "--", alpha = 0.5})
    ax[i]:set_xlabel("Step")
    ax[i]:set_ylabel("x value")
    ax[i]:set_title("lr = " .. lr)
    ax[i]:grid(true, {alpha = 0.3})
    if lr > 1 then ax[i]:set_ylim(-10, 10) else ax[i]:set_ylim(-1, 6) end
  end
  fig:tight_layout()
  fig:savefig(tmp("t1.png"))
  fig:savefig(tmp("t2.png"))
  local function bytes(p) local f = assert(io.open(p, "rb")); local b = f:read("a"); f:close(); return b end
  T.eq(bytes(tmp("t1.png")) == bytes(tmp("t2.png")), true, "second save equals the first")
  plt.close(fig)
  plt.style.use("default")
end)

T.test("savefig refuses sides beyond Cairo's 32767 pixels, naming the dpi", function()
  local fig = plt.figure({figsize = {10, 1}})
  T.raises(function() fig:savefig(tmp("huge.png"), {dpi = 3277}) end, "1 to 32767 pixels a side")
  T.eq(exists(tmp("huge.png")), false, "no file")
  plt.close(fig)
end)

T.test("data may be tensors, tables or numbers", function()
  local fig, ax = plt.subplots()
  ax:plot(dlt.linspace(0, 1, 50), dlt.linspace(0, 1, 50):mul(2))
  ax:plot(dlt.linspace(0, 1, 50))
  ax:plot(0.5, 0.5, "ko")
  ax:scatter(dlt.rand(20), dlt.rand(20), {c = dlt.rand(20), cmap = "plasma", s = 50})
  local counts, edges = ax:hist(dlt.randn(100), {bins = 5})
  T.eq(counts:numel(), 5, "counts")
  T.eq(edges:numel(), 6, "edges")
  T.close(counts:sum():item(), 100, 0, 0, "every value counted")
  fig:savefig(tmp("d.png"))
  plt.close(fig)
end)

T.test("every plot kind draws and saves", function()
  local fig, axes = plt.subplots(2, 3, {figsize = {12, 7}})
  local x, y = {}, {}
  for i = 1, 30 do x[i] = i / 5; y[i] = math.sin(i / 5) end
  axes[1][1]:plot(x, y, "g--", {label = "sin"})
  axes[1][1]:fill_between(x, y, 0, {alpha = 0.3})
  axes[1][1]:axhline(0, {color = "gray", linestyle = ":"})
  axes[1][1]:axvline(3, {color = "red"})
  axes[1][1]:axvspan(4, 5, {alpha = 0.1, color = "red", label = "span"})
  axes[1][1]:legend()
  axes[1][2]:bar({1, 2, 3}, {3, 5, 2}, {color = "steelblue", edgecolor = "black"})
  axes[1][2]:text(1, 4, "note\nline 2", {fontsize = 8})
  local Z = {}
  for i = 1, 20 do Z[i] = {} for j = 1, 30 do Z[i][j] = math.sin(i / 4) * math.cos(j / 5) end end
  local cf = axes[1][3]:contourf(Z, {levels = 10, cmap = "RdBu"})
  axes[1][3]:contour(Z, {levels = {0}, colors = "black"})
  fig:colorbar(cf, {ax = axes[1][3], label = "value"})
  local im = axes[2][1]:imshow({{1, 2}, {3, 4}}, {cmap = "viridis", vmin = 0, vmax = 5})
  fig:colorbar(im)
  for _, m in ipairs({"o", "*", "s", "^", "v", "D", "+", "x", "."}) do
    axes[2][2]:plot(math.random(), math.random(), m, {markersize = 10})
  end
  axes[2][3]:set_yscale("log")
  axes[2][3]:plot({1, 2, 3}, {1e-3, 1, 1e3}, "bo-")
  axes[2][3]:axis("off")
  fig:suptitle("All kinds", {fontsize = 14})
  fig:tight_layout()
  fig:savefig(tmp("e.png"))
  T.eq(select(1, png_size(tmp("e.png"))), 1200)
  plt.close(fig)
end)

T.test("plt.show saves the next numbered figure in $DLT_FIGDIR and closes it", function()
  local dir = os.getenv("DLT_FIGDIR") or "figures"
  plt.figure()
  plt.plot({1, 2, 3})
  local p1 = plt.show()
  plt.figure()
  plt.plot({3, 2, 1})
  local p2 = plt.show()
  T.eq(p1:sub(1, #dir + 1), dir .. "/", "in the figure directory")
  T.eq(p1 ~= p2, true, "numbered files differ")
  T.eq(exists(p1) and exists(p2), true, "both written")
  T.eq(p1:match("figure_(%d+)%.png$") ~= nil, true, "numbered name " .. p1)
  T.eq(tonumber(p2:match("figure_(%d+)%.png$")) > tonumber(p1:match("figure_(%d+)%.png$")), true, "increasing")
  os.remove(p1)
  os.remove(p2)
  T.eq(plt.show(), nil, "nothing to show once every figure is closed")
end)

T.test("pyplot functions act on the current figure and axes", function()
  plt.figure({figsize = {4, 3}})
  plt.plot({1, 2, 3}, {1, 4, 9}, "r-", {label = "squares"})
  plt.xlabel("x")
  plt.ylabel("y")
  plt.title("t")
  plt.xlim(0, 4)
  plt.grid(true, {alpha = 0.3})
  plt.legend({loc = "upper left"})
  local lo, hi = plt.gca():get_xlim()
  T.eq(lo, 0)
  T.eq(hi, 4)
  local Z = {{0, 1}, {1, 2}}
  plt.contourf({0, 1}, {0, 1}, Z, {levels = 4})
  plt.colorbar({label = "z"})
  plt.tight_layout()
  plt.savefig(tmp("f.png"))
  plt.close()
end)

T.test("a colorbar takes its width from its axes' cell", function()
  local fig, ax = plt.subplots()
  local before = ax:get_position()
  local im = ax:imshow({{1, 2}, {3, 4}}, {aspect = "auto"})
  fig:colorbar(im, {label = "v"})
  local after = ax:get_position()
  -- make_axes_gridspec: the axes keeps 0.8 / 0.95 of two cells of a 2-column split
  local wsp = 2 * 0.05 / 0.95
  T.close(after[3], before[3] * (0.8 / 0.95) * 2 / (2 + wsp), 1e-9, 0, "axes width")
  T.close(after[1], before[1], 1e-12, 0, "left edge kept")
  plt.close(fig)
end)

T.test("imshow keeps square pixels unless aspect is 'auto'", function()
  local fig, ax = plt.subplots({figsize = {8, 4}})
  ax:imshow({{1, 2, 3, 4}, {5, 6, 7, 8}})
  local p = ax:get_position()
  T.close(p[3] * 8 / (p[4] * 4), 2, 1e-9, 0, "4x2 image is twice as wide as tall")
  plt.close(fig)
end)

T.test("NaN and infinities are skipped in lines and contours", function()
  local fig, ax = plt.subplots()
  ax:plot({1, 2, 3, 4}, {1, 0 / 0, 3, math.huge})
  local Z = {{1, 2, 3}, {2, 0 / 0, 4}, {3, 4, 5}}
  ax:contour(Z, {levels = 3})
  ax:contourf(Z, {levels = {1, 3, 5}})
  fig:savefig(tmp("g.png"))
  T.eq(exists(tmp("g.png")), true)
  plt.close(fig)
end)

T.test("log-spaced contour levels", function()
  local fig, ax = plt.subplots()
  local Z = {}
  for i = 1, 40 do Z[i] = {} for j = 1, 40 do Z[i][j] = 1 + (i * j) ^ 2 end end
  local cs = ax:contour(Z, {levels = dlt.logspace(0, 6, 13), cmap = "viridis", alpha = 0.7})
  T.eq(#cs.levels, 13)
  T.close(cs.levels[13], 1e6, 1e-6, 0, "last level")
  fig:savefig(tmp("h.png"))
  plt.close(fig)
end)

-- every bad input is a Lua error that names the function and the value
local function bad(what, fn, msg)
  T.test("error: " .. what, function()
    local fig, ax = plt.subplots()
    T.raises(function() fn(ax, fig) end, msg, what)
    plt.close(fig)
  end)
end

bad("unknown colour", function(ax) ax:plot({1, 2}, {color = "bluish"}) end, "plot: unknown colour 'bluish'")
bad("unknown colormap", function(ax) ax:contour({{1, 2}, {3, 4}}, {cmap = "nosuch"}) end, "contour: unknown colormap 'nosuch'")
bad("unknown marker", function(ax) ax:plot({1, 2}, {marker = "Q"}) end, "plot: unknown marker 'Q'")
bad("unknown linestyle", function(ax) ax:plot({1, 2}, {linestyle = "wavy"}) end, "plot: unknown linestyle 'wavy'")
bad("bad format string", function(ax) ax:plot({1, 2}, "r*q") end, "plot: unrecognized format string 'r*q'")
bad("x and y of different lengths", function(ax) ax:plot({1, 2, 3}, {1, 2}) end,
  "plot: x and y must have the same length, got 3 and 2")
bad("scatter lengths", function(ax) ax:scatter({1, 2}, {1}) end, "scatter: x and y must have the same length")
bad("imshow of a 1-D array", function(ax) ax:imshow({1, 2, 3}) end, "imshow: the image must be a 2-D array")
bad("imshow of a 3-D tensor", function(ax) ax:imshow(dlt.zeros(2, 2, 2)) end, "imshow: the image must be a 2-D array, got shape {2,2,2}")
bad("contour of a 1-D array", function(ax) ax:contour({1, 2, 3}) end, "contour: Z must be a 2-D array")
bad("contour X of the wrong length", function(ax) ax:contour({1, 2}, {1, 2}, {{1, 2, 3}, {4, 5, 6}}) end,
  "contour: X and Y must be 1-D of lengths 3 and 2")
bad("unwritable path", function(_, fig) fig:savefig("/nonexistent_dlt_dir/x.png") end,
  "savefig: cannot open '/nonexistent_dlt_dir/x.png'")
bad("unknown image format", function(_, fig) fig:savefig(tmp("x.svg")) end, "savefig: unsupported format 'svg'")
bad("unknown option", function(ax) ax:plot({1, 2}, {colour = "red"}) end, "plot: unknown option 'colour'")
bad("unknown scale", function(ax) ax:set_yscale("symlog") end, "set_yscale: unknown scale 'symlog'")
bad("unknown legend loc", function(ax) ax:legend({loc = "top"}) end, "legend: unknown legend loc 'top'")
bad("colorbar of a line", function(ax, fig) fig:colorbar(ax) end, "colorbar: expected a mappable")
bad("non-numeric data", function(ax) ax:plot("abc", "def", "ghi") end, "plot: argument 1 must be data")
bad("format string before more data", function(ax) ax:plot({1, 2}, "r-", 5) end,
  "plot: argument 2 must be data, a format string or options, got string 'r-' (a format string comes after the data")
bad("subplots with a stray argument", function() plt.subplots(1, 2, 5) end,
  "subplots: expected (nrows, ncols, {options}), got number as argument 3")
bad("unknown style", function() plt.style.use("ggplot2") end, "style.use: unknown style 'ggplot2'")
bad("hist bins", function(ax) ax:hist({1, 2}, {bins = 0}) end, "hist: bins 0 must be a whole number")

T.test("a call that fails adds nothing to the axes", function()
  local fig, ax = plt.subplots()
  ax:plot({0, 1}, {0, 1})
  T.raises(function() ax:plot({100, 200}, {100, 200}, {color = "nocolour"}) end, "unknown colour")
  T.raises(function() ax:scatter({100, 200}, {100, 200}, {c = {"red", "nocolour"}}) end, "unknown colour")
  local lo, hi = ax:get_xlim()
  T.close({lo, hi}, {-0.05, 1.05}, 1e-12, 0, "limits from the first line only")
  plt.close(fig)
end)

T.test("a failed save leaves no file behind", function()
  local fig = plt.figure()
  plt.plot({1, 2})
  local ok = pcall(fig.savefig, fig, tmp("nodir/y.png"))
  T.eq(ok, false)
  T.eq(exists(tmp("nodir/y.png")), false)
  plt.close(fig)
end)

T.test("a figure whose __gc was called by hand is an error to use, not a crash", function()
  local fig, ax = plt.subplots()
  local cs = ax:contour(dlt.randn(5, 5))
  local gc = getmetatable(fig).__gc
  gc(fig)
  gc(fig)  -- twice frees nothing twice
  local freed = "got a figure freed by its __gc"
  T.raises(function() fig:tight_layout() end, "Figure expected, " .. freed)
  T.raises(function() fig:savefig(tmp("freed.png")) end, "Figure expected, " .. freed)
  T.raises(function() ax:plot({1, 2}) end, "Axes expected, " .. freed)
  T.raises(function() return tostring(ax) end, "Axes expected, " .. freed)
  T.raises(function() return cs.levels end, "Mappable expected, " .. freed)
  T.raises(function() plt.figure():colorbar(cs) end, "Mappable expected, " .. freed)
  T.eq(exists(tmp("freed.png")), false, "no file from a freed figure")
  -- a tensor's __gc handed a figure leaves it alone
  local fig2 = plt.figure()
  getmetatable(dlt.ones(1)).__gc(fig2)
  plt.plot({1, 2})
  fig2:savefig(tmp("after_gc.png"))
  T.eq(png_size(tmp("after_gc.png")), 640, "the figure still draws")
  plt.close("all")
end)

T.test("figures are collected once closed", function()
  collectgarbage()
  local before = collectgarbage("count")
  for _ = 1, 50 do
    local fig, ax = plt.subplots()
    ax:plot(dlt.linspace(0, 1, 1000))
    plt.close(fig)
  end
  collectgarbage()
  collectgarbage()
  T.eq(collectgarbage("count") < before + 200, true, "Lua memory stays bounded")
end)

T.run()
remove_tmpdir()
