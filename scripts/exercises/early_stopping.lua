-- early_stopping.lua: Exercise 2 of the notebook solved: an EarlyStopping class
-- that stops when the validation loss has not improved by min_delta for `patience`
-- epochs, run on the notebook's loss sequence and checked against dlt.EarlyStopping.
-- Run: dltlua scripts/exercises/early_stopping.lua
local dlt = require "dlt"
local fmt = dlt.fmt

local EarlyStopping = {}
EarlyStopping.__index = EarlyStopping

-- patience: epochs to wait for an improvement; min_delta: the least decrease
-- that counts as one
local function new(patience, min_delta)
  patience, min_delta = patience or 5, min_delta or 0
  if type(patience) ~= "number" or patience < 1 then
    error("EarlyStopping: patience must be a number >= 1, got " .. tostring(patience), 2)
  end
  return setmetatable({ patience = patience, min_delta = min_delta,
                        best_loss = math.huge, counter = 0 }, EarlyStopping)
end

-- EarlyStopping(patience, min_delta) makes one, as the notebook's class does
setmetatable(EarlyStopping, { __call = function(_, ...) return new(...) end })

-- true once training should stop
function EarlyStopping:__call(val_loss)
  if val_loss < self.best_loss - self.min_delta then
    self.best_loss, self.counter = val_loss, 0   -- improved: reset the count
  else
    self.counter = self.counter + 1              -- no improvement
  end
  return self.counter >= self.patience
end

-- the notebook's test: the best loss is 0.8 at epoch 3, then three epochs without
-- improvement (4, 5, 6), so training stops at epoch 6, as the notebook expects.
-- Epochs count from 1, as every counter in dlt does (the notebook's enumerate()
-- counts from 0, which is why its own "expected" epoch reads one higher).
local early_stop = EarlyStopping(3)
local reference = dlt.EarlyStopping({ patience = 3 })
local losses = { 1.0, 0.9, 0.8, 0.85, 0.83, 0.84, 0.86, 0.7 }

print("Testing Early Stopping:")
local stopped
for epoch, loss in ipairs(losses) do
  local should_stop = early_stop(loss)
  local lib_stop = reference(loss)
  if lib_stop ~= should_stop then
    error(string.format("early_stopping: epoch %d: this class says %s, dlt.EarlyStopping says %s",
      epoch, fmt.py(should_stop), fmt.py(lib_stop)))
  end
  print(string.format("Epoch %d: loss=%s, stop=%s", epoch, fmt.py(loss), fmt.py(should_stop)))
  if should_stop then
    stopped = epoch
    print(string.format("Training stopped at epoch %d", epoch))
    break
  end
end
print(string.format("dlt.EarlyStopping agrees: best=%s, counter=%d, stop at epoch %s",
  fmt.py(reference.best), reference.counter, tostring(stopped)))

-- more settings, each decision compared with the library's
local sequences = {
  losses,
  { 1.0, 0.95, 0.94, 0.935, 0.93, 0.9, 0.89, 0.95, 0.97, 0.99, 0.88, 0.87 },
}
local settings = { { 1, 0 }, { 2, 0 }, { 2, 0.02 }, { 3, 0.05 }, { 5, 0 } }
local n = 0
for _, seq in ipairs(sequences) do
  for _, st in ipairs(settings) do
    local mine = EarlyStopping(st[1], st[2])
    local lib = dlt.EarlyStopping({ patience = st[1], min_delta = st[2] })
    for epoch, loss in ipairs(seq) do
      local a, b = mine(loss), lib(loss)
      if a ~= b then
        error(string.format("early_stopping: patience=%d min_delta=%s epoch %d: %s here, %s in dlt",
          st[1], fmt.py(st[2] + 0.0), epoch, fmt.py(a), fmt.py(b)))
      end
      if a then break end
    end
    n = n + 1
  end
end
print(string.format("%d more patience/min_delta settings: every decision agrees with dlt.EarlyStopping", n))
