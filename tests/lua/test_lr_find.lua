-- test_lr_find.lua: dlt.lr_find on a small linear model written as a plain Lua table
-- (parameters/state_dict/load_state_dict, as nn modules have): the exponential sweep,
-- the smoothed losses (checked against a run done by hand), the stop at 4x the
-- minimum, the suggestion (steepest descent, at most a tenth of the minimum's rate, as
-- fastai suggests), and the model and optimizer put back.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local optim = dlt.optim

-- y = x W + b with W (2,1), b (1,)
local Model = {}
Model.__index = Model
local function new_model()
  return setmetatable({
    weight = dlt.tensor({ { 0.3 }, { -0.2 } }, { dtype = "float64", requires_grad = true }),
    bias = dlt.tensor({ 0.1 }, { dtype = "float64", requires_grad = true }),
  }, Model)
end
function Model:__call(x) return x:matmul(self.weight) + self.bias end
function Model:parameters() return { self.weight, self.bias } end
-- live references, as PyTorch's state_dict gives
function Model:state_dict() return { weight = self.weight, bias = self.bias } end
function Model:load_state_dict(sd)
  dlt.no_grad(function()
    self.weight:copy_(sd.weight)
    self.bias:copy_(sd.bias)
  end)
end

local function mse(pred, y) return ((pred - y) ^ 2):mean() end

-- 40 points, y = 3 x1 - 2 x2 + 1 plus a fixed wiggle; batches of 8 (5 per epoch)
local function loader(dtype)
  local xs, ys = {}, {}
  for i = 1, 40 do
    local a, b = math.sin(i * 0.7), math.cos(i * 1.3)
    xs[i] = { a, b }
    ys[i] = { 3 * a - 2 * b + 1 + 0.05 * math.sin(i * 3.1) }
  end
  local X = dlt.tensor(xs, { dtype = dtype or "float64" })
  local Y = dlt.tensor(ys, { dtype = dtype or "float64" })
  return dlt.data.DataLoader(dlt.data.TensorDataset(X, Y), { batch_size = 8 })
end

