-- lr_finder.lua: the learning-rate range test that section 2.3 of the notebook
-- mentions: raise the learning rate exponentially every batch, record the loss,
-- and pick the rate where the loss falls fastest.
-- Run: dltlua scripts/lr_finder.lua   (figure: learning_rate_finder.png in $DLT_FIGDIR)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt = dlt.nn, dlt.optim, dlt.plot

local P = notebook.pipeline()   -- scripts/pipeline.lua's pieces, its section not run

notebook.setup()
dlt.manual_seed(42)

-- 1. start with a tiny learning rate; 2. train a few batches, raising it each time;
-- 3. plot loss against rate; 4. take the rate where the loss falls fastest, but at
-- most a tenth of the rate at the loss minimum (fastai's two rules). The model and optimizer come back as
-- they were, so the real training starts from the same weights.
local train_loader, val_loader = P.loaders()
local model = P.BestPracticesNetwork(2, { 64, 32 }, 1, 0.3)
local criterion = nn.BCEWithLogitsLoss()
local optimizer = optim.SGD(model:parameters(), { lr = 1e-3, momentum = 0.9 })

local lrs, losses, suggestion, info = dlt.lr_find(model, train_loader, criterion, optimizer,
  { start_lr = 1e-7, end_lr = 10, num_iter = 100 })

local fig, ax = plt.subplots(1, 1, { figsize = { 10, 6 } })
ax:plot(lrs, losses, "b-", { linewidth = 2, label = "Loss (smoothed)" })
ax:plot(info.minimum, info.min_loss, "ko", { markersize = 8,
  label = string.format("Loss minimum at lr = %.2e", info.minimum) })
ax:axvline(info.steepest, { color = "gray", linestyle = ":", linewidth = 2,
  label = string.format("Steepest descent at lr = %.2e", info.steepest) })
ax:axvline(suggestion, { color = "red", linestyle = "--", linewidth = 2,
  label = string.format("Suggested lr = %.2e (%s)", suggestion, info.rule) })
ax:set_xscale("log")
ax:set_xlabel("Learning Rate (log scale)", { fontsize = 12 })
ax:set_ylabel("Loss", { fontsize = 12 })
ax:set_title("Learning Rate Range Test", { fontsize = 14 })
ax:legend()
ax:grid(true, { alpha = 0.3 })
fig:tight_layout()
notebook.savefig(fig, "learning_rate_finder")
plt.close(fig)

print(string.format("Learning rate range test: %d rates from %.0e to %.0e", #lrs, 1e-7, 10))
print(string.format("Steepest descent at %.2e, loss minimum at %.2e", info.steepest, info.minimum))
print(string.format("Suggested learning rate: %.2e (%s)", suggestion, info.rule))

-- train with the suggestion, SGD with momentum and the cosine schedule
local history = P.train_model(model, train_loader, val_loader, {
  epochs = 30, lr = suggestion, verbose = false, desc = "lr test",
  optimizer = function(params, lr) return optim.SGD(params, { lr = lr, momentum = 0.9 }) end })
print(string.format("30 epochs at the suggested rate: validation accuracy %.4f",
  history.val_acc[#history.val_acc]))
