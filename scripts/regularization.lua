-- regularization.lua: section 3 of the notebook, "Regularization": overfitting with
-- polynomials, L1 vs L2 weight distributions, dropout's sub-networks and its
-- train/eval behaviour, and early stopping.
-- Run: dltlua scripts/regularization.lua   (figures go to $DLT_FIGDIR, default figures/)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, plt = dlt.nn, dlt.plot
local fmt = dlt.fmt

notebook.setup()
dlt.manual_seed(42)

-- Overfitting: the model memorizes the training data instead of learning the
-- pattern (a car perfectly tuned for Monaco and hopeless at Monza). Regularization
-- constrains the model's capacity so it generalizes.

-- Noisy samples of sin(2 pi x)
local F64 = { dtype = "float64" }
dlt.manual_seed(42)
local n_samples = 30
local X_train = dlt.linspace(0, 1, n_samples, F64)
local y_true = (2 * math.pi * X_train):sin()
local y_train = y_true + 0.3 * dlt.randn(n_samples, F64)

-- Polynomials of three degrees
local fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })
local X_test = dlt.linspace(0, 1, 100, F64)
local degrees = { 1, 4, 15 }
local titles = { "Underfitting (degree=1)", "Good Fit (degree=4)", "Overfitting (degree=15)" }
local colors = { "blue", "green", "red" }

for i, degree in ipairs(degrees) do
  local ax = axes[i]
  -- fit
  local coeffs = dlt.polyfit(X_train, y_train, degree)
  local y_pred = dlt.polyval(coeffs, X_test)
  -- errors
  local train_pred = dlt.polyval(coeffs, X_train)
  local train_mse = ((y_train - train_pred) ^ 2):mean():item()
  local test_mse = (((2 * math.pi * X_test):sin() - y_pred) ^ 2):mean():item()
  -- plot
  ax:scatter(X_train, y_train, { color = "black", s = 50, label = "Training data", zorder = 5 })
  ax:plot(X_test, (2 * math.pi * X_test):sin(), "g--", { alpha = 0.5, label = "True function" })
  ax:plot(X_test, y_pred, { color = colors[i], linewidth = 2, label = "Model" })
  ax:set_xlabel("x")
  ax:set_ylabel("y")
  ax:set_title(string.format("%s\nTrain MSE: %.3f, Test MSE: %.3f", titles[i], train_mse, test_mse))
  ax:legend({ loc = "upper right", fontsize = 8 })
  ax:set_ylim(-2, 2)
  ax:grid(true, { alpha = 0.3 })
end
fig:suptitle("The Bias-Variance Tradeoff", { fontsize = 14 })
fig:tight_layout()
notebook.savefig(fig, "regularization_overfitting")
plt.close(fig)

-- 3.1 L2 (weight decay): L_total = L_data + lambda * sum w^2. Large weights cost,
-- so the model prefers small ones: smoother boundaries, better generalization.
-- 3.2 L1: L_total = L_data + lambda * sum |w|. Pushes weights all the way to zero:
-- sparse models (feature selection). In dlt either is a plain tensor expression:
--   loss = loss + lambda * w:abs():sum()      loss = loss + lambda * (w ^ 2):sum()

-- Simulated weight distributions after each kind of regularization
fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })
dlt.manual_seed(42)
local n_weights = 1000
local no_reg = dlt.randn(n_weights, F64) * 1.5       -- no regularization: weights can be large
local l2_reg = dlt.randn(n_weights, F64) * 0.3       -- L2: small but non-zero
local l1_reg = dlt.random.laplace(0, 0.2, n_weights)  -- L1: a Laplace distribution ...
l1_reg = l1_reg:masked_fill(l1_reg:abs():lt(0.1), 0)  -- ... with many weights exactly 0

local ax = axes[1]
ax:hist(no_reg, { bins = 50, alpha = 0.7, color = "gray", edgecolor = "black" })
ax:set_xlabel("Weight Value")
ax:set_ylabel("Count")
ax:set_title("No Regularization")
ax:set_xlim(-4, 4)

ax = axes[2]
ax:hist(l2_reg, { bins = 50, alpha = 0.7, color = "blue", edgecolor = "black" })
ax:set_xlabel("Weight Value")
ax:set_ylabel("Count")
ax:set_title("L2 Regularization\n(small but non-zero)")
ax:set_xlim(-4, 4)

ax = axes[3]
ax:hist(l1_reg, { bins = 50, alpha = 0.7, color = "green", edgecolor = "black" })
ax:set_xlabel("Weight Value")
ax:set_ylabel("Count")
ax:set_title(string.format("L1 Regularization\n(%d weights exactly 0)", l1_reg:eq(0):sum():item()))
ax:set_xlim(-4, 4)

fig:tight_layout()
notebook.savefig(fig, "regularization_weights")
plt.close(fig)

-- 3.3 Dropout: during training each neuron is switched off with probability p, so
-- every step trains a different sub-network. Neurons cannot co-adapt, the net acts
-- like an ensemble, and features must be useful on their own (like testing with
-- random sensors disabled so the telemetry never depends on any single one).
fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })

