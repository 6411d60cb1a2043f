-- optimizer_comparison.lua: Exercise 1 of the notebook solved: the moons network
-- trained with SGD, SGD+momentum, RMSprop and Adam at the same learning rate,
-- validation accuracy per epoch for each.
-- Run: dltlua scripts/exercises/optimizer_comparison.lua
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local optim, plt = dlt.optim, dlt.plot

local P = notebook.pipeline()   -- scripts/pipeline.lua's pieces, its section not run

notebook.setup()

local train_loader, val_loader = P.loaders()

-- the optimizers the exercise names, as functions of (params, lr)
local makers = {
  sgd = function(params, lr) return optim.SGD(params, { lr = lr }) end,
  momentum = function(params, lr) return optim.SGD(params, { lr = lr, momentum = 0.9 }) end,
  rmsprop = function(params, lr) return optim.RMSprop(params, { lr = lr }) end,
  adam = function(params, lr) return optim.Adam(params, { lr = lr }) end,
}

-- Trains a fresh model with one optimizer (no schedule, so only the optimizer
-- differs) and returns the validation accuracy of every epoch.
local names = { "sgd", "momentum", "rmsprop", "adam" }
-- one progress bar over every run (shown on a terminal when it takes over a second)
local bar = dlt.progress(#names * 50, { desc = "optimizers", unit = "epoch" })
local done = 0

local function train_with_optimizer(optimizer_name, lr, epochs)
  lr, epochs = lr or 0.01, epochs or 50
  local make = makers[optimizer_name]
  if not make then
    error("train_with_optimizer: unknown optimizer '" .. tostring(optimizer_name) ..
      "' (sgd, momentum, rmsprop or adam)", 2)
  end
  dlt.manual_seed(42)   -- the same initial weights and batches for every optimizer
  local model = P.BestPracticesNetwork(2, { 64, 32 }, 1, 0.3)
  local history = P.train_model(model, train_loader, val_loader, {
    epochs = epochs, lr = lr, optimizer = make, scheduler = false, verbose = false,
    progress = false, on_epoch = function(_, h)
      done = done + 1
      bar:update(done, { [optimizer_name] = h.val_acc[#h.val_acc] })
    end })
  return history.val_acc
end

local colors = { sgd = "blue", momentum = "red", rmsprop = "green", adam = "orange" }
local fig, ax = plt.subplots(1, 1, { figsize = { 10, 6 } })
print("Final validation accuracy after 50 epochs (lr=0.01):")
for _, name in ipairs(names) do
  local accs = train_with_optimizer(name, 0.01, 50)
  bar:print(string.format("  %-9s %.4f", name, accs[#accs]))
  ax:plot(dlt.arange(1, #accs + 1), accs, { color = colors[name], label = name, linewidth = 2 })
end
bar:close()
ax:set_xlabel("Epoch")
ax:set_ylabel("Validation Accuracy")
ax:set_title("Optimizer Comparison on Two Moons (lr=0.01)")
ax:legend()
ax:grid(true, { alpha = 0.3 })
fig:tight_layout()
notebook.savefig(fig, "exercise_optimizer_comparison")
plt.close(fig)
