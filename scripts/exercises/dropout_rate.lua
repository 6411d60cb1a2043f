-- dropout_rate.lua: Exercise 3 of the notebook solved: the moons network trained
-- with dropout rates from 0 to 0.7, its final validation accuracy for each, and
-- the best rate.
-- Run: dltlua scripts/exercises/dropout_rate.lua
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local plt = dlt.plot

local P = notebook.pipeline()   -- scripts/pipeline.lua's pieces, its section not run

notebook.setup()

local train_loader, val_loader = P.loaders()

local dropout_rates = { 0.0, 0.1, 0.2, 0.3, 0.5, 0.7 }
-- one progress bar over every run (shown on a terminal when it takes over a second)
local bar = dlt.progress(#dropout_rates * 50, { desc = "dropout", unit = "epoch" })
local done = 0

-- the final validation accuracy of the network trained with one dropout rate
local function test_dropout_rate(dropout_rate, epochs)
  epochs = epochs or 50
  dlt.manual_seed(42)   -- the same initial weights and batches for every rate
  local model = P.BestPracticesNetwork(2, { 64, 32 }, 1, dropout_rate)
  local history = P.train_model(model, train_loader, val_loader, {
    epochs = epochs, lr = 0.01, weight_decay = 0.01, verbose = false, progress = false,
    on_epoch = function(_, h)
      done = done + 1
      bar:update(done, { p = dropout_rate, val_acc = h.val_acc[#h.val_acc] })
    end })
  return history.val_acc[#history.val_acc]
end

local accuracies = {}
for i, dr in ipairs(dropout_rates) do
  accuracies[i] = test_dropout_rate(dr)
  bar:print(string.format("Dropout %.1f: validation accuracy %.4f", dr, accuracies[i]))
end
bar:close()

local fig = plt.figure()   -- the default 6.4 x 4.8 inches
plt.plot(dropout_rates, accuracies, "bo-")
plt.xlabel("Dropout Rate")
plt.ylabel("Validation Accuracy")
plt.title("Effect of Dropout Rate")
plt.grid(true, { alpha = 0.3 })
notebook.savefig(plt.gcf(), "exercise_dropout_rate")
plt.close(fig)

-- argmax: the first best, as np.argmax
local best = 1
for i, a in ipairs(accuracies) do if a > accuracies[best] then best = i end end
print(string.format("Best dropout rate: %s with accuracy %.4f",
  dlt.fmt.py(dropout_rates[best]), accuracies[best]))
