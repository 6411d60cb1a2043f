-- test_early_stopping.lua: dlt.EarlyStopping: the notebook exercise's sequence, min_delta,
-- mode "max", NaN metrics, restore_best_weights and bad options.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

-- feeds metrics until es says stop; returns the 1-based call that stopped, or nil
local function run(es, metrics, model_at)
  for i, m in ipairs(metrics) do
    if es(m, model_at and model_at(i)) then return i end
  end
end

T.test("the notebook's losses with patience 3 stop at epoch 6", function()
  local es = dlt.EarlyStopping({ patience = 3 })
  local losses = { 1.0, 0.9, 0.8, 0.85, 0.83, 0.84, 0.86, 0.7 }
  local stops = {}
  for i, l in ipairs(losses) do
    stops[i] = es(l)
    if stops[i] then break end
  end
  -- epochs counted from 1: the best 0.8 is epoch 3, epochs 4, 5, 6 do not improve
  for i = 1, 5 do T.eq(stops[i], false, "epoch " .. i) end
  T.eq(stops[6], true, "epoch 6")
  T.eq(es.best, 0.8)
  T.eq(es.best_epoch, 3)
  T.eq(es.stopped_epoch, 6)
end)

T.test("the counter resets on an improvement", function()
  local es = dlt.EarlyStopping({ patience = 3 })
  T.eq(run(es, { 1.0, 1.1, 1.2, 0.9, 1.0, 1.0 }), nil, "never three bad epochs in a row")
  T.eq(es.counter, 2)
  T.eq(es.best_epoch, 4)
end)

T.test("min_delta: an improvement must be larger than min_delta", function()
  local es = dlt.EarlyStopping({ patience = 2, min_delta = 0.1 })
  -- 0.95 and 0.91 improve on 1.0 by less than 0.1
  T.eq(run(es, { 1.0, 0.95, 0.91, 0.5 }), 3)
  T.eq(es.best, 1.0)
  local es2 = dlt.EarlyStopping({ patience = 2, min_delta = 0.1 })
  T.eq(run(es2, { 1.0, 0.85, 0.8, 0.7, 0.65, 0.64 }), 6)
  T.eq(es2.best, 0.7)
end)

T.test("mode max watches a metric that should grow", function()
  local es = dlt.EarlyStopping({ patience = 2, mode = "max" })
  T.eq(run(es, { 0.5, 0.6, 0.7, 0.65, 0.69, 0.9 }), 5)
  T.eq(es.best, 0.7)
  T.eq(es.best_epoch, 3)
end)

T.test("a NaN metric counts as no improvement", function()
  local es = dlt.EarlyStopping({ patience = 2 })
  T.eq(run(es, { 0 / 0, 1.0, 0 / 0, 0 / 0 }), 4)
  T.eq(es.best, 1.0)
  T.eq(es.best_epoch, 2)
  local es2 = dlt.EarlyStopping({ patience = 2 })
  T.eq(run(es2, { 0 / 0, 0 / 0 }), 2, "two NaNs from the start")
end)

T.test("a one-element tensor metric is read with item()", function()
  local es = dlt.EarlyStopping({ patience = 1 })
  T.eq(es(dlt.tensor(2.0)), false)
  T.eq(es(dlt.tensor(3.0)), true)
  T.eq(es.best, 2.0)
end)

T.test("restore_best_weights puts back the best epoch's weights when it stops", function()
  local w = dlt.tensor({ 0.0, 0.0 }, { requires_grad = true })
  local model = {
    state_dict = function() return { weight = w } end, -- a live reference
    load_state_dict = function(_, sd) dlt.no_grad(function() w:copy_(sd.weight) end) end,
  }
  local es = dlt.EarlyStopping({ patience = 2, restore_best_weights = true })
  local losses = { 1.0, 0.5, 0.7, 0.8 }
  local stopped
  for i, l in ipairs(losses) do
    dlt.no_grad(function() w:fill_(i) end) -- the weights of epoch i
    if es(l, model) then stopped = i break end
  end
  T.eq(stopped, 4)
  T.close(w, { 2, 2 }, 0, 0, "weights of epoch 2, the best")
  -- without the option the weights stay
  local es2 = dlt.EarlyStopping({ patience = 1 })
  dlt.no_grad(function() w:fill_(7) end)
  es2(1.0, model)
  es2(2.0, model)
  T.close(w, { 7, 7 }, 0, 0)
end)

T.test("restore_best_weights with an nn.Linear", function()
  local nn = dlt.nn
  local model = nn.Linear(3, 2)
  local es = dlt.EarlyStopping({ patience = 1, restore_best_weights = true })
  es(1.0, model)
  local best = model.weight:totable()
  dlt.no_grad(function() model.weight:fill_(5) end)
  T.eq(es(2.0, model), true, "stops")
  T.close(model.weight, best, 0, 0, "best weights back")
end)

T.test("bad options", function()
  T.raises(function() dlt.EarlyStopping({ patiance = 3 }) end,
    "EarlyStopping: unknown option 'patiance'")
  T.raises(function() dlt.EarlyStopping({ patience = -1 }) end,
    "EarlyStopping: patience must be a non-negative integer, got -1")
  T.raises(function() dlt.EarlyStopping({ patience = 1.5 }) end, "patience must be")
  T.raises(function() dlt.EarlyStopping({ min_delta = -0.1 }) end,
    "EarlyStopping: min_delta must be a non-negative number")
  T.raises(function() dlt.EarlyStopping({ mode = "up" }) end,
    "EarlyStopping: mode must be 'min' or 'max', got up")
  T.raises(function() dlt.EarlyStopping(3) end, "EarlyStopping: options must be a table")
  local es = dlt.EarlyStopping()
  T.raises(function() es("low") end, "EarlyStopping: metric must be a number")
end)

T.test("defaults: patience 5, min_delta 0, mode min", function()
  local es = dlt.EarlyStopping()
  T.eq(es.patience, 5); T.eq(es.min_delta, 0); T.eq(es.mode, "min")
  T.eq(es.restore_best_weights, false)
  T.eq(run(es, { 1, 2, 2, 2, 2, 2 }), 6)
end)

T.run()
