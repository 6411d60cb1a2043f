-- test_plot_text.lua: huge font sizes (issue 12 items 5 and 12). Sizes past 10000 points
-- are refused up front (tests/lua/test_hostile.lua); sizes below that, however large,
-- save quickly and keep no memory: text of 256 pixels or more is filled as outlines,
-- where Cairo's glyph images (one cache per size, kept after the figure) held hundreds
-- of MB per size and took seconds to make.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot

local function rss_mb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local kb = s:match("VmRSS:%s+(%d+)")
  return kb and tonumber(kb) / 1024
end

local base = os.tmpname()
local out = base .. ".png"

T.test("text of thousands of points, a new size each figure, saves fast and leaves memory flat", function()
  local before, slowest = nil, 0
  for i = 1, 5 do
    local fig, ax = plt.subplots()
    ax:plot({1, 2, 3})
    ax:text(0.1, 0.1, "Wg^{2}", {fontsize = 6000 + i})
    ax:set_title("title", {fontsize = 4000 + i})
    local t0 = dlt.clock()
    fig:savefig(out)
    slowest = math.max(slowest, dlt.clock() - t0)
    plt.close(fig)
    collectgarbage()
    if i == 1 then before = rss_mb() end
  end
  local after = rss_mb()
  -- before: about 3 s and 500 MB more for each size
  T.eq(slowest < 1, true, string.format("slowest savefig %.2f s", slowest))
  if before then T.eq(after - before < 100, true, string.format("RSS grew %.0f MB over four figures", after - before)) end
end)

T.test("a large text is drawn: its outline fills the figure where it stands", function()
  local fig, ax = plt.subplots()
  ax:axis("off")
  ax:text(0.5, 0.5, "\u{25a0}", {fontsize = 300, ha = "center", va = "center"})  -- a black square, 417 px
  fig:savefig(out)
  plt.close(fig)
  local img = plt.imread(out)
  local px = img[img:size(1) // 2][img:size(2) // 2]
  T.close(px:narrow(1, 1, 3), dlt.zeros(3), 0, 0.01, "the centre is black")
end)

T.test("after the largest size allowed at a dpi that makes it too large to draw, later figures save", function()
  local fig, ax = plt.subplots()
  ax:text(0.5, 0.5, "big", {fontsize = 10000})
  fig:savefig(out, {dpi = 800})
  plt.close(fig)
  local fig2, ax2 = plt.subplots()
  ax2:set_title("after", {fontsize = 500})
  fig2:savefig(out)
  plt.close(fig2)
  local f = assert(io.open(out, "rb"))
  T.eq(f:read(4), "\137PNG", "the later figure saved")
  f:close()
end)

T.run()
os.remove(out)
os.remove(base)
