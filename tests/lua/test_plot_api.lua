-- test_plot_api.lua: the matplotlib calls of issue 15: set_xticks/set_yticks with labels
-- and rotated tick labels, plt.xticks/yticks, semilogx/semilogy/loglog, plt.subplot,
-- set_aspect, twinx/twiny, errorbar, annotate, clabel, savefig's bbox_inches and
-- transparent, and text drawn outside the axes (clip_on), each against matplotlib's
-- behaviour and defaults.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local plt = dlt.plot

plt.style.use("seaborn-v0_8-whitegrid")

local tmpdir = os.tmpname()
os.remove(tmpdir)
assert(os.execute("mkdir -p " .. tmpdir))
local function tmp(name) return tmpdir .. "/" .. name end

-- the figure as an (H, W, 3|4) tensor, through a PNG file
local function pixels(fig, opts)
  local path = tmp("px.png")
  fig:savefig(path, opts)
  return plt.imread(path)
end

-- the columns [c0, c1] and rows [r0, r1] (1-based) holding ink darker than 0.5 in
-- rows r0..r1 of img (nil when none)
local function ink_box(img, r0, r1)
  local H, W = img:size(1), img:size(2)
  local grey = img:narrow(3, 1, 3):mean(3):tolist()
  local x0, x1, y0, y1
  for r = math.max(1, r0), math.min(H, r1) do
    for c = 1, W do
      if grey[r][c] < 0.5 then
        x0, x1 = math.min(x0 or c, c), math.max(x1 or c, c)
        y0, y1 = math.min(y0 or r, r), math.max(y1 or r, r)
      end
    end
  end
  return x0, x1, y0, y1
end

-- the axes box in pixels (1-based columns and rows): left, right, top, bottom
local function box_px(ax)
  local fig = ax:get_figure()
  local W, H = fig:get_size_pixels()
  local p = ax:get_position()
  return p[1] * W + 1, (p[1] + p[3]) * W + 1, (1 - p[2] - p[4]) * H + 1, (1 - p[2]) * H + 1
end

