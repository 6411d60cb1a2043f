-- convolutional.lua: section 7, "Convolutional Networks on Real Images": what a
-- convolution does, the Fashion-MNIST data, a small CNN trained with AdamW, a one-cycle
-- schedule and early stopping, and what the trained network learned and got wrong.
-- Run: dltlua scripts/convolutional.lua   (figures go to $DLT_FIGDIR, default figures/)
-- DLT_CNN_SUBSET=n trains on the first n training images for 2 epochs (a quick check);
-- DLT_CNN_EPOCHS=e sets the number of epochs of the full run (default 3).
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt, data = dlt.nn, dlt.optim, dlt.plot, dlt.data
local F = nn.functional

local figpath = notebook.setup()
local function saved(fig, name)
  fig:savefig(figpath(name))
  plt.close(fig)
  print("  [figure written to " .. figpath(name) .. "]")
end

local subset = tonumber(os.getenv("DLT_CNN_SUBSET") or "")
local epochs = subset and 2 or tonumber(os.getenv("DLT_CNN_EPOCHS") or "") or 3

-------------------------------------------------------------------------------
print("== 7.1 What a convolution does ==")
local train_set = data.FashionMNIST { train = true }
local test_set = data.FashionMNIST { train = false }
local classes = train_set.classes

-- one test image: a sneaker, whose outline has both vertical and horizontal edges
local image                                    -- (1, 28, 28): the first sneaker of the test set
for i = 1, #test_set do
  if classes[test_set.targets[i]] == "Sneaker" then image = test_set[i][1] break end
end

