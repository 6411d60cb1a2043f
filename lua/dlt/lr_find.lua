-- lr_find.lua: dlt.lr_find, the learning-rate range test: train one batch per rate
-- while the rate grows exponentially from start_lr to end_lr, smooth the losses, stop
-- once the smoothed loss exceeds diverge_th times its minimum, and suggest as fastai
-- does: the rate where it falls fastest, but never more than a tenth of the rate at its
-- minimum. The model and optimizer are put back as they were.
local dlt = require "dlt"
local K = require "dlt.optim_kernels"

local allowed = { start_lr = true, end_lr = true, num_iter = true, smooth_f = true,
  diverge_th = true, skip_start = true, skip_end = true }

local function snapshot(model)
  local copy = {}
  for k, v in pairs(model:state_dict()) do
    copy[k] = type(v) == "userdata" and K.clone(v) or v
  end
  return copy
end

local function check_options(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("lr_find: options must be a table, got " .. type(opts), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not allowed[k] then error("lr_find: unknown option '" .. tostring(k) .. "'", 3) end
  end
  local o = {
    start_lr = opts.start_lr or 1e-7, end_lr = opts.end_lr or 10,
    num_iter = opts.num_iter or 100, smooth_f = opts.smooth_f or 0.98,
    diverge_th = opts.diverge_th or 4, skip_start = opts.skip_start or 10,
    skip_end = opts.skip_end or 5,
  }
  for k, v in pairs(o) do
    if type(v) ~= "number" then error("lr_find: " .. k .. " must be a number", 3) end
  end
  if not (o.start_lr > 0 and o.end_lr > o.start_lr) then
    error(string.format("lr_find: need 0 < start_lr < end_lr, got start_lr=%g, end_lr=%g",
      o.start_lr, o.end_lr), 3)
  end
  if o.num_iter ~= math.floor(o.num_iter) or o.num_iter < 2 then
    error("lr_find: num_iter must be an integer >= 2, got " .. tostring(o.num_iter), 3)
  end
  if not (o.smooth_f >= 0 and o.smooth_f < 1) then
    error("lr_find: smooth_f must be in [0, 1), got " .. tostring(o.smooth_f), 3)
  end
  if not (o.diverge_th > 1) then
    error("lr_find: diverge_th must be > 1, got " .. tostring(o.diverge_th), 3)
  end
  for _, k in ipairs({ "skip_start", "skip_end" }) do
    if o[k] ~= math.floor(o[k]) or o[k] < 0 then
      error("lr_find: " .. k .. " must be a non-negative integer, got " .. tostring(o[k]), 3)
    end
  end
  return o
end

-- endless batches: restarts the loader's iterator when an epoch ends
local function batches(loader)
  local it = loader:iter()
  return function()
    local xb, yb = it()
    if xb == nil then
      it = loader:iter()
      xb, yb = it()
      if xb == nil then error("lr_find: the loader yields no batches", 4) end
    end
    return xb, yb
  end
end

-- index of the steepest descent of losses against log(lr): the most negative
-- central difference (one-sided at the ends), as numpy.gradient, over the points
-- after skip_start and before the last skip_end (the first smoothed losses average
-- only a few batches and are noisy); all points when fewer than 3 would remain
local function steepest(lrs, losses, skip_start, skip_end)
  local lo, hi = skip_start + 1, #losses - skip_end
  if hi - lo < 2 then lo, hi = 1, #losses end
  if hi - lo < 1 then return 1 end
  local best, at = math.huge, lo
  for i = lo, hi do
    local a, b = math.max(i - 1, lo), math.min(i + 1, hi)
    local slope = (losses[b] - losses[a]) / (math.log(lrs[b]) - math.log(lrs[a]))
    if slope < best then best, at = slope, i end
  end
  return at
end

-- dlt.lr_find(model, loader, loss_fn, opt, {start_lr = 1e-7, end_lr = 10,
-- num_iter = 100, smooth_f = 0.98, diverge_th = 4, skip_start = 10, skip_end = 5})
-- returns lrs, smoothed losses, the suggested rate, and {steepest, minimum, min_loss,
-- rule}: the rates of the steepest descent and of the loss minimum, and which rule the
-- suggestion follows ("steepest descent" or "minimum / 10").
local function lr_find(model, loader, loss_fn, opt, opts)
  local o = check_options(opts)
  if not dlt.optim.is_optimizer(opt) then
    error("lr_find: argument 4 is not an optimizer", 2)
  end
  if (type(model) ~= "table" and type(model) ~= "userdata") or model.state_dict == nil then
    error("lr_find: argument 1 must be a model with state_dict()", 2)
  end
  if (type(loader) ~= "table" and type(loader) ~= "userdata") or loader.iter == nil then
    error("lr_find: argument 2 must be a loader with iter()", 2)
  end
  local saved_model, saved_opt = snapshot(model), opt:state_dict()
  local lrs, losses = {}, {}
  local ok, err = pcall(function()
    local next_batch = batches(loader)
    local avg, best = 0, math.huge
    local ratio = o.end_lr / o.start_lr
    for i = 1, o.num_iter do
      local lr = o.start_lr * ratio ^ ((i - 1) / (o.num_iter - 1))
      for _, g in ipairs(opt.param_groups) do g.lr = lr end
      local xb, yb = next_batch()
      opt:zero_grad()
      local loss = loss_fn(model(xb), yb)
      loss:backward()
      opt:step()
      local l = loss:item()
      -- exponential moving average with bias correction
      avg = o.smooth_f * avg + (1 - o.smooth_f) * l
      local smoothed = avg / (1 - o.smooth_f ^ i)
      lrs[i], losses[i] = lr, smoothed
      if smoothed < best then best = smoothed end
      if smoothed ~= smoothed or smoothed > o.diverge_th * best then break end
    end
  end)
  -- put everything back, whether or not the test finished
  model:load_state_dict(saved_model)
  opt:load_state_dict(saved_opt)
  opt:zero_grad()
  if not ok then error(err, 2) end
  -- The moving average lags the raw losses, so on a short run its steepest descent can
  -- sit just before the divergence (on make_circles with SGD it suggested 1.07, where
  -- training fails). A tenth of the rate at the loss minimum (fastai's lr_min) is
  -- safely below the divergence: the suggestion is the smaller of the two.
  local imin = 1
  for i = 2, #losses do
    if losses[i] < losses[imin] then imin = i end
  end
  local steep, min10 = lrs[steepest(lrs, losses, o.skip_start, o.skip_end)], lrs[imin] / 10
  local info = { steepest = steep, minimum = lrs[imin], min_loss = losses[imin],
    rule = steep <= min10 and "steepest descent" or "minimum / 10" }
  return lrs, losses, math.min(steep, min10), info
end

return lr_find
