-- gallery.lua: regenerates the pictures of docs/plotting.md, one per plot kind, into
-- docs/img/. Each example's code is the exact text shown in the page.
-- Run from the source root: build/dltlua docs/gallery.lua [--markdown]
-- (--markdown prints the gallery section of docs/plotting.md instead)
local dlt = require "dlt"

local examples = {
  {"line", "Lines and format strings", [[
plt.style.use("seaborn-v0_8-whitegrid")
local x = dlt.linspace(0, 2 * math.pi, 100)
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:plot(x, x:sin(), "b-", {label = "sin", linewidth = 2})
ax:plot(x, x:cos(), "g--", {label = "cos", linewidth = 2})
ax:plot(x:narrow(1, 1, 10), x:narrow(1, 1, 10):mul(0.1), "ro", {label = "markers"})
ax:set_xlabel("x")
ax:set_ylabel("y")
ax:set_title("Lines")
ax:legend()
fig:tight_layout()
fig:savefig(path)]]},
  {"markers", "Markers", [[
plt.style.use("seaborn-v0_8-whitegrid")
local fig, ax = plt.subplots({figsize = {6, 3}})
for i, m in ipairs({"o", "*", "s", "^", "v", "D", "+", "x", "."}) do
  ax:plot({i, i, i}, {1, 2, 3}, m, {markersize = 12, label = m})
end
ax:set_ylim(0, 4)
ax:set_title("o * s ^ v D + x .")
fig:tight_layout()
fig:savefig(path)]]},
  {"scatter", "Scatter with a colormap", [[
plt.style.use("seaborn-v0_8-whitegrid")
dlt.manual_seed(0)
local x, y = dlt.randn(200), dlt.randn(200)
local fig, ax = plt.subplots({figsize = {6, 4.5}})
local sc = ax:scatter(x, y, {c = x:mul(y), cmap = "coolwarm", s = 40, edgecolors = "white"})
fig:colorbar(sc, {label = "x * y"})
ax:set_title("scatter(x, y, {c = x * y})")
fig:tight_layout()
fig:savefig(path)]]},
  {"hist", "Histograms", [[
plt.style.use("seaborn-v0_8-whitegrid")
dlt.manual_seed(1)
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:hist(dlt.randn(1000), {bins = 40, alpha = 0.7, color = "steelblue", edgecolor = "black", label = "N(0, 1)"})
ax:hist(dlt.randn(1000):mul(0.5):add(2), {bins = 40, alpha = 0.7, color = "orange", edgecolor = "black", label = "N(2, 0.25)"})
ax:set_xlabel("value")
ax:set_ylabel("count")
ax:legend()
fig:tight_layout()
fig:savefig(path)]]},
  {"bar", "Bars, lines across the axes, spans and text", [[
plt.style.use("seaborn-v0_8-whitegrid")
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:bar({1, 2, 3, 4}, {3, 7, 5, 2}, {color = "tab:green", edgecolor = "black", label = "bar"})
ax:axhline(4, {color = "gray", linestyle = "--", label = "axhline"})
ax:axvline(2.5, {color = "red", linewidth = 2})
ax:axvspan(3.5, 4.5, {alpha = 0.2, color = "red", label = "axvspan"})
ax:text(0.7, 6, "text at (0.7, 6)\nsecond line")
ax:legend({loc = "upper right"})
fig:tight_layout()
fig:savefig(path)]]},
  {"fill_between", "fill_between", [[
plt.style.use("seaborn-v0_8-whitegrid")
local x = dlt.linspace(0, 10, 200)
local mean = x:mul(0.5):sin()
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:fill_between(x, mean:sub(0.3), mean:add(0.3), {alpha = 0.3, label = "band"})
ax:plot(x, mean, {label = "mean"})
ax:legend({loc = "lower left"})
ax:grid(true, {alpha = 0.3})
fig:tight_layout()
fig:savefig(path)]]},
  {"log", "Log scales", [[
plt.style.use("seaborn-v0_8-whitegrid")
local steps, loss = {}, {}
for i = 1, 300 do steps[i] = i; loss[i] = 30 * math.exp(-i / 40) + 0.05 end
local fig, axes = plt.subplots(1, 2, {figsize = {9, 3.5}})
axes[1]:plot(steps, loss, {color = "red", linewidth = 2})
axes[1]:set_yscale("log")
axes[1]:set_title("set_yscale('log')")
axes[2]:plot(loss, steps, {color = "purple", linewidth = 2})
axes[2]:set_xscale("log")
axes[2]:set_title("set_xscale('log')")
fig:tight_layout()
fig:savefig(path)]]},
  {"semilog", "semilogy, semilogx and loglog", [[
plt.style.use("seaborn-v0_8-whitegrid")
local steps, loss, lr = {}, {}, {}
for i = 1, 300 do
  steps[i] = i
  loss[i] = 30 * math.exp(-i / 40) + 0.05
  lr[i] = 1e-5 * 1.05 ^ i
end
local fig, axes = plt.subplots(1, 3, {figsize = {12, 3.5}})
axes[1]:semilogy(steps, loss, {color = "red"})
axes[1]:set_title("semilogy")
axes[2]:semilogx(lr, loss, {color = "purple"})
axes[2]:set_title("semilogx")
axes[3]:loglog(steps, loss, "o", {markersize = 3})
axes[3]:set_title("loglog")
fig:tight_layout()
fig:savefig(path)]]},
  {"contour", "Contours with log-spaced levels", [[
plt.style.use("seaborn-v0_8-whitegrid")
local n = 200
local xs, ys = dlt.linspace(-2, 2, n), dlt.linspace(-1, 3, n)
local X, Y = xs:view(1, n):expand(n, n), ys:view(n, 1):expand(n, n)
local Z = (1 - X):pow(2) + (Y - X:pow(2)):pow(2) * 100   -- Rosenbrock
local fig, ax = plt.subplots({figsize = {6, 4.5}})
ax:contour(xs, ys, Z, {levels = dlt.logspace(0, 3.5, 20), cmap = "viridis", alpha = 0.7})
ax:plot(1, 1, "r*", {markersize = 15, label = "minimum"})
ax:legend({loc = "upper left"})
ax:set_title("contour(X, Y, Z, {levels = logspace(0, 3.5, 20)})")
fig:tight_layout()
fig:savefig(path)]]},
  {"clabel", "Contour labels", [[
plt.style.use("seaborn-v0_8-whitegrid")
local n = 120
local xs = dlt.linspace(-3, 3, n)
local X, Y = xs:view(1, n):expand(n, n), xs:view(n, 1):expand(n, n)
local Z = (X:pow(2) + Y:pow(2)):neg():exp() - ((X - 1):pow(2) + (Y - 1):pow(2)):neg():exp() * 0.5
local fig, axes = plt.subplots(1, 2, {figsize = {11, 4.5}})
local cs = axes[1]:contour(xs, xs, Z, {levels = 8, cmap = "viridis"})
axes[1]:clabel(cs)
axes[1]:set_title("clabel(cs)")
cs = axes[2]:contour(xs, xs, Z, {levels = {-0.2, 0, 0.2, 0.5, 0.8}, colors = "black", linewidths = 1})
axes[2]:clabel(cs, {0, 0.5}, {fmt = "%1.1f", fontsize = 11})
axes[2]:set_title("clabel(cs, {0, 0.5}, {fmt = '%1.1f'})")
fig:tight_layout()
fig:savefig(path)]]},
  {"contourf", "Filled contours and a colorbar", [[
plt.style.use("seaborn-v0_8-whitegrid")
local n = 120
local xs = dlt.linspace(-3, 3, n)
local X, Y = xs:view(1, n):expand(n, n), xs:view(n, 1):expand(n, n)
local Z = (X:pow(2) + Y:pow(2)):neg():exp() - ((X - 1):pow(2) + (Y - 1):pow(2)):neg():exp() * 0.5
local fig, ax = plt.subplots({figsize = {6, 4.5}})
local cf = ax:contourf(xs, xs, Z, {levels = 20, cmap = "RdBu", alpha = 0.8})
ax:contour(xs, xs, Z, {levels = {0}, colors = "black", linewidths = 2})
fig:colorbar(cf, {label = "z"})
ax:set_title("contourf + contour(levels = {0})")
fig:tight_layout()
fig:savefig(path)]]},
  {"imshow", "Images", [[
plt.style.use("seaborn-v0_8-whitegrid")
dlt.manual_seed(2)
local M = dlt.randn(6, 10)
local fig, axes = plt.subplots(1, 2, {figsize = {9, 3.5}})
local im = axes[1]:imshow(M, {cmap = "RdBu", vmin = -3, vmax = 3})
fig:colorbar(im, {ax = axes[1]})
axes[1]:set_title("aspect 'equal'")
im = axes[2]:imshow(M, {cmap = "viridis", aspect = "auto"})
fig:colorbar(im, {ax = axes[2]})
axes[2]:set_title("aspect 'auto'")
fig:tight_layout()
fig:savefig(path)]]},
  {"ticks", "Ticks with labels: a confusion matrix", [[
plt.style.use("seaborn-v0_8-whitegrid")
local names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
dlt.manual_seed(3)
local C = dlt.eye(10):mul(80):add(dlt.rand(10, 10):mul(20))
local fig, ax = plt.subplots({figsize = {7, 6}})
local im = ax:imshow(C, {cmap = "Blues"})
local ticks = {}
for i = 1, 10 do ticks[i] = i - 1 end   -- image columns sit at 0, 1, ..., 9
ax:set_xticks(ticks, names, {rotation = 45, ha = "right"})
ax:set_yticks(ticks, names)
ax:grid(false)
ax:set_xlabel("predicted")
ax:set_ylabel("true")
fig:colorbar(im, {label = "count"})
fig:tight_layout()
fig:savefig(path)]]},
  {"errorbar", "Error bars", [[
plt.style.use("seaborn-v0_8-whitegrid")
local epochs = {1, 2, 3, 4, 5, 6}
local mean = {0.92, 0.61, 0.45, 0.38, 0.35, 0.33}
local sd = {0.08, 0.06, 0.05, 0.04, 0.04, 0.03}
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:errorbar(epochs, mean, {yerr = sd, fmt = "o-", capsize = 4, label = "val loss, mean ± sd of 5 seeds"})
ax:errorbar(epochs, {0.7, 0.5, 0.4, 0.36, 0.33, 0.32},
            {yerr = {{0.02, 0.02, 0.02, 0.01, 0.01, 0.01}, {0.1, 0.08, 0.05, 0.04, 0.03, 0.02}},
             xerr = 0.15, fmt = "s", capsize = 2, label = "train loss, min..max"})
ax:set_xlabel("epoch")
ax:legend()
fig:tight_layout()
fig:savefig(path)]]},
  {"twinx", "twinx and twiny", [[
plt.style.use("seaborn-v0_8-whitegrid")
local epochs, loss, acc = {}, {}, {}
for i = 1, 20 do
  epochs[i] = i
  loss[i] = 2.3 * math.exp(-i / 5) + 0.2
  acc[i] = 0.95 - 0.85 * math.exp(-i / 4)
end
local fig, axes = plt.subplots(1, 2, {figsize = {11, 4}})
axes[1]:plot(epochs, loss, {color = "tab:blue"})
axes[1]:set_xlabel("epoch")
axes[1]:set_ylabel("loss", {fontsize = 12})
local right = axes[1]:twinx()
right:plot(epochs, acc, {color = "tab:red"})
right:set_ylabel("accuracy", {fontsize = 12})
axes[1]:set_title("twinx: two y axes, one x")
axes[2]:plot(epochs, loss)
axes[2]:set_xlabel("epoch")
local top = axes[2]:twiny()
top:plot({64, 64 * 20}, {loss[1], loss[20]}, {linestyle = "None"})
top:set_xlabel("samples seen (thousands)")
axes[2]:set_title("twiny: a second x axis on top")
fig:tight_layout()
fig:savefig(path)]]},
  {"annotate", "Annotations with arrows", [[
plt.style.use("seaborn-v0_8-whitegrid")
local x = dlt.linspace(0, 10, 200)
local y = x:mul(0.8):sin():mul(x:mul(-0.15):exp())
local fig, ax = plt.subplots({figsize = {7, 4}})
ax:plot(x, y)
ax:annotate("arrowstyle '->'", {1.96, 0.745}, {xytext = {3.5, 0.8}, arrowprops = {arrowstyle = "->"}})
ax:annotate("'-|>' from offset points", {5.9, -0.41}, {xytext = {30, -25}, textcoords = "offset points",
            arrowprops = {arrowstyle = "-|>", color = "tab:red"}})
ax:annotate("no arrowstyle:\nthe filled arrow", {7.85, 0.3}, {xytext = {7, 0.65},
            arrowprops = {facecolor = "black", shrink = 0.05}})
ax:annotate("axes fraction", {0.02, 0.05}, {xycoords = "axes fraction", fontsize = 9, color = "gray"})
ax:set_ylim(-0.7, 1)
fig:tight_layout()
fig:savefig(path)]]},
  {"subplots", "Subplot grids, suptitle and axis('off')", [[
plt.style.use("seaborn-v0_8-whitegrid")
local fig, axes = plt.subplots(2, 2, {figsize = {8, 6}})
local x = dlt.linspace(0, 1, 50)
axes[1][1]:plot(x, x:pow(2), "b-")
axes[1][1]:set_title("top left")
axes[1][2]:plot(x, x:sqrt(), "g-")
axes[1][2]:set_title("top right\n(two lines)")
axes[2][1]:scatter(x, x:mul(3):sin(), {s = 10})
axes[2][1]:set_xlabel("x")
axes[2][2]:text(0.5, 0.5, "axis('off')", {ha = "center", fontsize = 16})
axes[2][2]:axis("off")
fig:suptitle("plt.subplots(2, 2)", {fontsize = 14})
fig:tight_layout()
fig:savefig(path)]]},
  {"subplot", "plt.subplot grids and set_aspect", [[
plt.style.use("seaborn-v0_8-whitegrid")
local t = dlt.linspace(0, 2 * math.pi, 100)
plt.figure({figsize = {8, 6}})
plt.subplot(2, 2, 1)
plt.plot(t:cos(), t:sin())
plt.gca():set_aspect("equal")
plt.title("subplot(2, 2, 1), set_aspect('equal')")
plt.subplot(222)
plt.plot(t:cos(), t:sin())
plt.title("subplot(222), aspect 'auto'")
plt.subplot(2, 1, 2)
plt.plot(t, t:sin())
plt.text(6.6, 0, "text beside the axes\n(clip_on = false)")
plt.title("subplot(2, 1, 2)")
plt.tight_layout()
plt.savefig(path)
plt.close()]]},
  {"savefig_tight", "savefig with bbox_inches = 'tight' and transparent", [[
plt.style.use("seaborn-v0_8-whitegrid")
local fig, ax = plt.subplots({figsize = {6, 4}})
ax:bar({1, 2, 3}, {3, 5, 2}, {color = "tab:orange"})
ax:set_title("only the drawn part, no background")
fig:savefig(path, {bbox_inches = "tight", transparent = true})]]},
  {"pyplot", "The pyplot state functions", [[
plt.style.use("seaborn-v0_8-whitegrid")
plt.figure({figsize = {6, 4}})
plt.plot({1, 2, 3, 4}, {1, 4, 9, 16}, "ko-", {label = "squares"})
plt.xlabel("n")
plt.ylabel("n^2")
plt.title("plt.plot / plt.xlabel / plt.legend")
plt.legend()
plt.grid(true, {alpha = 0.3})
plt.savefig(path)
plt.close()]]},
}

if arg and arg[1] == "--markdown" then
  for _, e in ipairs(examples) do
    io.write(string.format("### %s\n\n![%s](img/%s.png)\n\n```lua\n%s\n```\n\n", e[2], e[1], e[1], e[3]))
  end
  return
end

assert(os.execute("mkdir -p docs/img"))
for _, e in ipairs(examples) do
  local env = setmetatable({dlt = dlt, plt = dlt.plot, path = "docs/img/" .. e[1] .. ".png"}, {__index = _G})
  dlt.plot.style.use("seaborn-v0_8-whitegrid")
  local chunk = assert(load(e[3], "=" .. e[1], "t", env))
  chunk()
  dlt.plot.close("all")
  print("docs/img/" .. e[1] .. ".png")
end
