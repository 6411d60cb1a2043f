-- early_stopping.lua: dlt.EarlyStopping: stop training once a validation metric has
-- not improved by more than min_delta for `patience` calls in a row, optionally
-- putting back the model's best weights.
local K = require "dlt.optim_kernels"
-- errors are raised at the user's line, past dlt's own frames
local raise = require("dlt.argcheck").raise

local EarlyStopping = {}
EarlyStopping.__index = EarlyStopping

local allowed = { patience = true, min_delta = true, mode = true, restore_best_weights = true }

-- a copy of every tensor of model:state_dict(), which may hold live references
local function snapshot(model)
  local sd = model:state_dict()
  local copy = {}
  for k, v in pairs(sd) do
    copy[k] = type(v) == "userdata" and K.clone(v) or v
  end
  return copy
end

-- EarlyStopping({patience = 5, min_delta = 0, mode = "min", restore_best_weights = false})
local function new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    raise("EarlyStopping: options must be a table, got " .. type(opts))
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not allowed[k] then raise("EarlyStopping: unknown option '" .. tostring(k) .. "'") end
  end
  local self = setmetatable({
    patience = opts.patience == nil and 5 or opts.patience,
    min_delta = opts.min_delta == nil and 0 or opts.min_delta,
    mode = opts.mode or "min",
    restore_best_weights = opts.restore_best_weights == true,
  }, EarlyStopping)
  local p = self.patience
  if math.type(p) ~= "integer" and not (type(p) == "number" and p == math.floor(p)) or p < 0 then
    raise("EarlyStopping: patience must be a non-negative integer, got " .. tostring(p))
  end
  if type(self.min_delta) ~= "number" or not (self.min_delta >= 0) then
    raise("EarlyStopping: min_delta must be a non-negative number, got " ..
      tostring(self.min_delta))
  end
  if self.mode ~= "min" and self.mode ~= "max" then
    raise("EarlyStopping: mode must be 'min' or 'max', got " .. tostring(self.mode))
  end
  if opts.restore_best_weights ~= nil and type(opts.restore_best_weights) ~= "boolean" then
    raise("EarlyStopping: restore_best_weights must be a boolean")
  end
  self:reset()
  return self
end

setmetatable(EarlyStopping, { __call = function(_, opts) return new(opts) end })

-- forgets everything seen so far
function EarlyStopping:reset()
  self.best = self.mode == "min" and math.huge or -math.huge
  self.best_epoch = nil   -- 1-based count of the call that gave the best metric
  self.counter = 0        -- calls since the last improvement
  self.epoch = 0          -- calls so far
  self.stopped_epoch = nil
  self.best_state = nil
end

function EarlyStopping:_improved(metric)
  if self.mode == "min" then return metric < self.best - self.min_delta end
  return metric > self.best + self.min_delta
end

-- es(metric[, model]): true when training should stop. A NaN metric is never an
-- improvement. With restore_best_weights, model's weights go back to the best
-- call's when it stops.
function EarlyStopping:__call(metric, model)
  if type(metric) == "userdata" then metric = metric:item() end
  if type(metric) ~= "number" then
    raise("EarlyStopping: metric must be a number or a one-element tensor, got " ..
      type(metric))
  end
  if model ~= nil and (type(model) ~= "table" and type(model) ~= "userdata") then
    raise("EarlyStopping: model must be a module, got " .. type(model))
  end
  self.epoch = self.epoch + 1
  if self:_improved(metric) then
    self.best, self.best_epoch, self.counter = metric, self.epoch, 0
    if self.restore_best_weights and model ~= nil then self.best_state = snapshot(model) end
    return false
  end
  self.counter = self.counter + 1
  if self.counter < self.patience then return false end
  self.stopped_epoch = self.stopped_epoch or self.epoch
  if self.restore_best_weights and model ~= nil and self.best_state then
    model:load_state_dict(self.best_state)
  end
  return true
end

function EarlyStopping:__tostring()
  return string.format("EarlyStopping(patience=%s, min_delta=%s, mode=%s, best=%s, counter=%d)",
    tostring(self.patience), tostring(self.min_delta), self.mode, tostring(self.best),
    self.counter)
end

-- es.reset() with '.' says "call it as es:reset()" (lua/dlt/methods.lua)
local methods = require "dlt.methods"
methods.guard(EarlyStopping, { "reset" }, methods.instance_of(EarlyStopping), "es", "EarlyStopping")

return EarlyStopping
