-- pipeline.lua: section 6 of the notebook, "Putting It All Together": the two-moons
-- data, a network with BatchNorm, Dropout and Kaiming init, trained with AdamW and
-- a cosine schedule, its history and its decision boundary.
-- Run: dltlua scripts/pipeline.lua   (figures go to $DLT_FIGDIR, default figures/)
-- `require "pipeline"` (with scripts/ on package.path) returns the pieces without
-- running the section: make_moons_data, BestPracticesNetwork, train_model, loaders.
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt, data = dlt.nn, dlt.optim, dlt.plot, dlt.data

local M = {}

-- Two interleaving half circles; reseeds the generator like the notebook's
-- np.random.seed(42), so every call draws the same noise.
function M.make_moons_data(n_samples, noise)
  n_samples, noise = n_samples or 1000, noise or 0.2
  local F64 = { dtype = "float64" }
  dlt.manual_seed(42)
  local n = n_samples // 2
  -- first moon
  local theta1 = dlt.linspace(0, math.pi, n, F64)
  local x1, y1 = theta1:cos(), theta1:sin()
  -- second moon, shifted and flipped
  local theta2 = dlt.linspace(0, math.pi, n, F64)
  local x2, y2 = 1 - theta2:cos(), 0.5 - theta2:sin()

  local X = dlt.cat({ dlt.stack({ x1, y1 }, 2), dlt.stack({ x2, y2 }, 2) }, 1)
  X = X + dlt.randn(X.shape, F64) * noise
  local y = dlt.cat({ dlt.zeros(n, F64), dlt.ones(n, F64) }, 1)

  -- shuffle
  local idx = dlt.randperm(n_samples)
  return X:index_select(1, idx):float(), y:index_select(1, idx):float()
end

