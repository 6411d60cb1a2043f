-- test_scripts.lua: runs every notebook script through dltlua with DLT_FIGDIR in a
-- temporary directory: exit status, the deterministic printed lines, every figure, its
-- pixel size and its content (block by block against the committed docs/img figure);
-- plus the helpers the scripts use (fmt, progress, plot.history, plot.imread).
-- Run from the source root: build/dltlua tests/lua/test_scripts.lua
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local interp = arg and arg[-1] or "build/dltlua"
local quote = T.quote

local tmpdir = io.popen("mktemp -d"):read("l")
assert(tmpdir and #tmpdir > 0, "test_scripts: mktemp -d failed")

-- runs a script; returns ok, stdout lines, stderr text
local runs = {}
local function run(script)
  if runs[script] then return table.unpack(runs[script]) end
  local err = tmpdir .. "/stderr.txt"
  local cmd = string.format("DLT_FIGDIR=%s %s %s 2>%s", quote(tmpdir .. "/fig"), quote(interp),
    quote(script), quote(err))
  local p = io.popen(cmd, "r")
  local lines = {}
  for l in p:lines() do lines[#lines + 1] = l end
  local ok = p:close()
  local f = io.open(err, "rb")
  local errtext = f and f:read("a") or ""
  if f then f:close() end
  runs[script] = { ok == true, lines, errtext }
  return ok == true, lines, errtext
end

local function must_run(script)
  local ok, lines, err = run(script)
  if not ok then error(script .. " failed:\n" .. err, 2) end
  return lines
end

-- the index of the first line equal to s (or matching pattern p when pat)
local function find_line(lines, s, pat, from)
  for i = from or 1, #lines do
    if (pat and lines[i]:match(s)) or (not pat and lines[i] == s) then return i end
  end
  return nil
end

local function has_lines(lines, expected, what)
  local at = find_line(lines, expected[1])
  if not at then error(string.format("%s: no line %q in\n%s", what, expected[1], table.concat(lines, "\n")), 2) end
  for k = 2, #expected do
    if lines[at + k - 1] ~= expected[k] then
      error(string.format("%s: line %d is %q, expected %q", what, at + k - 1,
        tostring(lines[at + k - 1]), expected[k]), 2)
    end
  end
end

-- width and height from a PNG's IHDR chunk
local function png_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local head = f:read(24)
  f:close()
  if not head or #head < 24 or head:sub(1, 8) ~= "\137PNG\r\n\26\n" or head:sub(13, 16) ~= "IHDR" then
    return nil
  end
  return string.unpack(">I4", head, 17), string.unpack(">I4", head, 21)
end

-- figsize x 100 dpi, as in the notebook
local sizes = {
  optimizers_paths = { 1400, 600 },
  learning_rate_sizes = { 1500, 400 }, learning_rate_schedulers = { 1200, 1000 },
  learning_rate_warmup = { 1000, 600 },
  regularization_overfitting = { 1500, 400 }, regularization_weights = { 1500, 400 },
  regularization_dropout = { 1500, 400 }, regularization_early_stopping = { 1000, 600 },
  normalization_batchnorm = { 1500, 400 }, normalization_bn_vs_ln = { 1500, 400 },
  initialization_scale = { 1000, 600 }, initialization_relu_tanh = { 1400, 500 },
  pipeline_data = { 800, 600 }, pipeline_history = { 1500, 400 }, pipeline_boundary = { 1000, 800 },
  learning_rate_finder = { 1000, 600 }, gradient_clipping = { 1400, 500 },
  exercise_optimizer_comparison = { 1000, 600 }, exercise_dropout_rate = { 640, 480 },
}

-- A figure's content, robust to anti-aliasing: the mean colour (and alpha) of each
-- BLOCK x BLOCK block of pixels, a (rows, columns, channels) tensor. A curve, legend or
-- colorbar moves the means of the blocks it covers by far more than TOLERANCE; edge
-- pixels drawn a little differently move them by far less.
local BLOCK, TOLERANCE = 16, 0.03

local function summary(img)
  T.eq(img:dim(), 3, "an RGB(A) image")
  local h, w, c = img:size(1) // BLOCK, img:size(2) // BLOCK, img:size(3)
  local cropped = img:narrow(1, 1, h * BLOCK):narrow(2, 1, w * BLOCK):contiguous()
  return cropped:view(h, BLOCK, w, BLOCK, c):mean(4):mean(2)
end

-- the largest difference of one block's mean colour between images a and b (same
-- size), and that block's pixel position (x, y of its top-left corner, 0-based)
local function figure_difference(a, b)
  local d = (summary(a) - summary(b)):abs():max(3)  -- the worst channel
  local worst, at = d:view(-1):max(1)
  local k, w = at:item() - 1, d:size(2)
  return worst:item(), (k % w) * BLOCK, (k // w) * BLOCK
end

-- fails unless the image at path shows what the committed docs/img/<name>.png shows
local function same_content(path, name)
  local got, want = dlt.plot.imread(path), dlt.plot.imread("docs/img/" .. name .. ".png")
  T.eq(got:dim() == want:dim() and got:size(3) == want:size(3), true, name .. ": channels")
  local d, x, y = figure_difference(got, want)
  if d > TOLERANCE then
    error(string.format("%s differs from docs/img/%s.png: the %dx%d block at pixel (%d, %d) changed colour by %.3f (> %g)",
      path, name, BLOCK, BLOCK, x, y, d, TOLERANCE), 2)
  end
end

local function check_figures(names)
  for _, name in ipairs(names) do
    local path = tmpdir .. "/fig/" .. name .. ".png"
    local w, h = png_size(path)
    if not w then error("no PNG figure " .. name .. ".png", 2) end
    T.eq(w, sizes[name][1], name .. " width")
    T.eq(h, sizes[name][2], name .. " height")
    same_content(path, name)
  end
end

T.test("each script prints where it wrote each figure", function()
  for script, names in pairs({ ["scripts/learning_rate.lua"] = { "learning_rate_sizes",
      "learning_rate_schedulers", "learning_rate_warmup" },
      ["scripts/pipeline.lua"] = { "pipeline_data", "pipeline_history", "pipeline_boundary" } }) do
    local lines = must_run(script)
    for _, name in ipairs(names) do
      local line = "Figure written to " .. tmpdir .. "/fig/" .. name .. ".png"
      T.eq(find_line(lines, line) ~= nil, true, script .. " prints " .. line)
    end
  end
end)

T.test("optimizers.lua: from-scratch optimizers end where NumPy's do; defaults; figure", function()
  local lines = must_run("scripts/optimizers.lua")
  has_lines(lines, {
    "Final positions and loss:",
    "  SGD       : (-1.1174, 1.2566), loss=4.489769",
    "  Momentum  : (0.1304, 0.0144), loss=0.756915",
    "  RMSprop   : (0.6567, 0.4415), loss=0.128451",
    "  Adam      : (0.4926, 0.2410), loss=0.257756",
  }, "optimizers")
  has_lines(lines, {
    "PyTorch optimizer examples:",
    "  SGD: lr=0.01, momentum=0.9",
    "  Adam: lr=0.001, betas=(0.9, 0.999)",
    "  AdamW: lr=0.001, weight_decay=0.01",
  }, "optimizer defaults")
  check_figures({ "optimizers_paths" })
end)

T.test("learning_rate.lua: three figures", function()
  must_run("scripts/learning_rate.lua")
  check_figures({ "learning_rate_sizes", "learning_rate_schedulers", "learning_rate_warmup" })
end)

T.test("regularization.lua: dropout train/eval demo, early-stopping summary, figures", function()
  local lines = must_run("scripts/regularization.lua")
  has_lines(lines, {
    "Gray neurons are 'dropped' - they don't participate in this forward/backward pass.",
    "Each training step uses a different random sub-network!",
    "Training mode (dropout ACTIVE):",
  }, "dropout")
  local at = find_line(lines, "Training mode (dropout ACTIVE):")
  for i = 1, 3 do
    -- ten values, each dropped (0.) or scaled by 1/(1-p) = 2 (2.)
    local l = lines[at + i]
    T.eq(l:match("^  Sample " .. i .. ": %[%[([02%. ]+)%]%]$") ~= nil, true, "train sample line " .. l)
    local n = 0
    for v in l:match("%[%[(.*)%]%]"):gmatch("%S+") do
      T.eq(v == "0." or v == "2.", true, "dropout value " .. v)
      n = n + 1
    end
    T.eq(n, 10, "values in " .. l)
  end
  has_lines(lines, {
    "",
    "Evaluation mode (dropout DISABLED):",
    "  Sample 1: [[1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]]",
    "  Sample 2: [[1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]]",
    "  Sample 3: [[1. 1. 1. 1. 1. 1. 1. 1. 1. 1.]]",
    "",
    "Note: In training mode, surviving values are scaled by 1/(1-p)=2 to maintain expected value.",
  }, "dropout eval")
  -- epochs count from 1, as the README promises: the 100 simulated epochs are 1..100
  local best = find_line(lines, "^Best epoch: %d+ with validation loss: %d%.%d%d%d%d$", true)
  T.eq(best ~= nil, true, "best epoch line")
  local best_epoch = tonumber(lines[best]:match("^Best epoch: (%d+)"))
  T.eq(best_epoch >= 1 and best_epoch <= 100, true, "best epoch counted from 1: " .. lines[best])
  T.eq(lines[best + 1]:match("^Final epoch: 100 with validation loss: %d%.%d%d%d%d$") ~= nil, true, lines[best + 1])
  T.eq(lines[best + 2]:match("^Early stopping saves %d%.%d%d%d%d in validation loss!$") ~= nil, true, lines[best + 2])
  check_figures({ "regularization_overfitting", "regularization_weights", "regularization_dropout",
                  "regularization_early_stopping" })
end)

T.test("normalization.lua: BatchNorm train/eval demo, figures", function()
  local lines = must_run("scripts/normalization.lua")
  local at = find_line(lines, "Training mode:")
  T.eq(at ~= nil, true, "Training mode: line")
  local arr = "(%[[%d%.%s%-]+%])"
  T.eq(lines[at + 1]:match("^  Input mean: " .. arr .. "$") ~= nil, true, lines[at + 1])
  T.eq(lines[at + 2]:match("^  Input std:  " .. arr .. "$") ~= nil, true, lines[at + 2])
  -- a normalized batch: means round to 0, std to about 1.02 (sqrt(32/31) with eps)
  local means = lines[at + 3]:match("^  Output mean: " .. arr .. " %(approx 0%)$")
  T.eq(means ~= nil, true, lines[at + 3])
  for v in means:gmatch("[%d%.%-]+") do T.close(tonumber(v), 0, 0, 0.011, "output mean") end
  local stds = lines[at + 4]:match("^  Output std:  " .. arr .. " %(approx 1%)$")
  T.eq(stds ~= nil, true, lines[at + 4])
  for v in stds:gmatch("[%d%.%-]+") do T.close(tonumber(v), 1.02, 0, 0.011, "output std") end
  T.eq(lines[at + 5], "", "blank line")
  T.eq(lines[at + 6]:match("^  Running mean: " .. arr .. "$") ~= nil, true, lines[at + 6])
  T.eq(lines[at + 7]:match("^  Running var:  " .. arr .. "$") ~= nil, true, lines[at + 7])
  at = find_line(lines, "Evaluation mode (single sample):")
  T.eq(at ~= nil and lines[at - 1] == "", true, "blank line, then the eval header")
  T.eq(lines[at + 1]:match("^  Input: %[" .. arr .. "%]$") ~= nil, true, lines[at + 1])
  T.eq(lines[at + 2]:match("^  Output: %[" .. arr .. "%]$") ~= nil, true, lines[at + 2])
  has_lines(lines, {
    "  (Uses running statistics, not batch statistics)",
    "Figure written to " .. tmpdir .. "/fig/normalization_bn_vs_ln.png",
    "BatchNorm: Each COLUMN has mean~0, std~1",
    "LayerNorm: Each ROW has mean~0, std~1",
  }, "normalization")
  check_figures({ "normalization_batchnorm", "normalization_bn_vs_ln" })
end)

T.test("initialization.lua: Xavier and Kaiming std of a 512->256 layer, figures", function()
  local lines = must_run("scripts/initialization.lua")
  has_lines(lines, {
    "Too small: Activations vanish (shrink to 0)",
    "Too large: Activations explode (grow unbounded)",
    "Just right: Activations stay roughly constant",
  }, "initialization")
  local at = find_line(lines, "^Xavier: ", true)
  local xm, xs = lines[at]:match("^Xavier: mean=(%-?%d%.%d+), std=(%d%.%d%d%d%d)$")
  -- sqrt(2 / (512 + 256)) = 0.0510; the std of 131072 draws is within 1%
  T.close(tonumber(xs), math.sqrt(2 / 768), 0.01, 0, "xavier std")
  T.close(tonumber(xm), 0, 0, 0.001, "xavier mean")
  local km, ks = lines[at + 1]:match("^Kaiming: mean=(%-?%d%.%d+), std=(%d%.%d%d%d%d)$")
  T.close(tonumber(ks), math.sqrt(2 / 512), 0.01, 0, "kaiming std")   -- 0.0625
  T.close(tonumber(km), 0, 0, 0.001, "kaiming mean")
  T.eq(lines[at + 2], "Bias: all zeros = True", "bias line")
  check_figures({ "initialization_scale", "initialization_relu_tanh" })
end)

-- The notebook's printout, with the child numbers of the Sequential as the first
-- state_dict key component: PyTorch numbers children from 0, dlt from 1.
local function model_printout(base)
  local children = {
    "Linear(in_features=2, out_features=64, bias=True)",
    "BatchNorm1d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
    "ReLU()",
    "Dropout(p=0.3, inplace=False)",
    "Linear(in_features=64, out_features=32, bias=True)",
    "BatchNorm1d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
    "ReLU()",
    "Dropout(p=0.3, inplace=False)",
    "Linear(in_features=32, out_features=1, bias=True)",
  }
  local out = { "BestPracticesNetwork(", "  (network): Sequential(" }
  for i, c in ipairs(children) do out[#out + 1] = string.format("    (%d): %s", i - 1 + base, c) end
  for _, l in ipairs({ "  )", ")", "", "Total parameters: 2497" }) do out[#out + 1] = l end
  return out
end

T.test("pipeline.lua: model printout, parameter count, accuracy >= 0.95, figures", function()
  local lines = must_run("scripts/pipeline.lua")
  package.path = "scripts/?.lua;" .. package.path
  local P = require "pipeline"
  local keys = P.BestPracticesNetwork(2, { 64, 32 }, 1, 0.3):state_dict()
  local base = keys["network.0.weight"] and 0 or 1
  T.eq(keys["network." .. base .. ".weight"] ~= nil, true, "state_dict key network.<first>.weight")
  has_lines(lines, model_printout(base), "model printout")
  for e = 20, 100, 20 do
    T.eq(find_line(lines, string.format("^Epoch %3d: train_loss=%%d%%.%%d+, val_loss=%%d%%.%%d+, val_acc=%%d%%.%%d+$", e), true) ~= nil,
      true, "epoch " .. e .. " line")
  end
  local acc = tonumber(lines[#lines]:match("^Final validation accuracy: (%d%.%d%d%d%d)$"))
  T.eq(acc ~= nil, true, "final accuracy line: " .. tostring(lines[#lines]))
  T.eq(acc >= 0.95, true, "validation accuracy " .. tostring(acc) .. " >= 0.95")
  check_figures({ "pipeline_data", "pipeline_history", "pipeline_boundary" })
end)

T.test("dlt.notebook.pipeline finds scripts/pipeline.lua beside or one folder above the script", function()
  -- (setup's figure folder is checked by the script runs above, all under $DLT_FIGDIR)
  local notebook = require "dlt.notebook"
  local saved = arg[0]
  arg[0] = "tests/lua/test_scripts.lua"
  local ok, err = pcall(notebook.pipeline)
  arg[0] = "scripts/exercises/x.lua"   -- one folder below scripts/
  local ok2, P = pcall(notebook.pipeline)
  arg[0] = saved
  T.eq(ok, false, "no pipeline.lua near tests/lua/")
  T.eq(tostring(err):find("notebook.pipeline: no pipeline.lua in 'tests/lua' or 'tests/lua/..'", 1, true) ~= nil,
    true, tostring(err))
  T.eq(ok2, true, tostring(P))
  T.eq(type(P.make_moons_data), "function", "the pipeline's pieces")
end)

T.test("pipeline.lua as a module: require returns the pieces and runs nothing", function()
  package.path = "scripts/?.lua;" .. package.path
  local P = require "pipeline"
  T.eq(type(P.train_model), "function", "train_model")
  local X, y = P.make_moons_data(100, 0.2)
  T.eq(X:size(1), 100, "rows")
  T.eq(X:size(2), 2, "columns")
  T.eq(y:sum():item(), 50, "half the labels are 1")
  -- reseeded like np.random.seed(42): the same data every call
  local X2 = P.make_moons_data(100, 0.2)
  T.close(X2, X, 0, 0, "same data")
end)

T.test("exercises/early_stopping.lua: stops at epoch 6, agrees with dlt.EarlyStopping", function()
  local lines = must_run("scripts/exercises/early_stopping.lua")
  has_lines(lines, {
    "Testing Early Stopping:",
    "Epoch 1: loss=1.0, stop=False",
    "Epoch 2: loss=0.9, stop=False",
    "Epoch 3: loss=0.8, stop=False",
    "Epoch 4: loss=0.85, stop=False",
    "Epoch 5: loss=0.83, stop=False",
    "Epoch 6: loss=0.84, stop=True",
    "Training stopped at epoch 6",
    "dlt.EarlyStopping agrees: best=0.8, counter=3, stop at epoch 6",
  }, "early stopping")
end)

T.test("exercises/optimizer_comparison.lua: four optimizers, plot", function()
  local lines = must_run("scripts/exercises/optimizer_comparison.lua")
  for _, name in ipairs({ "sgd", "momentum", "rmsprop", "adam" }) do
    local acc = nil
    for _, l in ipairs(lines) do
      local v = l:match("^  " .. name .. "%s+(%d%.%d%d%d%d)$")
      if v then acc = tonumber(v) end
    end
    T.eq(acc ~= nil, true, name .. " accuracy line")
    T.eq(acc > 0.5, true, name .. " learns something: " .. tostring(acc))
  end
  check_figures({ "exercise_optimizer_comparison" })
end)

T.test("exercises/dropout_rate.lua: six rates, best rate, plot", function()
  local lines = must_run("scripts/exercises/dropout_rate.lua")
  local n = 0
  for _, l in ipairs(lines) do
    if l:match("^Dropout %d%.%d: validation accuracy %d%.%d%d%d%d$") then n = n + 1 end
  end
  T.eq(n, 6, "one line per rate")
  local rate, acc = lines[#lines]:match("^Best dropout rate: (%d%.%d) with accuracy (%d%.%d%d%d%d)$")
  T.eq(rate ~= nil, true, "best rate line: " .. tostring(lines[#lines]))
  T.eq(tonumber(acc) >= 0.9, true, "best accuracy " .. tostring(acc))
  check_figures({ "exercise_dropout_rate" })
end)

T.test("lr_finder.lua: suggestion in the tested range, plot", function()
  local lines = must_run("scripts/lr_finder.lua")
  local line = lines[find_line(lines, "^Suggested learning rate: ", true)]
  local s, rule = line:match(": (%S+) %((.-)%)$")
  s = tonumber(s)
  T.eq(s ~= nil and s > 1e-7 and s < 10, true, "suggestion " .. tostring(s))
  T.eq(rule == "steepest descent" or rule == "minimum / 10", true, "the rule is named: " .. line)
  check_figures({ "learning_rate_finder" })
end)

T.test("gradient_clipping.lua: clipping keeps training finite, plot", function()
  local lines = must_run("scripts/gradient_clipping.lua")
  local with = tonumber(lines[#lines]:match("^With clipping %(max_norm=1%): final training loss (%S+)$"))
  T.eq(with ~= nil and with == with and with < 1, true, "clipped final loss " .. tostring(with))
  check_figures({ "gradient_clipping" })
end)

T.test("no progress bar or other stderr output when not on a terminal", function()
  local ok, _, err = run("scripts/pipeline.lua")
  T.eq(ok, true, "pipeline ran")
  T.eq(err, "", "stderr")
end)

T.test("progress bar: drawn on stderr when forced, with count, stats and rate", function()
  local script = tmpdir .. "/bar.lua"
  local f = assert(io.open(script, "w"))
  f:write([[
local dlt = require "dlt"
local bar = dlt.progress(3, { desc = "demo", delay = 0, unit = "epoch" })
for i = 1, 3 do
  local t = dlt.clock() while dlt.clock() - t < 0.11 do end
  bar:update(i, { loss = 0.5 / i })
end
bar:print("a line")
bar:close()
]])
  f:close()
  local cmd = string.format("DLT_PROGRESS=1 %s %s 2>%s/bar.err", quote(interp), quote(script), quote(tmpdir))
  local p = io.popen(cmd)
  local out = p:read("a")
  T.eq(p:close(), true, "bar script ran")
  T.eq(out, "a line\n", "stdout has only the printed line")
  local e = io.open(tmpdir .. "/bar.err", "rb"):read("a")
  T.eq(e:find("demo 3/3 [", 1, true) ~= nil, true, "final count in " .. e)
  T.eq(e:find("loss=0.1667", 1, true) ~= nil, true, "stats in " .. e)
  T.eq(e:find("epoch/s", 1, true) ~= nil, true, "rate in " .. e)
  T.eq(e:sub(-1), "\n", "close ends the line")
  T.raises(function() dlt.progress(0) end, "progress: total must be a positive number")
  T.raises(function() dlt.progress(3, { colour = 1 }) end, "unknown option 'colour'")
  T.raises(function() dlt.progress(3, 5) end, "progress: options must be a table, got number")
end)

T.test("plot.history: loss, accuracy and lr panels in one call", function()
  local h = { train_loss = {}, val_loss = {}, train_acc = {}, val_acc = {}, lr = {} }
  for e = 1, 20 do
    h.train_loss[e], h.val_loss[e] = 1 / e, 1.2 / e
    h.train_acc[e], h.val_acc[e] = 1 - 0.5 / e, 1 - 0.6 / e
    h.lr[e] = 0.01 * 0.5 * (1 + math.cos(math.pi * (e - 1) / 20))
  end
  local fig, axes = dlt.plot.history(h)
  T.eq(#axes, 3, "three panels")
  local path = tmpdir .. "/history.png"
  fig:savefig(path)
  dlt.plot.close(fig)
  local w, hh = png_size(path)
  T.eq(w, 1500, "width")
  T.eq(hh, 400, "height")
  local fig2, axes2 = dlt.plot.history({ train_loss = { 1, 0.5 } })
  T.eq(#axes2, 1, "one panel for a loss-only history")
  dlt.plot.close(fig2)
  T.raises(function() dlt.plot.history(5) end, "plot.history: expected a history table, got number")
  T.raises(function() dlt.plot.history({ lr = { 1, "x" } }) end, "history.lr[2] is string")
  T.raises(function() dlt.plot.history({}) end, "has none of")
  T.raises(function() dlt.plot.history(h, { size = 1 }) end, "unknown option 'size'")
  T.raises(function() dlt.plot.history(h, 3) end, "plot.history: options must be a table, got number")
end)

T.test("fmt: NumPy's array str and round, Python's float repr", function()
  local fx = dofile("tests/fixtures/fmt.lua")
  for _, c in ipairs(fx.arrays) do
    T.eq(dlt.fmt.array(c.values, { dtype = c.dtype, decimals = c.decimals }), c.str, "array " .. c.str)
  end
  -- from a tensor, its dtype decides the digits
  T.eq(dlt.fmt.array(dlt.tensor({ 0.1, 1 / 3 }, { dtype = "float32" })), "[0.1        0.33333334]", "float32 tensor")
  T.eq(dlt.fmt.array(dlt.tensor({ 0.1, 1 / 3 }, { dtype = "float64" })), "[0.1        0.33333333]", "float64 tensor")
  for _, c in ipairs(fx.floats) do
    T.eq(dlt.fmt.pyfloat(c[1] * 1.0), c[2], "pyfloat " .. c[2])
  end
  T.eq(dlt.fmt.py({ 0.9, 0.999 }), "(0.9, 0.999)", "tuple")
  T.eq(dlt.fmt.py(true), "True", "bool")
  T.raises(function() dlt.fmt.array({ 1 }, { decimal = 2 }) end, "unknown option 'decimal'")
  T.raises(function() dlt.fmt.array("x") end, "fmt.array: expected a tensor, a table or a number, got string")
end)

-- The figure check against figures that differ by what it must see and by what it must
-- not: drawn here, side by side with a reference drawing.
local function draw(name, o)
  local plt = dlt.plot
  local fig, axes = plt.subplots(1, 2, { figsize = { 10, 4 } })
  local x = dlt.linspace(0, 6, 300)
  axes[1]:plot(x, (x + (o.shift or 0)):sin(), { label = "sin" })
  if not o.drop_curve then axes[1]:plot(x, x:cos(), { label = "cos" }) end
  if not o.drop_legend then axes[1]:legend() end
  local n = 60
  local xs = dlt.linspace(-3, 3, n)
  local Z = xs:view(1, n):expand(n, n):pow(2) + xs:view(n, 1):expand(n, n):pow(2)
  local cf = axes[2]:contourf(xs, xs, Z, { levels = 10 })
  if not o.drop_colorbar then fig:colorbar(cf) end
  fig:tight_layout()
  local path = tmpdir .. "/" .. name .. ".png"
  fig:savefig(path)
  plt.close(fig)
  return dlt.plot.imread(path)
end

T.test("figure check: a dropped curve, legend or colorbar and a blanked region fail; noise and sub-pixel shifts pass", function()
  local ref = draw("ref", {})
  T.eq(ref:size(1), 400, "height")
  T.eq(ref:size(2), 1000, "width")
  T.eq(figure_difference(ref, draw("same", {})), 0, "the same drawing")
  for _, what in ipairs({ "drop_curve", "drop_legend", "drop_colorbar" }) do
    local d = figure_difference(ref, draw(what, { [what] = true }))
    T.eq(d > TOLERANCE, true, what .. " is seen: block difference " .. d)
  end
  -- a blanked 48x48 region of the curves (the legend's corner of the first panel)
  local blank = ref:clone()
  blank:narrow(1, 20, 48):narrow(2, 330, 48):fill_(1)
  T.eq(figure_difference(ref, blank) > TOLERANCE, true, "blanked region is seen")
  -- anti-aliasing: the sine moved by a third of a pixel, every pixel off by up to 2/255
  local shifted = draw("shifted", { shift = 6 / 300 / 3 * 0.8 })
  T.eq(figure_difference(ref, shifted) ~= 0, true, "the shifted sine is drawn differently")
  T.eq(figure_difference(ref, shifted) <= TOLERANCE, true, "sub-pixel shift passes: " .. figure_difference(ref, shifted))
  dlt.manual_seed(3)
  local noisy = (ref + dlt.empty(ref:size()):uniform_(-2 / 255, 2 / 255)):clamp(0, 1)
  T.eq(figure_difference(ref, noisy) <= TOLERANCE, true, "pixel noise passes: " .. figure_difference(ref, noisy))
end)

T.test("imread: a saved figure comes back as (H,W,C) in [0, 1]; errors name the file", function()
  local img = draw("imread", {})
  T.eq(img:dim(), 3, "dims")
  T.eq(img:size(3) == 3 or img:size(3) == 4, true, "RGB or RGBA")
  T.eq(img:min():item() >= 0 and img:max():item() <= 1, true, "range")
  T.eq(img.dtype, "float32", "dtype")
  T.close(img[1][1]:narrow(1, 1, 3), dlt.ones(3), 0, 0, "white corner")
  T.raises(function() dlt.plot.imread(tmpdir .. "/none.png") end, "imread: cannot read '" .. tmpdir .. "/none.png'")
  T.raises(function() dlt.plot.imread("tests/lua/test_scripts.lua") end, "imread: cannot read 'tests/lua/test_scripts.lua'")
  T.raises(function() dlt.plot.imread() end, "bad argument #1 to 'imread'")
  local whole = assert(io.open(tmpdir .. "/imread.png", "rb")):read("a")
  local cut = assert(io.open(tmpdir .. "/cut.png", "wb"))
  cut:write(whole:sub(1, #whole // 2))
  cut:close()
  T.raises(function() dlt.plot.imread(tmpdir .. "/cut.png") end, "imread: cannot decode '" .. tmpdir .. "/cut.png'")
end)

-- last: the harness exits on failure, so the temporary directory goes here
T.test("cleanup: the temporary figure directory is removed", function()
  os.execute("rm -rf " .. quote(tmpdir))
  T.eq(io.open(tmpdir .. "/fig", "r"), nil, "directory gone")
end)

T.run()
