-- distributed.lua: the CNN of the convolutional section trained data-parallel on
-- Fashion-MNIST: every process holds the whole model, takes its own share of each epoch
-- (DistributedSampler), and DistributedDataParallel averages the gradients, so all
-- processes take the same AdamW steps. Prints throughput and the test accuracy.
-- Run:  mpirun -np 2 build/dltlua scripts/distributed.lua      (add --allow-run-as-root as root)
--       build/dltlua scripts/distributed.lua                   (one process, the same code)
-- DLT_DIST_EPOCHS=e sets the epochs (default 2); DLT_DIST_SUBSET=n trains on the first n
-- training images and tests on n/2 (a quick check); DLT_DIST_SYNC_BN=1 uses SyncBatchNorm.
local dlt = require "dlt"
local nn, optim, data, dist = dlt.nn, dlt.optim, dlt.data, dlt.distributed
local F = nn.functional

dist.init_process_group()   -- under mpirun: MPI; alone: a group of one process
local rank, world = dist.get_rank(), dist.get_world_size()
local subset = tonumber(os.getenv("DLT_DIST_SUBSET") or "")
local epochs = tonumber(os.getenv("DLT_DIST_EPOCHS") or "") or 2
local batch = 64   -- per process, as PyTorch's DataLoader under DDP: the global batch is 64 x world

-- every rank reads the data (a shared file system, or the same files on each machine)
local train_set = data.FashionMNIST { train = true, mean = 0.2860, std = 0.3530 }
local test_set = data.FashionMNIST { train = false, mean = 0.2860, std = 0.3530 }
local X, y, X_test, y_test = train_set.data, train_set.targets, test_set.data, test_set.targets
if subset then
  X, y = X:narrow(1, 1, subset), y:narrow(1, 1, subset)
  X_test, y_test = X_test:narrow(1, 1, subset // 2), y_test:narrow(1, 1, subset // 2)
end
local train_data = data.TensorDataset(X, y)
local sampler = data.DistributedSampler(train_data, { shuffle = true, seed = 0 })
local loader = data.DataLoader(train_data, { batch_size = batch, sampler = sampler })
dist.print(string.format("%d processes; %d training images, %d per process per epoch in batches of %d "
  .. "(global batch %d); %d test images.", world, #train_data, #sampler, batch, batch * world, X_test:size(1)))

-- the same seed everywhere; DDP copies rank 1's weights anyway
dlt.manual_seed(0)
local model = nn.Sequential(
  nn.Conv2d(1, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(32, 64, 3, { padding = 1 }), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
  nn.Dropout(0.25), nn.Flatten(),
  nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
  nn.Linear(128, 10))
if os.getenv("DLT_DIST_SYNC_BN") == "1" then model = nn.SyncBatchNorm.convert_sync_batchnorm(model) end
-- dropout draws differ between processes (each its own seed), as with PyTorch
dlt.manual_seed(1000 + rank)
local ddp = nn.parallel.DistributedDataParallel(model)
dist.print(string.format("DistributedDataParallel: %d gradient buckets, %s.", #ddp:buckets(),
  ddp:shared_memory() and "summed through shared memory when the backward ends (the ranks share this machine)"
    or "summed over MPI during backward"))
local optimizer = optim.AdamW(ddp:parameters(), { lr = 1e-3, weight_decay = 1e-2 })

-- accuracy over the test set: each rank scores every world-th image, the counts are summed
local function test_accuracy()
  model:eval()
  local n = X_test:size(1)
  local idx = dlt.arange(rank, n + 1, world, { dtype = "float64" })
  local counts = dlt.zeros(2, { dtype = "float64" })
  dlt.no_grad(function()
    for start = 1, idx:numel(), 500 do
      local part = idx:narrow(1, start, math.min(500, idx:numel() - start + 1))
      local out = model(X_test:index_select(1, part))
      counts[1] = counts[1] + out:argmax(2):eq(y_test:index_select(1, part)):sum():item()
      counts[2] = counts[2] + part:numel()
    end
  end)
  dist.all_reduce(counts)
  return counts[1] / counts[2]
end

local t_train, seen = 0, 0
for epoch = 1, epochs do
  sampler:set_epoch(epoch)   -- a new shuffle each epoch, the same on every rank
  ddp:train()
  local bar = dlt.progress(#loader, { desc = string.format("epoch %d/%d", epoch, epochs) })  -- rank 1 only
  local loss_sum, b = 0, 0
  dist.barrier()
  local t0 = dlt.clock()
  for xb, yb in loader:iter() do
    optimizer:zero_grad()
    local loss = F.cross_entropy(ddp(xb), yb)
    loss:backward()   -- the gradients arrive averaged over the ranks
    optimizer:step()
    loss_sum, b = loss_sum + loss:item(), b + 1
    bar:update(b, { loss = loss_sum / b })
  end
  dist.barrier()
  local secs = dlt.clock() - t0
  bar:close()
  t_train, seen = t_train + secs, seen + #sampler * world
  local mean_loss = dlt.tensor({ loss_sum / b }, { dtype = "float64" })
  dist.all_reduce(mean_loss, { op = "avg" })
  dist.print(string.format("Epoch %d/%d: train loss %.4f, %.0f images/s over %d processes, test accuracy %.2f%%",
    epoch, epochs, mean_loss[1], #sampler * world / secs, world, 100 * test_accuracy()))
end
dist.print(string.format("Trained %d images in %.1f s: %.0f images/s with %d processes.",
  seen, t_train, seen / t_train, world))

-- a checkpoint that loads into the plain model in one process (written by rank 1 only)
local path = (os.getenv("DLT_FIGDIR") or "figures") .. "/distributed_cnn.safetensors"
if rank == 1 then dlt.makedirs((path:gsub("/[^/]*$", ""))) end
dlt.save(path, ddp:state_dict())
dist.print("Checkpoint written to " .. path .. " (load it with model:load_state_dict(dlt.load(path))).")
dist.destroy_process_group()
