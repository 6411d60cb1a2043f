-- test_plot_fidelity.lua: scatter edge widths from Lua as matplotlib sets them (issue 15,
-- Fidelity): filled markers patch.linewidth (1 pt), unfilled ones ('x', '+')
-- lines.linewidth (1.5 pt), and linewidths= wins. The C side is tests/c/test_plot_fidelity.c.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot

local base = os.tmpname()
local out = base .. ".png"

-- the ink (1 - grey, summed) down the pixel column 6 px right of the centre of one big
-- black marker: a '+' arm crossed there is the line width in pixels
local function ink(marker, opts)
  local fig, ax = plt.subplots({figsize = {2, 2}, dpi = 100})
  ax:axis("off")
  local o = {marker = marker, s = 900, color = "black"}
  for k, v in pairs(opts or {}) do o[k] = v end
  ax:scatter({0}, {0}, o)
  fig:savefig(out)
  plt.close(fig)
  local img = plt.imread(out)
  local col = img:select(2, 100 + 6):narrow(2, 1, 3):mean(2)  -- the figure is 200 px wide
  return (1 - col):sum():item()
end

T.test("an unfilled marker's lines are lines.linewidth wide, and linewidths= sets them", function()
  local px = 100 / 72
  T.close(ink("+"), 1.5 * px, 0, 0.25, "'+' arm: 1.5 pt")
  T.close(ink("+", {linewidths = 3}), 3 * px, 0, 0.25, "'+' arm: linewidths = 3")
end)

-- red minus green summed along the middle row of a black square marker edged in red:
-- the row crosses its left and right edges, so two edge widths in pixels
local function edge_ink(opts)
  local fig, ax = plt.subplots({figsize = {2, 2}, dpi = 100})
  ax:axis("off")
  local o = {marker = "s", s = 900, color = "black", edgecolors = "red"}
  for k, v in pairs(opts or {}) do o[k] = v end
  ax:scatter({0}, {0}, o)
  fig:savefig(out)
  plt.close(fig)
  local row = plt.imread(out):select(1, 100)
  return (row:select(2, 1) - row:select(2, 2)):sum():item()
end

T.test("a filled marker's edge is patch.linewidth (1 pt) wide, as matplotlib's collections", function()
  local px = 100 / 72
  T.close(edge_ink(), 2 * 1.0 * px, 0, 0.3, "two edges of 1 pt")
  T.close(edge_ink({linewidths = 2}), 2 * 2.0 * px, 0, 0.3, "two edges of linewidths = 2")
end)

T.run()
os.remove(out)
os.remove(base)