T.test("set_xticks/set_yticks put the ticks and labels given, widening the view to them", function()
  local fig, ax = plt.subplots()
  ax:plot({0, 10}, {0, 1})
  ax:set_xticks({0, 5, 20})
  local lo, hi = ax:get_xlim()
  T.eq(lo, -0.5, "the autoscaled lower limit stays")
  T.eq(hi, 20, "the view grows to the last tick, as Axis.set_view_interval")
  local locs, labels = ax:get_xticks()
  T.eq(#locs, 3, "three ticks")
  T.eq(locs[1] == 0 and locs[2] == 5 and locs[3] == 20, true, "at 0, 5, 20")
  T.eq(table.concat(labels, ","), "0,5,20", "labels formatted as matplotlib's ScalarFormatter")
  ax:set_yticks({0, 0.5, 1}, {"low", "mid", "high"})
  locs, labels = ax:get_yticks()
  T.eq(table.concat(labels, ","), "low,mid,high", "labels given")
  ax:set_yticks({0.25, 2}, {"a", 3})
  locs, labels = ax:get_yticks()
  T.eq(table.concat(labels, ","), "a,3", "a number is a label too")
  ax:set_xticks({})
  T.eq(#ax:get_xticks(), 0, "no ticks")
  plt.close(fig)
end)

T.test("imshow with class names on both axes keeps the image's limits", function()
  local fig, ax = plt.subplots()
  ax:imshow(dlt.rand(3, 3))
  ax:set_xticks({0, 1, 2}, {"cat", "dog", "bird"}, {rotation = 45, ha = "right"})
  ax:set_yticks({0, 1, 2}, {"cat", "dog", "bird"})
  T.eq(select(2, ax:get_xlim()), 2.5, "x view")
  local y0, y1 = ax:get_ylim()
  T.eq(y0, 2.5, "y stays inverted (row 1 on top)")
  T.eq(y1, -0.5, "y stays inverted")
  local _, labels = ax:get_yticks()
  T.eq(table.concat(labels, ","), "cat,dog,bird", "labels")
  plt.close(fig)
end)

T.test("rotated tick labels are aligned by their turned box, as matplotlib's rotation_mode 'default'", function()
  local function label_ink(ha)
    local fig, ax = plt.subplots({figsize = {3, 3}})
    ax:set_xlim(0, 1)
    ax:set_xticks({1}, {"MMMMMM"}, {rotation = 45, ha = ha})
    ax:set_yticks({})
    local img = pixels(fig)
    local _, right, _, bottom = box_px(ax)
    local x0, x1 = ink_box(img, math.floor(bottom) + 3, img:size(1))
    plt.close(fig)
    return x0, x1, right
  end
  local x0, x1, tick = label_ink("right")
  T.eq(x1 <= tick + 1, true, "ha='right': the turned label ends at the tick (" .. x1 .. " vs " .. tick .. ")")
  T.eq(x0 < tick - 30, true, "and reaches left of it")
  x0 = label_ink("left")
  T.eq(x0 >= tick - 2, true, "ha='left': it starts at the tick")
end)

T.test("tight_layout makes room for rotated tick labels", function()
  local function height(rot)
    local fig, ax = plt.subplots({figsize = {4, 4}})
    ax:plot({0, 1}, {0, 1})
    ax:set_xticks({0, 1}, {"a long label", "another one"}, {rotation = rot})
    fig:tight_layout()
    local h = ax:get_position()[4]
    plt.close(fig)
    return h
  end
  T.eq(height(90) < height(0) - 0.1, true, "vertical labels take more height")
end)

T.test("set_xticklabels labels the fixed ticks, or the ticks the axis has", function()
  local fig, ax = plt.subplots()
  ax:plot({0, 1}, {0, 1})
  ax:set_xticks({0, 1})
  ax:set_xticklabels({"start", "end"}, {rotation = "vertical"})
  local _, labels = ax:get_xticks()
  T.eq(table.concat(labels, ","), "start,end", "fixed ticks")
  local auto = ax:get_yticks()
  ax:set_yticklabels({"a", "b"})
  local locs, ylabels = ax:get_yticks()
  T.eq(#locs, #auto, "the ticks the axis had")
  T.eq(ylabels[1] .. ylabels[2] .. ylabels[3], "ab", "labels past the given ones are empty")
  T.raises(function() ax:set_xticklabels({"one"}) end, "set_xticklabels: 1 labels for the 2 ticks set by set_xticks")
  plt.close(fig)
end)

T.test("plt.xticks and plt.yticks: read, set, and restyle the current axes' ticks", function()
  plt.figure()
  plt.plot({0, 1, 2}, {0, 1, 4})
  local locs, labels = plt.xticks({0, 1, 2}, {"zero", "one", "two"}, {rotation = 30})
  T.eq(table.concat(labels, ","), "zero,one,two", "set and returned")
  locs = plt.xticks()
  T.eq(#locs, 3, "read")
  plt.yticks({rotation = 90})
  T.eq(#plt.yticks(), #plt.gca():get_yticks(), "restyling keeps the ticks")
  plt.close()
end)

T.test("tick errors name the call and the values", function()
  local fig, ax = plt.subplots()
  T.raises(function() ax:set_xticks({1, 2}, {"a"}) end, "set_xticks: 1 labels for 2 ticks")
  T.raises(function() ax:set_yticks({1, 2}, {rotation = 45}) end, "set_yticks: text options (rotation, ha, ...) need labels")
  T.raises(function() ax:set_xticks({1, 0 / 0}) end, "set_xticks: tick 2 is")
  T.raises(function() ax:set_xticks({1}, {"a"}, {rotation = "sideways"}) end, "set_xticks: rotation 'sideways'")
  T.raises(function() ax:set_xticks({1}, {"a"}, {ha = "middle"}) end, "set_xticks: unknown horizontal alignment 'middle'")
  T.raises(function() ax:set_xticks({1}, {{}}) end, "set_xticks: label 1 must be a string, got table")
  T.raises(function() ax:set_xticks("1") end, "set_xticks: ticks must be a table or tensor of numbers, got string")
  T.raises(function() plt.xticks({rotate = 1}) end, "xticks: unknown option 'rotate'")
  plt.close(fig)
end)

T.run()
os.execute("rm -rf " .. tmpdir)
