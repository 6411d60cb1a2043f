-- history.lua: dlt.plot.history(history[, opts]) draws a training history (the
-- table the pipeline's train_model returns) as loss, accuracy and lr panels in one
-- figure, as the notebook's "Plot training history" cell does by hand.
local dlt = require "dlt"

local allowed = { figsize = true, lr_title = true, title = true }

-- a list of numbers, or nil when the key is absent
local function series(history, key)
  local s = history[key]
  if s == nil then return nil end
  if type(s) ~= "table" then
    error(string.format("plot.history: history.%s must be a list of numbers, got %s", key, type(s)), 3)
  end
  for i, v in ipairs(s) do
    if type(v) ~= "number" then
      error(string.format("plot.history: history.%s[%d] is %s, not a number", key, i, type(v)), 3)
    end
  end
  if #s == 0 then return nil end
  return s
end

-- the x of a per-epoch series: epochs count from 1 (plot(list) alone starts at 0)
local function epochs_of(s)
  local x = {}
  for i = 1, #s do x[i] = i end
  return x
end

local function history(h, opts)
  if type(h) ~= "table" then
    error("plot.history: expected a history table, got " .. type(h), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("plot.history: options must be a table, got " .. type(opts), 2)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not allowed[k] then error("plot.history: unknown option '" .. tostring(k) .. "'", 2) end
  end
  local panels = {}
  local tl, vl = series(h, "train_loss"), series(h, "val_loss")
  local ta, va = series(h, "train_acc"), series(h, "val_acc")
  local lr = series(h, "lr")
  if tl or vl then panels[#panels + 1] = { "Loss", "Loss", tl, vl } end
  if ta or va then panels[#panels + 1] = { "Accuracy", "Accuracy", ta, va } end
  if lr then panels[#panels + 1] = { "lr" } end
  if #panels == 0 then
    error("plot.history: the table has none of train_loss, val_loss, train_acc, val_acc, lr", 2)
  end
  local plt = dlt.plot
  local fig, axes = plt.subplots(1, #panels, { figsize = opts.figsize or { 5 * #panels, 4 } })
  if #panels == 1 then axes = { axes } end
  for i, p in ipairs(panels) do
    local ax = axes[i]
    if p[1] == "lr" then
      ax:plot(epochs_of(lr), lr, "g-", { linewidth = 2 })
      ax:set_ylabel("Learning Rate")
      ax:set_title(opts.lr_title or "Learning Rate")
    else
      if p[3] then ax:plot(epochs_of(p[3]), p[3], "b-", { label = "Train", linewidth = 2 }) end
      if p[4] then ax:plot(epochs_of(p[4]), p[4], "r-", { label = "Validation", linewidth = 2 }) end
      ax:set_ylabel(p[2])
      ax:set_title(p[1])
      ax:legend()
    end
    ax:set_xlabel("Epoch")
    ax:grid(true, { alpha = 0.3 })
  end
  if opts.title then fig:suptitle(opts.title) end
  fig:tight_layout()
  return fig, axes
end

return history