local function draw_network(ax, title, dropout_rate)
  dropout_rate = dropout_rate or 0
  dlt.manual_seed(42 + math.floor(dropout_rate * 100))   -- a different draw per rate
  local layers = { 4, 6, 6, 3 }
  local positions = {}
  for layer_idx, n_neurons in ipairs(layers) do
    local layer_pos = {}
    for i = 0, n_neurons - 1 do
      local y = (i - (n_neurons - 1) / 2) * 0.15
      local x = (layer_idx - 1) * 0.3
      -- only the hidden layers drop neurons
      local is_dropped = false
      if dropout_rate > 0 and (layer_idx == 2 or layer_idx == 3) then
        is_dropped = dlt.rand(1)[1] < dropout_rate
      end
      layer_pos[#layer_pos + 1] = { x, y, is_dropped }
      local color = is_dropped and "lightgray" or "steelblue"
      local edge = is_dropped and "gray" or "darkblue"
      ax:scatter(x, y, { s = 300, c = color, edgecolors = edge, linewidth = 2, zorder = 3 })
    end
    positions[#positions + 1] = layer_pos
  end
  -- connections between neurons that both survive
  for l = 1, #positions - 1 do
    for _, a in ipairs(positions[l]) do
      for _, b in ipairs(positions[l + 1]) do
        if not a[3] and not b[3] then
          ax:plot({ a[1], b[1] }, { a[2], b[2] }, { color = "gray", alpha = 0.3, linewidth = 0.5, zorder = 1 })
        end
      end
    end
  end
  ax:set_xlim(-0.1, 1.0)
  ax:set_ylim(-0.6, 0.6)
  ax:set_title(title)
  ax:axis("off")
end

draw_network(axes[1], "No Dropout", 0)
draw_network(axes[2], "Dropout p=0.3\n(training step 1)", 0.3)
dlt.manual_seed(99)   -- as in the notebook; draw_network reseeds, so step 2 repeats step 1
draw_network(axes[3], "Dropout p=0.3\n(training step 2)", 0.3)

fig:suptitle("Dropout Creates Different Sub-Networks Each Step", { fontsize = 14 })
fig:tight_layout()
notebook.savefig(fig, "regularization_dropout")
plt.close(fig)

print("Gray neurons are 'dropped' - they don't participate in this forward/backward pass.")
print("Each training step uses a different random sub-network!")

-- Dropout in the library: training vs eval mode
local dropout = nn.Dropout(0.5)
local x = dlt.ones(1, 10)

dropout:train()   -- dropout active
print("Training mode (dropout ACTIVE):")
for i = 1, 3 do
  local out = dropout(x)
  print(string.format("  Sample %d: %s", i, fmt.array(out, { decimals = 1 })))
end

dropout:eval()    -- dropout disabled
print("\nEvaluation mode (dropout DISABLED):")
for i = 1, 3 do
  local out = dropout(x)
  print(string.format("  Sample %d: %s", i, fmt.array(out, { decimals = 1 })))
end

print("\nNote: In training mode, surviving values are scaled by 1/(1-p)=2 to maintain expected value.")

-- 3.4 Early stopping: watch the validation loss, keep the best model, stop when
-- it has not improved for `patience` epochs, restore the best (know when to lock
-- in the setup). dlt.EarlyStopping does it; scripts/exercises/early_stopping.lua
-- builds one.

-- Simulated training: the training loss keeps falling, the validation loss turns
-- up after epoch 40. The notebook's formula counts epochs from 0; the printout and the
-- axis count them from 1, as everything in dlt does (formula epoch e is epoch e + 1).
dlt.manual_seed(42)
local epochs = 100
local train_losses, val_losses = {}, {}
for epoch = 0, epochs - 1 do
  local train_loss = 1.0 * math.exp(-epoch / 30) + 0.05 + 0.01 * dlt.randn(1)[1]
  local val_loss
  if epoch < 40 then
    val_loss = 1.0 * math.exp(-epoch / 30) + 0.1 + 0.02 * dlt.randn(1)[1]
  else
    val_loss = 0.2 + 0.004 * (epoch - 40) + 0.02 * dlt.randn(1)[1]
  end
  train_losses[#train_losses + 1] = math.max(0.05, train_loss)
  val_losses[#val_losses + 1] = math.max(0.1, val_loss)
end

-- argmin: the list index is the epoch counted from 1
local best_i = 1
for i, v in ipairs(val_losses) do if v < val_losses[best_i] then best_i = i end end
local best_epoch = best_i
local epoch_axis = dlt.arange(1, epochs + 1)

fig, ax = plt.subplots(1, 1, { figsize = { 10, 6 } })
ax:plot(epoch_axis, train_losses, "b-", { linewidth = 2, label = "Training Loss" })
ax:plot(epoch_axis, val_losses, "r-", { linewidth = 2, label = "Validation Loss" })
ax:axvline(best_epoch, { color = "green", linestyle = "--", linewidth = 2,
  label = string.format("Best model (epoch %d)", best_epoch) })
ax:axvspan(best_epoch, epochs, { alpha = 0.1, color = "red", label = "Overfitting region" })
ax:set_xlabel("Epoch", { fontsize = 12 })
ax:set_ylabel("Loss", { fontsize = 12 })
ax:set_title("Early Stopping Prevents Overfitting", { fontsize = 14 })
ax:legend()
ax:grid(true, { alpha = 0.3 })
fig:tight_layout()
notebook.savefig(fig, "regularization_early_stopping")
plt.close(fig)

print(string.format("Best epoch: %d with validation loss: %.4f", best_epoch, val_losses[best_i]))
print(string.format("Final epoch: %d with validation loss: %.4f", epochs, val_losses[epochs]))
print(string.format("Early stopping saves %.4f in validation loss!", val_losses[epochs] - val_losses[best_i]))