-- The rows of X whose label is cls (NumPy's X[y == cls]).
function M.rows_of_class(X, y, cls)
  local idx = {}
  for i, v in ipairs(y:totable()) do
    if v == cls then idx[#idx + 1] = i end
  end
  return X:index_select(1, dlt.tensor(idx, { dtype = "float64" }))
end

-- Every best practice at once: BatchNorm after each linear layer, ReLU, Dropout,
-- Kaiming init for the ReLU layers and Xavier for the output.
local BestPracticesNetwork = nn.Module:extend("BestPracticesNetwork")
M.BestPracticesNetwork = BestPracticesNetwork

function BestPracticesNetwork:init(input_dim, hidden_dims, output_dim, dropout_rate)
  input_dim, hidden_dims = input_dim or 2, hidden_dims or { 64, 32 }
  output_dim, dropout_rate = output_dim or 1, dropout_rate or 0.3
  local layers = {}
  local prev_dim = input_dim
  for _, hidden_dim in ipairs(hidden_dims) do
    -- linear layer with Kaiming init
    local linear = nn.Linear(prev_dim, hidden_dim)
    nn.init.kaiming_normal_(linear.weight, { mode = "fan_in", nonlinearity = "relu" })
    nn.init.zeros_(linear.bias)
    layers[#layers + 1] = linear
    layers[#layers + 1] = nn.BatchNorm1d(hidden_dim)
    layers[#layers + 1] = nn.ReLU()
    if dropout_rate > 0 then layers[#layers + 1] = nn.Dropout(dropout_rate) end
    prev_dim = hidden_dim
  end
  -- output layer: no BatchNorm, no Dropout
  local output_layer = nn.Linear(prev_dim, output_dim)
  nn.init.xavier_normal_(output_layer.weight)
  nn.init.zeros_(output_layer.bias)
  layers[#layers + 1] = output_layer
  self.network = nn.Sequential(table.unpack(layers))
end

function BestPracticesNetwork:forward(x)
  return self.network(x)
end

-- The train and validation loaders of the section (the same data every call).
function M.loaders()
  local X_train, y_train = M.make_moons_data(800, 0.2)
  local X_val, y_val = M.make_moons_data(200, 0.2)
  local train_dataset = data.TensorDataset(X_train, y_train:unsqueeze(2))
  local val_dataset = data.TensorDataset(X_val, y_val:unsqueeze(2))
  local train_loader = data.DataLoader(train_dataset, { batch_size = 32, shuffle = true })
  local val_loader = data.DataLoader(val_dataset, { batch_size = 32 })
  return train_loader, val_loader, X_train, y_train, X_val, y_val
end

-- The complete training loop: AdamW with weight decay, cosine annealing, and
-- train/validation loss and accuracy every epoch.
-- opts: epochs=100, lr=0.01, weight_decay=0.01, optimizer (a function of the
-- parameters and lr, AdamW by default), scheduler=true, verbose=true, desc (the
-- progress bar's label), progress=true (false: no bar of its own), on_epoch (called
-- as on_epoch(epoch, history) after every epoch)
function M.train_model(model, train_loader, val_loader, opts)
  opts = opts or {}
  local epochs, lr = opts.epochs or 100, opts.lr or 0.01
  local weight_decay = opts.weight_decay or 0.01
  local criterion = nn.BCEWithLogitsLoss()
  local optimizer
  if opts.optimizer then
    optimizer = opts.optimizer(model:parameters(), lr)
  else
    optimizer = optim.AdamW(model:parameters(), { lr = lr, weight_decay = weight_decay })
  end
  local scheduler
  if opts.scheduler ~= false then
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, { T_max = epochs })
  end

  local history = { train_loss = {}, val_loss = {}, train_acc = {}, val_acc = {}, lr = {} }
  local bar = dlt.progress(epochs, { desc = opts.desc or "train", unit = "epoch",
                                    delay = opts.progress == false and math.huge or nil })

  for epoch = 1, epochs do
    -- training
    model:train()
    local train_loss, train_correct, train_total = 0, 0, 0
    for X_batch, y_batch in train_loader:iter() do
      optimizer:zero_grad()
      local outputs = model(X_batch)
      local loss = criterion(outputs, y_batch)
      loss:backward()
      optimizer:step()

      local n = X_batch:size(1)
      train_loss = train_loss + loss:item() * n
      local predictions = outputs:detach():sigmoid():gt(0.5)
      train_correct = train_correct + predictions:eq(y_batch):sum():item()
      train_total = train_total + n
    end

    -- validation
    model:eval()
    local val_loss, val_correct, val_total = 0, 0, 0
    dlt.no_grad(function()
      for X_batch, y_batch in val_loader:iter() do
        local outputs = model(X_batch)
        local loss = criterion(outputs, y_batch)
        local n = X_batch:size(1)
        val_loss = val_loss + loss:item() * n
        local predictions = outputs:sigmoid():gt(0.5)
        val_correct = val_correct + predictions:eq(y_batch):sum():item()
        val_total = val_total + n
      end
    end)

    -- record, then update the learning rate
    local h = history
    h.train_loss[epoch] = train_loss / train_total
    h.val_loss[epoch] = val_loss / val_total
    h.train_acc[epoch] = train_correct / train_total
    h.val_acc[epoch] = val_correct / val_total
    h.lr[epoch] = optimizer.param_groups[1].lr
    if scheduler then scheduler:step() end

    bar:update(epoch, { loss = h.train_loss[epoch], val_acc = h.val_acc[epoch] })
    if opts.on_epoch then opts.on_epoch(epoch, h) end
    if opts.verbose ~= false and epoch % 20 == 0 then
      bar:print(string.format("Epoch %3d: train_loss=%.4f, val_loss=%.4f, val_acc=%.4f",
        epoch, h.train_loss[epoch], h.val_loss[epoch], h.val_acc[epoch]))
    end
  end
  bar:close()
  return history
end

-- As a module: the pieces only.
if ... == "pipeline" then return M end

-------------------------------------------------------------------------------
-- The section itself.
notebook.setup()
dlt.manual_seed(42)

-- The complete pipeline: AdamW with a learning-rate schedule, BatchNorm and Dropout
-- for regularization, Kaiming initialization, validation monitoring.
local train_loader, val_loader, X_train, y_train, X_val, y_val = M.loaders()

-- the training data
local fig = plt.figure({ figsize = { 8, 6 } })
local c0, c1 = M.rows_of_class(X_train, y_train, 0), M.rows_of_class(X_train, y_train, 1)
plt.scatter(c0:select(2, 1), c0:select(2, 2), { c = "blue", label = "Class 0", alpha = 0.6 })
plt.scatter(c1:select(2, 1), c1:select(2, 2), { c = "red", label = "Class 1", alpha = 0.6 })
plt.xlabel("x1")
plt.ylabel("x2")
plt.title("Training Data (Two Moons)")
plt.legend()
plt.grid(true, { alpha = 0.3 })
notebook.savefig(plt.gcf(), "pipeline_data")
plt.close(fig)

local model = BestPracticesNetwork(2, { 64, 32 }, 1, 0.3)
print(model)
local total = 0
for _, p in ipairs(model:parameters()) do total = total + p:numel() end
print(string.format("\nTotal parameters: %d", total))

-- train
dlt.manual_seed(42)
model = BestPracticesNetwork(2, { 64, 32 }, 1, 0.3)
local history = M.train_model(model, train_loader, val_loader,
  { epochs = 100, lr = 0.01, weight_decay = 0.01 })

-- the training history (dlt.plot.history(history) draws the same in one call)
local axes
fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })

local epoch_axis = dlt.arange(1, #history.train_loss + 1)   -- epochs count from 1
local ax = axes[1]   -- loss
ax:plot(epoch_axis, history.train_loss, "b-", { label = "Train", linewidth = 2 })
ax:plot(epoch_axis, history.val_loss, "r-", { label = "Validation", linewidth = 2 })
ax:set_xlabel("Epoch")
ax:set_ylabel("Loss")
ax:set_title("Loss")
ax:legend()
ax:grid(true, { alpha = 0.3 })

ax = axes[2]         -- accuracy
ax:plot(epoch_axis, history.train_acc, "b-", { label = "Train", linewidth = 2 })
ax:plot(epoch_axis, history.val_acc, "r-", { label = "Validation", linewidth = 2 })
ax:set_xlabel("Epoch")
ax:set_ylabel("Accuracy")
ax:set_title("Accuracy")
ax:legend()
ax:grid(true, { alpha = 0.3 })

ax = axes[3]         -- learning rate
ax:plot(epoch_axis, history.lr, "g-", { linewidth = 2 })
ax:set_xlabel("Epoch")
ax:set_ylabel("Learning Rate")
ax:set_title("Learning Rate (Cosine Annealing)")
ax:grid(true, { alpha = 0.3 })

fig:tight_layout()
notebook.savefig(fig, "pipeline_history")
plt.close(fig)

-- the decision boundary
local function plot_decision_boundary(net, X, y)
  net:eval()
  local x_min, x_max = X:select(2, 1):min():item() - 0.5, X:select(2, 1):max():item() + 0.5
  local y_min, y_max = X:select(2, 2):min():item() - 0.5, X:select(2, 2):max():item() + 0.5
  local xx, yy = dlt.meshgrid(dlt.linspace(x_min, x_max, 200, { dtype = "float64" }),
                              dlt.linspace(y_min, y_max, 200, { dtype = "float64" }))
  local grid = dlt.stack({ xx:flatten(), yy:flatten() }, 2):float()
  local Z
  dlt.no_grad(function() Z = net(grid):sigmoid() end)
  Z = Z:reshape(xx.shape)

  plt.contourf(xx, yy, Z, { levels = 50, cmap = "RdBu", alpha = 0.7 })
  plt.colorbar({ label = "P(Class 1)" })
  plt.contour(xx, yy, Z, { levels = { 0.5 }, colors = "black", linewidths = 2 })
  local a, b = M.rows_of_class(X, y, 0), M.rows_of_class(X, y, 1)
  plt.scatter(a:select(2, 1), a:select(2, 2), { c = "blue", edgecolors = "white", label = "Class 0" })
  plt.scatter(b:select(2, 1), b:select(2, 2), { c = "red", edgecolors = "white", label = "Class 1" })
  plt.xlabel("x1")
  plt.ylabel("x2")
  plt.legend()
end

fig = plt.figure({ figsize = { 10, 8 } })
plot_decision_boundary(model, X_val, y_val)
plt.title("Trained Model Decision Boundary")
notebook.savefig(plt.gcf(), "pipeline_boundary")
plt.close(fig)

print(string.format("\nFinal validation accuracy: %.4f", history.val_acc[#history.val_acc]))
