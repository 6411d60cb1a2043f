-- test_plot_lines.lua: savefig of long lines (issue 12 item 19): a million noisy points
-- are drawn in well under a second (they took minutes when Cairo stroked every point),
-- and the figure shows the band of noise. The pixels are checked against Cairo's own
-- stroke in tests/c/test_plot_lines.c; bench/bench_plot_lines.lua gives the times.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot

local tmp = os.tmpname()
os.remove(tmp)
local out = tmp .. ".png"

T.test("savefig of a line of 10^6 noisy points takes well under a second and shows the noise band", function()
  dlt.manual_seed(0)
  local n = 1000000
  local fig, ax = plt.subplots()
  ax:plot(dlt.arange(n):double(), dlt.randn(n):double())
  local t0 = dlt.clock()
  fig:savefig(out)
  local took = dlt.clock() - t0
  plt.close(fig)
  -- 0.03-0.3 s here, under the sanitizers a few times that; minutes before
  T.eq(took < 5, true, string.format("savefig took %.2f s", took))
  local img = plt.imread(out)
  -- the middle row of the axes is the line's colour (C0, #1f77b4) from side to side
  local row = img[img:size(1) // 2]
  local blue = 0
  for x = 111, 546 do  -- the line spans pixels 104 .. 552
    if math.abs(row[x][1] - 0x1f / 255) < 0.02 and math.abs(row[x][3] - 0xb4 / 255) < 0.02 then blue = blue + 1 end
  end
  T.eq(blue, 436, "the band is solid along the middle row")
  os.remove(out)
end)

T.test("a dashed million-point noisy line is drawn as fast", function()
  dlt.manual_seed(1)
  local n = 1000000
  local fig, ax = plt.subplots()
  ax:plot(dlt.arange(n):double(), dlt.randn(n):double(), "--")
  local t0 = dlt.clock()
  fig:savefig(out)
  local took = dlt.clock() - t0
  plt.close(fig)
  T.eq(took < 5, true, string.format("savefig took %.2f s", took))
  os.remove(out)
end)

T.run()