local function batches_of(dl)
  local list = {}
  for xb, yb in dl:iter() do list[#list + 1] = { xb, yb } end
  return list
end

T.test("the sweep is exponential from start_lr and the losses are the smoothed ones", function()
  local model, dl = new_model(), loader()
  local opt = optim.SGD(model:parameters(), { lr = 0.01, momentum = 0.9 })
  local lrs, losses = dlt.lr_find(model, dl, mse, opt,
    { start_lr = 1e-4, end_lr = 1, num_iter = 30 })
  T.eq(#lrs, #losses, "one loss per rate")
  T.close(lrs[1], 1e-4, 1e-15)
  for i = 2, #lrs do
    T.close(lrs[i] / lrs[i - 1], (1 / 1e-4) ^ (1 / 29), 1e-12, 0, "ratio " .. i)
  end
  -- the same procedure by hand on a fresh model: one batch per rate, batches cycling
  local ref, ropt = new_model(), nil
  ropt = optim.SGD(ref:parameters(), { lr = 0.01, momentum = 0.9 })
  local bs = batches_of(dl)
  local avg = 0
  for i = 1, #lrs do
    ropt.param_groups[1].lr = lrs[i]
    local b = bs[(i - 1) % #bs + 1]
    ropt:zero_grad()
    local loss = mse(ref(b[1]), b[2])
    loss:backward()
    ropt:step()
    avg = 0.98 * avg + 0.02 * loss:item()
    T.close(losses[i], avg / (1 - 0.98 ^ i), 1e-12, 0, "smoothed loss " .. i)
  end
end)

T.test("the test stops once the smoothed loss exceeds 4x its minimum", function()
  local model = new_model()
  local opt = optim.SGD(model:parameters(), { lr = 0.01 })
  local lrs, losses = dlt.lr_find(model, loader(), mse, opt,
    { start_lr = 1e-3, end_lr = 100, num_iter = 100 })
  T.eq(#lrs < 100, true, "stopped early (" .. #lrs .. " rates)")
  local min = math.huge
  for i = 1, #losses - 1 do
    min = math.min(min, losses[i])
    T.eq(losses[i] <= 4 * min, true, "no divergence before the end, at " .. i)
  end
  min = math.min(min, losses[#losses])
  local last = losses[#losses]
  T.eq(last > 4 * min or last ~= last, true, "the last loss diverged")
end)

-- the rate of the smallest loss
local function argmin(losses)
  local at = 1
  for i = 2, #losses do if losses[i] < losses[at] then at = i end end
  return at
end

T.test("the suggestion is the steepest descent of loss over log(lr), at most minimum/10", function()
  local model = new_model()
  local opt = optim.SGD(model:parameters(), { lr = 0.01 })
  local lrs, losses, suggestion, info = dlt.lr_find(model, loader(), mse, opt,
    { start_lr = 1e-3, end_lr = 10, num_iter = 60 })
  -- numpy.gradient over the curve without its first 10 and last 5 points
  local lo, hi = 11, #losses - 5
  local best, at = math.huge, nil
  for i = lo, hi do
    local a, b = math.max(i - 1, lo), math.min(i + 1, hi)
    local s = (losses[b] - losses[a]) / (math.log(lrs[b]) - math.log(lrs[a]))
    if s < best then best, at = s, i end
  end
  T.eq(info.steepest, lrs[at], "steepest descent")
  T.eq(best < 0, true, "the loss falls there")
  local min_lr = lrs[argmin(losses)]
  T.eq(info.minimum, min_lr, "rate of the minimum")
  T.eq(suggestion, math.min(lrs[at], min_lr / 10), "suggestion")
  T.eq(info.rule, lrs[at] <= min_lr / 10 and "steepest descent" or "minimum / 10", "rule")
  -- a short test keeps every point
  local l2, s2, sug2 = dlt.lr_find(model, loader(), mse, opt,
    { start_lr = 1e-3, end_lr = 1, num_iter = 12 })
  best, at = math.huge, nil
  for i = 1, #s2 do
    local a, b = math.max(i - 1, 1), math.min(i + 1, #s2)
    local s = (s2[b] - s2[a]) / (math.log(l2[b]) - math.log(l2[a]))
    if s < best then best, at = s, i end
  end
  T.eq(sug2, math.min(l2[at], l2[argmin(s2)] / 10), "suggestion of a short test")
end)

-- The issue's case: SGD with momentum on make_circles, where the steepest descent of
-- the smoothed loss (about 1) lies next to the divergence and training there stays at
-- chance; training 20 epochs at the suggestion must classify the circles.
T.test("on make_circles, training at the suggestion reaches 0.95 validation accuracy", function()
  local data, nn = dlt.data, dlt.nn
  for seed = 1, 3 do
    dlt.manual_seed(seed)
    local X, y = data.make_circles(1000, { noise = 0.1, factor = 0.5 })
    local Xtr, Xva, ytr, yva = data.train_test_split(X, y, { test_size = 0.2 })
    local dl = data.DataLoader(data.TensorDataset(Xtr, ytr:unsqueeze(2)), { batch_size = 32, shuffle = true })
    local model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    local crit = nn.BCEWithLogitsLoss()
    local opt = optim.SGD(model:parameters(), { lr = 1e-3, momentum = 0.9 })
    local lrs, losses, suggestion, info = dlt.lr_find(model, dl, crit, opt)
    T.eq(suggestion < info.minimum, true, "below the minimum's rate")
    opt = optim.SGD(model:parameters(), { lr = suggestion, momentum = 0.9 })
    for _ = 1, 20 do
      for xb, yb in dl:iter() do
        opt:zero_grad()
        crit(model(xb), yb):backward()
        opt:step()
      end
    end
    local acc = dlt.no_grad(function() return model(Xva):gt(0):squeeze(2):eq(yva):float():mean():item() end)
    assert(acc >= 0.95, string.format("seed %d: lr %.3g (%s) gave accuracy %.3f", seed, suggestion, info.rule, acc))
  end
end)

T.test("the model and the optimizer are left as they were", function()
  local model, dl = new_model(), loader()
  local opt = optim.Adam(model:parameters(), { lr = 0.01 })
  -- some training first, so the optimizer has state to keep
  for _ = 1, 3 do
    for xb, yb in dl:iter() do
      opt:zero_grad()
      mse(model(xb), yb):backward()
      opt:step()
    end
  end
  local w0, b0 = model.weight:totable(), model.bias:totable()
  local before = opt:state_dict()
  dlt.lr_find(model, dl, mse, opt, { num_iter = 50 })
  T.close(model.weight, w0, 0, 0, "weight")
  T.close(model.bias, b0, 0, 0, "bias")
  local after = opt:state_dict()
  T.eq(after.param_groups[1].lr, 0.01, "lr")
  for i = 1, 2 do
    T.eq(after.state[i].step, before.state[i].step, "step count")
    T.close(after.state[i].exp_avg, before.state[i].exp_avg, 0, 0, "exp_avg")
    T.close(after.state[i].exp_avg_sq, before.state[i].exp_avg_sq, 0, 0, "exp_avg_sq")
  end
end)

T.test("an nn.Sequential model with nn.MSELoss is put back after the test", function()
  local nn = dlt.nn
  dlt.manual_seed(3)
  local model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
  local opt = optim.SGD(model:parameters(), { lr = 0.05, momentum = 0.9 })
  local before = {}
  for k, v in pairs(model:state_dict()) do before[k] = v:totable() end
  local lrs, losses, suggestion = dlt.lr_find(model, loader("float32"), nn.MSELoss(), opt,
    { start_lr = 1e-5, end_lr = 10, num_iter = 60 })
  T.eq(#lrs >= 20, true, "ran " .. #lrs .. " rates")
  T.eq(#losses, #lrs)
  T.eq(suggestion >= lrs[1] and suggestion <= lrs[#lrs], true, "suggestion within the sweep")
  for k, v in pairs(model:state_dict()) do T.close(v, before[k], 0, 0, k) end
  T.eq(opt.param_groups[1].lr, 0.05, "lr")
end)

T.test("bad arguments", function()
  local model = new_model()
  local opt = optim.SGD(model:parameters(), { lr = 0.01 })
  T.raises(function() dlt.lr_find(model, loader(), mse, {}, {}) end,
    "lr_find: argument 4 is not an optimizer")
  T.raises(function() dlt.lr_find(model, loader(), mse, opt, { start_lr = 1, end_lr = 0.1 }) end,
    "lr_find: need 0 < start_lr < end_lr")
  T.raises(function() dlt.lr_find(model, loader(), mse, opt, { num_iters = 10 }) end,
    "lr_find: unknown option 'num_iters'")
  T.raises(function() dlt.lr_find(model, loader(), mse, opt, { num_iter = 1 }) end,
    "lr_find: num_iter must be an integer >= 2")
  -- an error inside the loss still puts the model back
  local w0 = model.weight:totable()
  T.raises(function()
    dlt.lr_find(model, loader(), function(p, y)
      local l = mse(p, y)
      if l:item() < 0.5 then error("loss went too low") end
      return l
    end, opt, { start_lr = 1e-2, end_lr = 10, num_iter = 100 })
  end, "loss went too low")
  T.close(model.weight, w0, 0, 0, "weight after the error")
end)

T.run()
