-- learning_rate.lua: section 2 of the notebook, "Learning Rate": too high, too low
-- and just right on x^2, the learning-rate schedulers, and warmup.
-- Run: dltlua scripts/learning_rate.lua   (figures go to $DLT_FIGDIR, default figures/)
-- The range test of 2.3 is scripts/lr_finder.lua.
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt = dlt.nn, dlt.optim, dlt.plot

notebook.setup()
dlt.manual_seed(42)

-- The learning rate is the size of each step. Too high: you overshoot the minimum,
-- bounce around or diverge. Too low: training takes forever. Just right: steady
-- progress. (In F1 terms: how far you move the front wing between sessions.)

local function simple_grad(x) return 2 * x end   -- the gradient of the loss x^2

-- 1-D gradient descent; the path includes the start, and stops once it diverges
local function gradient_descent_1d(start, lr, n_steps)
  local path = { start }
  local x = start
  for _ = 1, n_steps do
    x = x - lr * simple_grad(x)
    path[#path + 1] = x
    if math.abs(x) > 100 then break end   -- diverged
  end
  return path
end

local fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })
local start, n_steps = 5.0, 20
local configs = {
  { "Too High (lr=1.1)", 1.1, "red" },
  { "Just Right (lr=0.3)", 0.3, "green" },
  { "Too Low (lr=0.01)", 0.01, "blue" },
}
for i, cfg in ipairs(configs) do
  local ax, title, lr, color = axes[i], cfg[1], cfg[2], cfg[3]
  local path = gradient_descent_1d(start, lr, n_steps)
  -- x over the steps
  ax:plot(path, "o-", { color = color, markersize = 6, linewidth = 2 })
  ax:axhline(0, { color = "gray", linestyle = "--", alpha = 0.5 })
  ax:set_xlabel("Step")
  ax:set_ylabel("x value")
  ax:set_title(title)
  ax:grid(true, { alpha = 0.3 })
  if lr > 1 then ax:set_ylim(-10, 10) else ax:set_ylim(-1, 6) end
end
fig:tight_layout()
notebook.savefig(fig, "learning_rate_sizes")
plt.close(fig)

-- 2.1 Schedulers: start large for fast progress, then shrink to fine-tune
-- (bold setup changes in FP1, tiny refinements by qualifying).
--   StepLR: times gamma every step_size epochs    ExponentialLR: times gamma each epoch
--   CosineAnnealingLR: a smooth cosine decay      ReduceLROnPlateau: when a metric stalls
local epochs, base_lr = 100, 0.1

-- the learning rate of each epoch, read before the scheduler steps
local function get_scheduler_lrs(scheduler_class, n, opts)
  local model = nn.Linear(10, 1)
  local optimizer = optim.SGD(model:parameters(), { lr = base_lr })
  local scheduler = scheduler_class(optimizer, opts)
  local lrs = {}
  for _ = 1, n do
    lrs[#lrs + 1] = optimizer.param_groups[1].lr
    scheduler:step()
  end
  return lrs
end

local S = optim.lr_scheduler
fig, axes = plt.subplots(2, 2, { figsize = { 12, 10 } })
local panels = {
  { axes[1][1], S.StepLR, { step_size = 30, gamma = 0.1 }, "blue", "StepLR (step=30, gamma=0.1)" },
  { axes[1][2], S.ExponentialLR, { gamma = 0.95 }, "green", "ExponentialLR (gamma=0.95)" },
  { axes[2][1], S.CosineAnnealingLR, { T_max = epochs }, "red", "CosineAnnealingLR" },
  { axes[2][2], S.MultiStepLR, { milestones = { 30, 60, 80 }, gamma = 0.1 }, "purple",
    "MultiStepLR (milestones=[30,60,80])" },
}
for _, p in ipairs(panels) do
  local ax = p[1]
  local lrs = get_scheduler_lrs(p[2], epochs, p[3])
  ax:plot(dlt.arange(1, #lrs + 1), lrs, { color = p[4], linewidth = 2 })   -- epochs from 1
  ax:set_xlabel("Epoch")
  ax:set_ylabel("Learning Rate")
  ax:set_title(p[5])
  ax:grid(true, { alpha = 0.3 })
end
fig:suptitle("Learning Rate Schedulers", { fontsize = 14 })
fig:tight_layout()
notebook.savefig(fig, "learning_rate_schedulers")
plt.close(fig)

-- 2.2 Warmup: start tiny and ramp up, because early gradients are unreliable,
-- BatchNorm statistics are not yet accurate, and large first updates can throw the
-- weights somewhere bad. It matters most for deep nets, large batches, Transformers.
local function warmup_cosine_schedule(epoch, warmup_epochs, total_epochs, max_lr)
  if epoch < warmup_epochs then
    return max_lr * (epoch / warmup_epochs)
  end
  local progress = (epoch - warmup_epochs) / (total_epochs - warmup_epochs)
  return max_lr * 0.5 * (1 + math.cos(math.pi * progress))
end

local warmup_epochs, max_lr = 10, 0.1
-- the schedule's formula counts epochs from 0; the axis counts them from 1 (epoch 1
-- runs at formula epoch 0), so warmup covers epochs 1..10
local warmup_cosine, no_warmup, constant = {}, {}, {}
for e = 0, epochs - 1 do
  warmup_cosine[#warmup_cosine + 1] = warmup_cosine_schedule(e, warmup_epochs, epochs, max_lr)
  no_warmup[#no_warmup + 1] = max_lr * 0.5 * (1 + math.cos(math.pi * e / epochs))
  constant[#constant + 1] = max_lr
end

local ax
fig, ax = plt.subplots(1, 1, { figsize = { 10, 6 } })
local epoch_axis = dlt.arange(1, epochs + 1)
ax:plot(epoch_axis, warmup_cosine, "b-", { linewidth = 2, label = "Warmup + Cosine" })
ax:plot(epoch_axis, no_warmup, "g--", { linewidth = 2, label = "Cosine (no warmup)", alpha = 0.7 })
ax:plot(epoch_axis, constant, { color = "gray", linestyle = ":", linewidth = 2, label = "Constant", alpha = 0.5 })
ax:axvline(warmup_epochs, { color = "red", linestyle = "--", alpha = 0.5,
  label = string.format("End warmup (epoch %d)", warmup_epochs) })
ax:set_xlabel("Epoch", { fontsize = 12 })
ax:set_ylabel("Learning Rate", { fontsize = 12 })
ax:set_title("Learning Rate Warmup", { fontsize = 14 })
ax:legend()
ax:grid(true, { alpha = 0.3 })
fig:tight_layout()
notebook.savefig(fig, "learning_rate_warmup")
plt.close(fig)

-- 2.3 The learning-rate finder: start tiny, raise the rate every iteration, plot
-- loss against rate and pick where the loss falls fastest, about 10x below where it
-- explodes. dlt.lr_find does it; scripts/lr_finder.lua shows it on the moons data.
