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

local tmp, remove_tmpdir = T.tmpdir()

-- the figure as an (H, W, 3|4) tensor, through a PNG file
local function pixels(fig, opts)
  local path = tmp("px.png")
  fig:savefig(path, opts)
  return plt.imread(path)
end

-- the columns x0..x1 and rows y0..y1 (1-based) of the pixels in rows r0..r1 of img whose
-- red, green and blue satisfy hit (nil when none)
local function box_where(img, r0, r1, hit)
  local t = img:narrow(3, 1, 3):tolist()
  local x0, x1, y0, y1
  for r = math.max(1, r0), math.min(#t, r1) do
    for c = 1, #t[r] do
      local p = t[r][c]
      if hit(p[1], p[2], p[3]) then
        x0, x1 = math.min(x0 or c, c), math.max(x1 or c, c)
        y0, y1 = math.min(y0 or r, r), math.max(y1 or r, r)
      end
    end
  end
  return x0, x1, y0, y1
end

-- the box of the ink (grey darker than 0.5) in rows r0..r1 of img
local function ink_box(img, r0, r1)
  return box_where(img, r0, r1, function(r, g, b) return (r + g + b) / 3 < 0.5 end)
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

T.test("semilogx, semilogy and loglog plot and set the log scales", function()
  local fig, axes = plt.subplots(1, 3)
  axes[1]:semilogx({1, 10, 100}, {1, 2, 3}, "o-")
  axes[2]:semilogy({1, 2, 3}, {1, 10, 100}, {label = "y"})
  axes[3]:loglog({1, 1000}, {10, 1e4}, "r--")
  local x0, x1 = axes[1]:get_xlim()
  T.close(math.log(x0, 10), -0.1, 1e-9, 0, "semilogx: 5% margins in decades")
  T.close(math.log(x1, 10), 2.1, 1e-9, 0, "semilogx")
  local y0, y1 = axes[2]:get_ylim()
  T.close(math.log(y0, 10), -0.1, 1e-9, 0, "semilogy")
  T.close(math.log(y1, 10), 2.1, 1e-9, 0, "semilogy")
  local _, labels = axes[3]:get_xticks()
  T.eq(labels[1]:sub(1, 3), "10^", "loglog: x labels are powers of ten")
  _, labels = axes[3]:get_yticks()
  T.eq(labels[1]:sub(1, 3), "10^", "loglog: y labels are powers of ten")
  T.raises(function() axes[1]:semilogy({1, 2}, {1, 2, 3}) end, "semilogy: x and y must have the same length, got 2 and 3")
  T.raises(function() axes[1]:loglog({1, 2}, {1, 2}, {base = 2}) end, "loglog: unknown option 'base'")
  plt.figure()
  plt.semilogy({1, 2}, {1, 100})
  T.eq(select(2, plt.gca():get_yticks())[1]:sub(1, 3), "10^", "plt.semilogy")
  plt.close("all")
end)

T.test("plt.subplot takes 1-based indices and the 3-digit form, and returns an axes already there", function()
  local fig = plt.figure({figsize = {8, 6}})
  local a = plt.subplot(2, 2, 1)
  T.eq(tostring(a), "Axes(row 1, col 1)", "index 1 is the top left")
  local b = plt.subplot(224)
  T.eq(tostring(b), "Axes(row 2, col 2)", "224")
  T.eq(plt.subplot(221), a, "the same cell gives the same axes")
  T.eq(plt.gca(), a, "and makes it current")
  local c = plt.subplot(2, 1, 2)   -- the bottom half of a 2x1 grid, beside 2x2 ones
  local pa, pb, pc = a:get_position(), b:get_position(), c:get_position()
  T.close(pc[1], pa[1], 1e-12, 0, "it starts where the left column does")
  T.close(pc[1] + pc[3], pb[1] + pb[3], 1e-12, 0, "and ends where the right column does")
  T.close(pc[2], pb[2], 1e-12, 0, "in the bottom row")
  local d = plt.subplot(2, 2, {1, 2})
  T.close(d:get_position()[3], pc[3], 1e-12, 0, "{first, last} spans cells")
  T.eq(#fig:get_axes(), 4, "four axes")
  T.raises(function() plt.subplot(2, 2, 5) end, "subplot: index 5 must be from 1 to 4 for a 2x2 grid")
  T.raises(function() plt.subplot(2, 2, 0) end, "subplot: index 0 must be from 1 to 4")
  T.raises(function() plt.subplot(21) end, "subplot: a single argument must be a 3-digit number such as 221, got 21")
  plt.close("all")
end)

T.test("set_aspect('equal') makes a data unit as long on both axes; a number scales y; 'auto' fills the cell", function()
  local fig, ax = plt.subplots({figsize = {8, 4}})
  ax:plot({0, 2}, {0, 1})
  local auto = ax:get_position()
  ax:set_aspect("equal")
  local W, H = fig:get_size_pixels()
  local function unit_ratio()
    local p = ax:get_position()
    local x0, x1 = ax:get_xlim()
    local y0, y1 = ax:get_ylim()
    return (p[4] * H / (y1 - y0)) / (p[3] * W / (x1 - x0))
  end
  T.close(unit_ratio(), 1, 1e-9, 0, "equal")
  T.eq(ax:get_aspect(), "equal", "get_aspect")
  T.close(ax:get_position()[4], auto[4], 1e-12, 0, "a wide cell keeps its height")
  T.close(ax:get_position()[1] + ax:get_position()[3] / 2, auto[1] + auto[3] / 2, 1e-12, 0, "centred")
  ax:set_aspect(2)
  T.close(unit_ratio(), 2, 1e-9, 0, "aspect 2: a y unit twice an x unit")
  ax:set_aspect("auto")
  T.close(ax:get_position()[3], auto[3], 1e-12, 0, "auto")
  local _, ax2 = plt.subplots()
  ax2:imshow(dlt.zeros(2, 8))
  T.eq(ax2:get_aspect(), "equal", "imshow sets 'equal'")
  ax2:set_aspect("auto")
  T.eq(ax2:get_aspect(), "auto", "which set_aspect overrides")
  T.raises(function() ax:set_aspect("square") end, "set_aspect: unknown aspect 'square'")
  T.raises(function() ax:set_aspect(-1) end, "set_aspect: aspect -1.0 must be a finite number > 0")
  plt.close("all")
end)

T.test("text outside the axes is drawn (clip_on is false by default) unless clip_on = true", function()
  local function ink_right(opts)
    local fig, ax = plt.subplots({figsize = {4, 3}})
    ax:set_xlim(0, 1)
    ax:set_ylim(0, 1)
    ax:text(1.05, 0.5, "MMM", opts)
    local img = pixels(fig)
    local _, right, top, bottom = box_px(ax)
    local grey = img:narrow(3, 1, 3):mean(3):tolist()
    local n = 0
    for r = math.floor(top), math.floor(bottom) do
      for c = math.ceil(right) + 3, img:size(2) do
        if grey[r][c] < 0.5 then n = n + 1 end
      end
    end
    plt.close(fig)
    return n
  end
  T.eq(ink_right() > 20, true, "drawn beyond the right spine")
  T.eq(ink_right({clip_on = true}), 0, "clipped to the axes")
end)

T.test("savefig bbox_inches = 'tight' crops to the drawing plus pad_inches; transparent leaves no background", function()
  local fig, ax = plt.subplots({figsize = {6, 4}})
  ax:plot({0, 1}, {0, 1})
  ax:set_title("title")
  fig:savefig(tmp("full.png"))
  fig:savefig(tmp("tight.png"), {bbox_inches = "tight"})
  fig:savefig(tmp("tight0.png"), {bbox_inches = "tight", pad_inches = 0})
  local full, tight, tight0 = plt.imread(tmp("full.png")), plt.imread(tmp("tight.png")), plt.imread(tmp("tight0.png"))
  T.eq(full:size(2), 600, "the whole figure")
  T.eq(tight:size(2) < 600 and tight:size(1) < 400, true, "the tight image is smaller")
  T.eq(tight:size(2) - tight0:size(2), 20, "pad_inches 0.1 at 100 dpi: 10 pixels a side")
  T.eq(tight:size(1) - tight0:size(1), 20, "and 10 above and below")
  -- the padding is background, the drawing reaches the edge without it
  local g0 = tight0:narrow(3, 1, 3):mean(3)
  T.eq(g0:narrow(1, 1, 4):min():item() < 0.5, true, "the title's text box is the top of the image")
  local g = tight:narrow(3, 1, 3):mean(3)
  T.eq(g:narrow(1, 1, 10):min():item(), 1.0, "the pad is white")
  fig:savefig(tmp("clear.png"), {transparent = true})
  local clear = plt.imread(tmp("clear.png"))
  T.eq(clear:size(3), 4, "an RGBA PNG")
  T.eq(clear[1][1][4], 0.0, "the figure's corner is transparent")
  local _, _, top, bottom = box_px(ax)
  local l = box_px(ax)
  T.eq(clear[math.floor((top + bottom) / 2)][math.floor(l) + 5][4], 0.0, "inside the axes too")
  T.eq(full:size(3), 3, "an opaque figure stays RGB")
  T.raises(function() fig:savefig(tmp("x.png"), {bbox_inches = "loose"}) end, "savefig: bbox_inches 'loose' must be 'tight'")
  T.raises(function() fig:savefig(tmp("x.png"), {pad_inches = -1}) end, "savefig: pad_inches -1.0 must be from 0 to 100")
  plt.close(fig)
end)

-- the box of the pixels of img within tol of colour rgb in each channel
local function colour_box(img, rgb, tol)
  return box_where(img, 1, img:size(1), function(r, g, b)
    return math.abs(r - rgb[1]) < tol and math.abs(g - rgb[2]) < tol and math.abs(b - rgb[3]) < tol
  end)
end

T.test("errorbar draws bars of yerr and xerr (symmetric or {lower, upper}) that count in the limits", function()
  local fig, ax = plt.subplots()
  ax:errorbar({1, 2, 3}, {1, 2, 3}, {yerr = 0.5})
  local y0, y1 = ax:get_ylim()
  T.close(y0, 0.5 - 0.15, 1e-12, 0, "the bars reach 0.5 and 3.5: 5% margins beyond them")
  T.close(y1, 3.5 + 0.15, 1e-12, 0, "top")
  ax:errorbar({1, 2, 3}, {1, 2, 3}, {xerr = {{0.5, 0, 0}, {0, 0, 2}}, fmt = "none"})
  local x0, x1 = ax:get_xlim()
  T.close(x0, 0.5 - 0.225, 1e-12, 0, "xerr lower reaches 0.5")
  T.close(x1, 5 + 0.225, 1e-12, 0, "xerr upper reaches 5")
  plt.close(fig)
  -- red bars 2 points wide with caps, black points: the bars' pixels span the errors
  fig, ax = plt.subplots({figsize = {3, 3}})
  ax:set_xlim(0, 2)
  ax:set_ylim(0, 4)
  ax:errorbar({1}, {2}, {yerr = {{1}, {1.5}}, fmt = "ko", ecolor = "red", elinewidth = 2, capsize = 10})
  local img = pixels(fig)
  local bx0, bx1, by0, by1 = colour_box(img, {1, 0, 0}, 0.1)
  local l, r, t, b = box_px(ax)
  local function ypx(v) return t + (b - t) * (1 - v / 4) end
  T.close(by0, ypx(3.5), 0, 1.5, "the bar (and cap) reaches y + 1.5")
  T.close(by1, ypx(1), 0, 1.5, "and y - 1")
  T.close(bx1 - bx0 + 1, 20 * 100 / 72, 0, 2, "caps are 2 * capsize = 20 points wide")
  plt.close(fig)
  fig, ax = plt.subplots()
  T.raises(function() ax:errorbar({1, 2}, {1, 2}, {yerr = {1, 2, 3}}) end, "errorbar: yerr has 3 values for 2 points")
  T.raises(function() ax:errorbar({1, 2}, {1, 2}, {yerr = -1}) end, "errorbar: yerr must not be negative, value 1 is -1")
  T.raises(function() ax:errorbar({1, 2}, {1}) end, "errorbar: x and y must have the same length, got 2 and 1")
  T.raises(function() ax:errorbar({1}, {1}, {fmt = "q"}) end, "errorbar: unrecognized format string 'q'")
  T.raises(function() ax:errorbar({1}, {1}, {yerr = 1, capsize = -2}) end, "errorbar: capsize -2")
  T.eq(#select(2, ax:get_xticks()) > 0, true, "a failed call leaves the axes usable")
  plt.close(fig)
end)

T.test("twinx shares x (autoscaled over both) with its own y axis on the right; twiny shares y", function()
  local fig, ax = plt.subplots({figsize = {5, 4}})
  ax:plot({0, 10}, {0, 1})
  local tw = ax:twinx()
  T.eq(plt.gca(), tw, "the twin becomes current")
  tw:plot({0, 20}, {100, 300}, {color = "red"})
  local a0, a1 = ax:get_xlim()
  local b0, b1 = tw:get_xlim()
  T.eq(a0 == b0 and a1 == b1, true, "one x view")
  T.close(a1, 21, 1e-12, 0, "over both axes' data")
  local y0, y1 = tw:get_ylim()
  T.close(y0, 90, 1e-12, 0, "its own y")
  T.close(y1, 310, 1e-12, 0, "its own y")
  tw:set_ylabel("right")
  T.eq(table.concat(ax:get_position(), ","), table.concat(tw:get_position(), ","), "the same box")
  -- the twin's tick labels are right of the axes
  local img = pixels(fig)
  local l, r, t, b = box_px(ax)
  local x0 = ink_box(img, math.floor(t), math.floor(b))
  local grey = img:narrow(3, 1, 3):mean(3):tolist()
  local right_ink = 0
  for row = math.floor(t), math.floor(b) do
    for c = math.ceil(r) + 2, img:size(2) do
      if grey[row][c] < 0.5 then right_ink = right_ink + 1 end
    end
  end
  T.eq(right_ink > 50, true, "labels drawn right of the axes")
  ax:set_xlim(0, 5)
  T.eq(select(2, tw:get_xlim()), 5, "set_xlim on the parent moves the twin")
  plt.close(fig)
  fig, ax = plt.subplots()
  ax:plot({0, 1}, {0, 4})
  tw = ax:twiny()
  tw:plot({0, 100}, {0, 8})
  T.eq(select(2, ax:get_ylim()), select(2, tw:get_ylim()), "twiny shares y")
  T.close(select(2, tw:get_xlim()), 105, 1e-12, 0, "its own x")
  tw:set_xlabel("top")
  ax:set_title("title")
  fig:tight_layout()
  fig:savefig(tmp("twiny.png"))
  plt.close(fig)
end)

T.test("annotate puts text at xytext and an arrow from it to xy, hidden when xy leaves the axes", function()
  local function arrow_px(props, xy)
    local fig, ax = plt.subplots({figsize = {3, 3}})
    ax:set_xlim(0, 1)
    ax:set_ylim(0, 1)
    ax:grid(false)
    ax:annotate("", xy or {0.8, 0.8}, {xytext = {0.2, 0.2}, arrowprops = props})
    local img = pixels(fig)
    plt.close(fig)
    local l, r, t, b = box_px(ax)
    return img, l, r, t, b
  end
  local img, l, r, t, b = arrow_px({arrowstyle = "->", color = "red", lw = 2})
  local x0, x1, y0, y1 = colour_box(img, {1, 0, 0}, 0.3)
  local function px(v) return l + (r - l) * v end
  local function py(v) return t + (b - t) * (1 - v) end
  local shrink = 2 * 100 / 72
  T.close(x0, px(0.2) + shrink * math.sqrt(0.5), 0, 3, "the arrow starts shrinkA = 2 points from the text's point")
  T.close(x1, px(0.8) - shrink * math.sqrt(0.5), 0, 3, "and ends shrinkB = 2 points before xy")
  T.close(y0, py(0.8) - shrink * math.sqrt(0.5), 0, 3, "top end")
  img = arrow_px({arrowstyle = "->", color = "red"}, {1.5, 0.8})
  T.eq(colour_box(img, {1, 0, 0}, 0.3), nil, "xy outside the axes: no annotation (annotation_clip)")
  img = arrow_px({facecolor = "red", edgecolor = "red"})
  local s0, s1 = colour_box(img, {1, 0, 0}, 0.3)
  T.eq(s1 - s0 > 50, true, "an arrow without arrowstyle is matplotlib's filled YAArrow")
  local fig, ax = plt.subplots()
  ax:plot({0, 1}, {0, 1})
  ax:annotate("note", {0.5, 0.5}, {xytext = {10, -20}, textcoords = "offset points", arrowprops = {arrowstyle = "-|>"}})
  ax:annotate("axes", {0.1, 0.9}, {xycoords = "axes fraction"})
  fig:savefig(tmp("annotate.png"))
  T.raises(function() ax:annotate("x", {1}) end, "annotate: xy must be {x, y}, two numbers")
  T.raises(function() ax:annotate("x", {0, 0}, {arrowprops = {arrowstyle = "=>"}}) end, "annotate: unknown arrowstyle '=>'")
  T.raises(function() ax:annotate("x", {0, 0}, {arrowprops = {arrowstyle = "->", shrink = 0.1}}) end,
    "annotate: arrowprops shrink is for arrows without arrowstyle")
  T.raises(function() ax:annotate("x", {0, 0}, {textcoords = "offset inches"}) end, "annotate: unknown textcoords 'offset inches'")
  T.raises(function() ax:annotate("x", {0, 0}, {arrowprops = {colour = "red"}}) end, "annotate: unknown option 'colour'")
  plt.close(fig)
end)

T.test("clabel writes each level on its lines, breaking them under the labels (inline)", function()
  local n = 60
  local xs = dlt.linspace(-2, 2, n)
  local X, Y = xs:view(1, n):expand(n, n), xs:view(n, 1):expand(n, n)
  local Z = X:pow(2) + Y:pow(2)
  local function draw(label_opts)
    local fig, ax = plt.subplots({figsize = {4, 4}})
    ax:grid(false)
    local cs = ax:contour(xs, xs, Z, {levels = {1, 2.5}, colors = "blue"})
    if label_opts then ax:clabel(cs, label_opts) end
    local img = pixels(fig)
    plt.close(fig)
    local t = img:narrow(3, 1, 3):tolist()
    local blue, red = 0, 0
    for r = 1, #t do
      for c = 1, #t[r] do
        local p = t[r][c]
        if p[3] > 0.8 and p[1] < 0.3 and p[2] < 0.3 then blue = blue + 1 end
        if p[1] > 0.8 and p[2] < 0.3 and p[3] < 0.3 then red = red + 1 end
      end
    end
    return blue, red
  end
  local b0, r0 = draw(nil)
  local b1, r1 = draw({colors = "red", fontsize = 12})
  local b2, r2 = draw({colors = "red", fontsize = 12, inline = false})
  T.eq(r0, 0, "no labels without clabel")
  T.eq(r1 > 30, true, "labels drawn in their colour")
  T.eq(b1 < b0 - 20, true, "inline: the lines are cut under the labels (" .. b1 .. " vs " .. b0 .. ")")
  T.eq(b2 > b1 + 20 and b2 > b0 - 40, true, "inline = false leaves the lines whole, the labels over them (" .. b2 .. ")")
  T.eq(r2 > 30, true, "and still labels them")
  local fig, ax = plt.subplots()
  local cs = ax:contour(xs, xs, Z, {levels = {1, 2, 3}})
  ax:clabel(cs, {2}, {fmt = "%1.1f"})
  ax:clabel(cs, {fmt = {"one", "two", "three"}})
  plt.clabel(cs)
  fig:savefig(tmp("clabel.png"))
  T.raises(function() ax:clabel(cs, {fmt = "%d"}) end, "clabel: fmt '%d' must hold one number format")
  T.raises(function() ax:clabel(cs, {5}) end, "clabel: level 5.0 is not one of the contour set's levels")
  T.raises(function() ax:clabel(cs, {fmt = {"a"}}) end, "clabel: fmt has 1 labels for 3 levels")
  T.raises(function() ax:clabel(ax:contourf(xs, xs, Z)) end, "clabel: labels go on contour lines")
  T.raises(function() ax:clabel({}) end, "clabel: expected the contour set contour returned, got table")
  plt.close(fig)
end)

T.run()
remove_tmpdir()