local filters = {
  { "Vertical edges", { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } } },     -- Sobel x
  { "Horizontal edges", { { -1, -2, -1 }, { 0, 0, 0 }, { 1, 2, 1 } } },   -- Sobel y
  { "Blur", { { 1, 2, 1 }, { 2, 4, 2 }, { 1, 2, 1 } } },                  -- Gaussian, /16
  { "Sharpen", { { 0, -1, 0 }, { -1, 5, -1 }, { 0, -1, 0 } } },
}
local weight = dlt.zeros(#filters, 1, 3, 3)
for k, f in ipairs(filters) do weight[k][1]:copy_(dlt.tensor(f[2])) end
weight[3]:div_(16)
local filtered = F.conv2d(image:unsqueeze(1), weight, nil, { padding = 1 })   -- (1, 4, 28, 28)
print(string.format("A 3x3 filter slides over the image and sums what it sees: a (1,1,28,28) image "
  .. "and %d filters (%d,1,3,3) give maps of shape (%s) with padding 1.",
  #filters, #filters, table.concat(filtered.shape, ",")))
print("Each output pixel is the weighted sum of the 9 pixels under the filter; the edge filters "
  .. "answer where brightness changes, the blur averages it away.")

local fig, axes = plt.subplots(1, #filters + 1, { figsize = { 13, 3 } })
axes[1]:imshow(image[1], { cmap = "gray" })
axes[1]:set_title("Input")
for k, f in ipairs(filters) do
  local map = filtered[1][k]
  if k <= 2 then   -- signed responses: white at 0, red and blue for the two directions
    local lim = map:abs():max():item()
    axes[k + 1]:imshow(map, { cmap = "RdBu", vmin = -lim, vmax = lim })
  else
    axes[k + 1]:imshow(map, { cmap = "gray" })
  end
  axes[k + 1]:set_title(f[1])
end
for _, ax in ipairs(axes) do ax:axis("off") end
fig:suptitle("Hand-made 3x3 filters on a Fashion-MNIST image")
fig:tight_layout()
saved(fig, "convolutional_filters")

-------------------------------------------------------------------------------
print("\n== 7.2 The data ==")
print(string.format("Fashion-MNIST: %d training and %d test images, 28x28 grey, %d classes.",
  #train_set, #test_set, #classes))
print("Images are in [0, 1]; labels are the class numbers 1..10 that cross_entropy takes.")
local counts = {}
for c = 1, #classes do counts[c] = train_set.targets:eq(c):sum():item() end
print("Class balance of the training set:")
for c, name in ipairs(classes) do
  print(string.format("  %2d %-12s %5d", c, name, math.tointeger(counts[c])))
end
local mean, std = train_set.images:stats()
print(string.format("Pixel mean %.4f and std %.4f over the training set: inputs are normalised with them.",
  mean, std))
print("The images stay bytes (ds.images, 47 MB for 60,000); each batch becomes floats when it is taken.")

dlt.manual_seed(7)
local order = dlt.randperm(#train_set)
fig, axes = plt.subplots(4, 8, { figsize = { 12, 6.6 } })
for k = 1, 32 do
  local i = math.tointeger(order[k])
  local ax = axes[(k - 1) // 8 + 1][(k - 1) % 8 + 1]
  ax:imshow(train_set[i][1][1], { cmap = "gray_r" })
  ax:set_title(classes[train_set.targets[i]], { fontsize = 9 })
  ax:axis("off")
end
fig:suptitle("Fashion-MNIST training images and their classes")
fig:tight_layout()
saved(fig, "convolutional_samples")

-------------------------------------------------------------------------------
print("\n== 7.3 A small convolutional network ==")
-- batches are normalised as they are taken; 5,000 training images are set aside as a
-- validation split for early stopping (Subsets: no copy of the images)
for _, ds in ipairs({ train_set, test_set }) do ds.mean, ds.std = mean, std end
dlt.manual_seed(42)
local train_part, val_part = data.random_split(train_set, { #train_set - 5000, 5000 })
local test_part = test_set
if subset then
  train_part = data.Subset(train_part, dlt.arange(1, math.min(subset, #train_part) + 1))
  val_part = data.Subset(val_part, dlt.arange(1, subset // 4 + 2))
  test_part = data.Subset(test_set, dlt.arange(1, subset // 2 + 2))
end
local train_loader = data.DataLoader(train_part, { batch_size = 64, shuffle = true })
local val_loader = data.DataLoader(val_part, { batch_size = 100 })
local test_loader = data.DataLoader(test_part, { batch_size = 100 })
print(string.format("Train %d, validation %d, test %d images; batches of 64.",
  #train_part, #val_part, #test_part))

-- light dropout: in a run of three epochs the usual 0.25 and 0.5 slow learning more
-- than they prevent overfitting (91.0% test accuracy with them, 91.6% with these)
dlt.manual_seed(0)
local model = nn.Sequential(
  nn.Conv2d(1, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(32, 64, 3, { padding = 1 }), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
  nn.Dropout(0.1), nn.Flatten(),
  nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
  nn.Linear(128, 10))
print(model)
local n_params = 0
for _, p in ipairs(model:parameters()) do n_params = n_params + p:numel() end
print(string.format("Total parameters: %d. Two conv blocks (conv, BatchNorm, ReLU, 2x2 max "
  .. "pooling) turn 28x28 into 64 maps of 7x7; two linear layers classify them.", n_params))

local steps = #train_loader * epochs
local optimizer = optim.AdamW(model:parameters(), { lr = 1e-3, weight_decay = 1e-2 })
local scheduler = optim.lr_scheduler.OneCycleLR(optimizer, { max_lr = 5e-3, total_steps = steps })
local stopper = dlt.EarlyStopping { patience = 2, mode = "min", restore_best_weights = true }
print(string.format("AdamW (weight decay 0.01) with a one-cycle schedule up to lr 5e-3 over "
  .. "%d epochs (%d steps); early stopping on the validation loss, patience 2.", epochs, steps))

-- loss and accuracy of model over a loader, in eval mode without a graph; the predicted
-- classes are appended to preds when it is given
local function evaluate(loader, preds)
  model:eval()
  local loss, correct, total = 0, 0, 0
  dlt.no_grad(function()
    for xb, yb in loader:iter() do
      local out = model(xb)
      local p = out:argmax(2)
      loss = loss + F.cross_entropy(out, yb):item() * xb:size(1)
      correct = correct + p:eq(yb):sum():item()
      total = total + xb:size(1)
      if preds then
        for j = 1, p:numel() do preds[#preds + 1] = p[j] end
      end
    end
  end)
  return loss / total, correct / total
end

local history = { train_loss = {}, val_loss = {}, train_acc = {}, val_acc = {} }
local t_start = dlt.clock()
for epoch = 1, epochs do
  model:train()
  local loss_sum, correct, total = 0, 0, 0
  local bar = dlt.progress(#train_loader, { desc = string.format("epoch %d/%d", epoch, epochs) })
  local b = 0
  for xb, yb in train_loader:iter() do
    optimizer:zero_grad()
    local out = model(xb)
    local loss = F.cross_entropy(out, yb)
    loss:backward()
    optimizer:step()
    scheduler:step()
    local n = xb:size(1)
    loss_sum = loss_sum + loss:item() * n
    correct = correct + out:argmax(2):eq(yb):sum():item()
    total = total + n
    b = b + 1
    if b % 50 == 0 then bar:update(b, { loss = loss_sum / total }) end
  end
  bar:close()
  local val_loss, val_acc = evaluate(val_loader)
  history.train_loss[epoch], history.train_acc[epoch] = loss_sum / total, correct / total
  history.val_loss[epoch], history.val_acc[epoch] = val_loss, val_acc
  print(string.format("Epoch %d/%d: train loss %.4f, acc %.4f | val loss %.4f, acc %.4f | %.1f s",
    epoch, epochs, history.train_loss[epoch], history.train_acc[epoch], val_loss, val_acc,
    dlt.clock() - t_start))
  if stopper(val_loss, model) then
    print(string.format("Early stopping: no better validation loss for %d epochs.", stopper.patience))
    break
  end
end
local train_time = dlt.clock() - t_start
-- the stopper restores the best weights when it stops; a run that went the distance
-- takes them back here if an earlier epoch was better
local best_epoch = stopper.best_epoch
if not stopper.stopped_epoch and best_epoch ~= #history.val_loss then model:load_state_dict(stopper.best_state) end
print(string.format("Best epoch %d (validation loss %.4f); the model has its weights.",
  best_epoch, history.val_loss[best_epoch]))

local preds = {}                               -- the test set's predicted classes, for 7.4
local test_loss, test_acc = evaluate(test_loader, preds)
print(string.format("Test loss %.4f, test accuracy %.2f%% after %.1f s of training.",
  test_loss, 100 * test_acc, train_time))
print("For comparison, Fashion-MNIST's own benchmark puts multilayer perceptrons near 88% "
  .. "and small two-layer conv nets at 91-92%.")

-------------------------------------------------------------------------------
print("\n== 7.4 What the network learned ==")
local ep = {}
for e = 1, #history.train_loss do ep[e] = e end
fig, axes = plt.subplots(1, 2, { figsize = { 12, 4 } })
axes[1]:plot(ep, history.train_loss, "b-o", { label = "Train", linewidth = 2 })
axes[1]:plot(ep, history.val_loss, "r-o", { label = "Validation", linewidth = 2 })
axes[1]:set_xlabel("Epoch")
axes[1]:set_ylabel("Cross-entropy loss")
axes[1]:set_title("Loss")
axes[2]:plot(ep, history.train_acc, "b-o", { label = "Train", linewidth = 2 })
axes[2]:plot(ep, history.val_acc, "r-o", { label = "Validation", linewidth = 2 })
axes[2]:set_xlabel("Epoch")
axes[2]:set_ylabel("Accuracy")
axes[2]:set_title("Accuracy")
for _, ax in ipairs(axes) do
  ax:axvline(best_epoch, { color = "gray", linestyle = "--", alpha = 0.6 })
  ax:legend()
  ax:grid(true, { alpha = 0.3 })
end
fig:tight_layout()
saved(fig, "convolutional_history")

-- the 32 learned 3x3 filters of the first layer, on one colour scale centred at 0
local w1 = model[1].weight:detach()
local lim = w1:abs():max():item()
fig, axes = plt.subplots(4, 8, { figsize = { 10, 5.4 } })
for k = 1, 32 do
  local ax = axes[(k - 1) // 8 + 1][(k - 1) % 8 + 1]
  ax:imshow(w1[k][1], { cmap = "RdBu", vmin = -lim, vmax = lim })
  ax:set_title(tostring(k), { fontsize = 9 })
  ax:axis("off")
end
fig:suptitle("First-layer filters after training (red negative, blue positive)")
fig:tight_layout()
saved(fig, "convolutional_kernels")
print("The first layer's 32 filters are 3x3 weights like the hand-made ones of 7.1; "
  .. "many learned edge and contrast detectors.")

-- the feature maps of one test image after each conv block
model:eval()
local x1 = test_set[1][1]:unsqueeze(1)
local block1, block2
dlt.no_grad(function()
  block1 = x1
  for i = 1, 4 do block1 = model[i](block1) end
  block2 = block1
  for i = 5, 8 do block2 = model[i](block2) end
end)
print(string.format("One image through the network: input (1,1,28,28), after block 1 (%s), "
  .. "after block 2 (%s).", table.concat(block1.shape, ","), table.concat(block2.shape, ",")))
fig, axes = plt.subplots(3, 8, { figsize = { 12, 5.2 } })
for c = 1, 8 do
  if c == 1 then
    axes[1][1]:imshow(test_set[1][1][1], { cmap = "gray_r" })
    axes[1][1]:set_title("Input: " .. classes[test_set.targets[1]], { fontsize = 9 })
  end
  axes[2][c]:imshow(block1[1][c], { cmap = "viridis" })
  axes[2][c]:set_title("block 1, map " .. c, { fontsize = 9 })
  axes[3][c]:imshow(block2[1][c], { cmap = "viridis" })
  axes[3][c]:set_title("block 2, map " .. c, { fontsize = 9 })
end
for r = 1, 3 do
  for c = 1, 8 do axes[r][c]:axis("off") end
end
fig:suptitle("Feature maps: 14x14 after the first block, 7x7 after the second")
fig:tight_layout()
saved(fig, "convolutional_feature_maps")

-- the test predictions of 7.3: the confusion matrix and the mistakes
local confusion = dlt.zeros(10, 10, { dtype = "float64" })
local wrong, truth = {}, {}
for i = 1, #preds do
  local t = math.tointeger(test_set.targets[i])  -- test_part holds the first images of test_set
  truth[i] = t
  confusion[t][preds[i]] = confusion[t][preds[i]] + 1
  if preds[i] ~= t then wrong[#wrong + 1] = i end
end
fig = plt.figure({ figsize = { 9, 7.5 } })
local ax = plt.gca()
local cm = ax:imshow(confusion, { cmap = "Blues" })
fig:colorbar(cm)
local top = confusion:max():item()
-- as scikit-learn's ConfusionMatrixDisplay draws it: the image's pixel (r, c) is centred
-- at x = c - 1, y = r - 1 (image coordinates count from 0), so the class names go at
-- ticks 0..9 and each count is written at its cell's centre
for t = 1, 10 do
  for p = 1, 10 do
    local v = math.tointeger(confusion[t][p])
    ax:text(p - 1, t - 1, tostring(v), { ha = "center", va = "center", fontsize = 8,
      color = v > top / 2 and "white" or "black" })
  end
end
local ticks = {}
for c = 1, 10 do ticks[c] = c - 1 end
ax:set_xticks(ticks, classes, { rotation = 45, ha = "right" })
ax:set_yticks(ticks, classes)
ax:grid(false)                                 -- the style's grid would cross the cells
ax:set_xlabel("Predicted class")
ax:set_ylabel("True class")
ax:set_title(string.format("Confusion matrix on %d test images (accuracy %.2f%%)", #preds, 100 * test_acc))
fig:tight_layout()
saved(fig, "convolutional_confusion")
print("Confusion matrix: row = true class, column = predicted class, counts in the cells.")
local pairs_ = {}
for t = 1, 10 do
  for p = 1, 10 do
    if t ~= p then pairs_[#pairs_ + 1] = { t, p, confusion[t][p] } end
  end
end
table.sort(pairs_, function(a, b) return a[3] > b[3] end)
print("The most confused pairs:")
for k = 1, 3 do
  local c = pairs_[k]
  print(string.format("  %-12s taken for %-12s %d times", classes[c[1]], classes[c[2]], math.tointeger(c[3])))
end

fig, axes = plt.subplots(3, 6, { figsize = { 12, 7 } })
for k = 1, 18 do
  local a = axes[(k - 1) // 6 + 1][(k - 1) % 6 + 1]
  local i = wrong[k]
  if i then
    a:imshow(test_part[i][1][1], { cmap = "gray_r" })
    a:set_title(classes[truth[i]] .. " -> " .. classes[preds[i]],
      { fontsize = 8 })
  end
  a:axis("off")
end
fig:suptitle(string.format("Misclassified test images (true -> predicted): %d of %d", #wrong, #preds))
fig:tight_layout()
saved(fig, "convolutional_mistakes")
