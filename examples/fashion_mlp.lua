-- fashion_mlp.lua: a PyTorch tutorial-style training script ported line by line
-- (docs/porting.md shows both sides): an MLP with BatchNorm and Dropout on Fashion-MNIST,
-- kaiming init through apply, cross entropy with label smoothing, AdamW with OneCycleLR,
-- gradient clipping, early stopping on a deep copy of the best state, save and load,
-- per-class precision and recall. Run: build/dltlua examples/fashion_mlp.lua
local dlt = require "dlt"
local nn = dlt.nn
local data = dlt.data

dlt.manual_seed(0)
local EPOCHS, BATCH_SIZE, PATIENCE = 10, 128, 3

-- Fashion-MNIST, normalized with the training set's mean and std
local train_full = data.FashionMNIST({ train = true, mean = 0.2860, std = 0.3530 })
local test_set = data.FashionMNIST({ train = false, mean = 0.2860, std = 0.3530 })
local train_set, val_set = data.random_split(train_full, { 55000, 5000 })
local train_loader = data.DataLoader(train_set, { batch_size = BATCH_SIZE, shuffle = true })
local val_loader = data.DataLoader(val_set, { batch_size = 512 })
local test_loader = data.DataLoader(test_set, { batch_size = 512 })

local MLP = nn.Module:extend("MLP")
function MLP:init(hidden, p)
  hidden, p = hidden or 256, p or 0.2
  self.net = nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
    nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
    nn.Linear(hidden, 10))
end
function MLP:forward(x)
  return self.net(x)
end

local function init_weights(m)
  if nn.isinstance(m, nn.Linear) then
    nn.init.kaiming_normal_(m.weight, { nonlinearity = "relu" })
    nn.init.zeros_(m.bias)
  end
end

local model = MLP()
model:apply(init_weights)
local criterion = nn.CrossEntropyLoss({ label_smoothing = 0.1 })
local optimizer = dlt.optim.AdamW(model:parameters(), { lr = 1e-3, weight_decay = 1e-2 })
local scheduler = dlt.optim.lr_scheduler.OneCycleLR(optimizer,
  { max_lr = 1e-2, epochs = EPOCHS, steps_per_epoch = #train_loader })

local function evaluate(loader)
  model:eval()
  local total_loss, correct, n = 0.0, 0, 0
  dlt.no_grad(function()
    for x, y in loader:iter() do
      local out = model(x)
      total_loss = total_loss + criterion(out, y):item() * y:size(1)
      correct = correct + out:argmax(2):eq(y):sum():item()
      n = n + y:size(1)
    end
  end)
  return total_loss / n, correct / n
end

local best_loss, best_state, bad_epochs = math.huge, nil, 0
for epoch = 1, EPOCHS do
  model:train()
  for x, y in train_loader:iter() do
    optimizer:zero_grad()
    local loss = criterion(model(x), y)
    loss:backward()
    nn.utils.clip_grad_norm_(model:parameters(), 1.0)
    optimizer:step()
    scheduler:step()
  end
  local val_loss, val_acc = evaluate(val_loader)
  print(string.format("epoch %2d  val loss %.4f  val acc %.3f", epoch, val_loss, val_acc))
  if val_loss < best_loss then
    best_loss, best_state, bad_epochs = val_loss, dlt.deepcopy(model:state_dict()), 0
  else
    bad_epochs = bad_epochs + 1
    if bad_epochs >= PATIENCE then
      print("early stop")
      break
    end
  end
end

model:load_state_dict(best_state)
dlt.save("fashion_mlp.safetensors", model:state_dict())
local model2 = MLP()
model2:load_state_dict(dlt.load("fashion_mlp.safetensors"))
model2:eval()

local preds, labels = {}, {}
dlt.no_grad(function()
  for x, y in test_loader:iter() do
    preds[#preds + 1] = model2(x):argmax(2)
    labels[#labels + 1] = y
  end
end)
preds, labels = dlt.cat(preds, 1), dlt.cat(labels, 1)
for c = 1, 10 do
  local tp = (preds:eq(c) & labels:eq(c)):sum():item()
  local precision = tp / math.max(preds:eq(c):sum():item(), 1)
  local recall = tp / math.max(labels:eq(c):sum():item(), 1)
  print(string.format("%12s  precision %.3f  recall %.3f", test_set.classes[c], precision, recall))
end
