-- swa_utils.lua: dlt.optim.swa_utils, stochastic weight averaging as
-- torch.optim.swa_utils: AveragedModel keeps a running average of a model's weights,
-- SWALR (in lr_scheduler.lua) anneals to the SWA learning rate, update_bn recomputes
-- BatchNorm's running statistics for the averaged weights.
local dlt = require "dlt"
local nn = dlt.nn

local M = {}

-- PyTorch's default avg_fn: the equal-weight running mean
local function mean_avg(avg, p, n)
  return avg + (p - avg) / (n + 1)
end

-- the tensors update_parameters averages: parameters, and with use_buffers the
-- buffers after them (PyTorch's itertools.chain order)
local function averaged_tensors(m, use_buffers)
  local out = m:parameters()
  if use_buffers then
    for _, b in ipairs(m:buffers()) do out[#out + 1] = b end
  end
  return out
end

local AveragedModel = nn.Module:extend("AveragedModel")

-- AveragedModel(model, {avg_fn, use_buffers=false}): a deep copy of model (the
-- field `module`) whose weights update_parameters(model) averages.
-- avg_fn(averaged, current, n) gets two tensors and the number n of models averaged
-- so far and returns the new average.
function AveragedModel:init(model, opts)
  if not nn.is_module(model) then
    error("AveragedModel: expected a module, got " .. type(model), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("AveragedModel: options must be a table, got " .. type(opts), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "avg_fn" and k ~= "use_buffers" then
      error(string.format("AveragedModel: unknown option '%s'", tostring(k)), 3)
    end
  end
  if opts.avg_fn ~= nil and type(opts.avg_fn) ~= "function" then
    error("AveragedModel: avg_fn must be a function, got " .. type(opts.avg_fn), 3)
  end
  self.module = dlt.deepcopy(model)
  self:register_buffer("n_averaged", dlt.tensor(0, { dtype = "float64" }))
  rawset(self, "avg_fn", opts.avg_fn or mean_avg)
  rawset(self, "use_buffers", opts.use_buffers and true or false)
end

function AveragedModel:forward(...)
  return self.module(...)
end

-- update_parameters(model): the first call copies model's weights, later ones fold
-- them into the average with avg_fn
function AveragedModel:update_parameters(model)
  if not nn.is_module(model) then
    error("AveragedModel.update_parameters: expected a module, got " .. type(model), 2)
  end
  local mine = averaged_tensors(self.module, self.use_buffers)
  local theirs = averaged_tensors(model, self.use_buffers)
  if #mine ~= #theirs then
    error(string.format("AveragedModel.update_parameters: the model has %d tensors to " ..
      "average, the averaged model %d", #theirs, #mine), 2)
  end
  local n = self.n_averaged:item()
  dlt.no_grad(function()
    for i, p in ipairs(mine) do
      local q = theirs[i]:detach()
      if n == 0 then
        p:copy_(q)
      else
        local v = self.avg_fn(p:detach(), q, n)
        if not dlt.is_tensor(v) then
          error("AveragedModel.update_parameters: avg_fn returned a " .. type(v) ..
            ", expected a tensor", 0)
        end
        p:copy_(v)
      end
    end
  end)
  self.n_averaged:fill_(n + 1)
end

local function is_batchnorm(m)
  local ok, name = pcall(function() return m:_get_name() end)
  return ok and type(name) == "string" and name:match("^BatchNorm%d?d?$") ~= nil and
    m.running_mean ~= nil
end

-- the input of one batch: a tensor, or the first element of a list ({x, y})
local function batch_input(b)
  if type(b) == "table" and not dlt.is_tensor(b) then return b[1] end
  return b
end

-- update_bn(loader, model): one pass over loader in training mode, without gradients,
-- with each BatchNorm's running statistics reset and momentum=None (false), so they
-- end as the plain average over the batches; momentum and training mode are restored.
-- loader: anything with iter() yielding (x, ...) as dlt.data.DataLoader does, or a list
-- of tensors or of {x, ...} tables.
function M.update_bn(loader, model)
  if not nn.is_module(model) then
    error("update_bn: expected a module as the model, got " .. type(model), 2)
  end
  local momenta, bns = {}, {}
  for _, m in ipairs(model:modules()) do
    if is_batchnorm(m) then
      bns[#bns + 1] = m
      momenta[#bns] = m.momentum
    end
  end
  if #bns == 0 then return end
  local has_iter = type(loader) == "table" and type(loader.iter) == "function"
  if type(loader) ~= "table" then
    error("update_bn: loader must have iter() or be a list of batches, got " .. type(loader), 2)
  end
  for _, m in ipairs(bns) do
    m.running_mean = dlt.zeros_like(m.running_mean)
    m.running_var = dlt.ones_like(m.running_var)
    m.momentum = false
    m.num_batches_tracked:zero_()
  end
  local was_training = model.training
  model:train()
  local ok, err = pcall(dlt.no_grad, function()
    if has_iter then
      for x in loader:iter() do model(batch_input(x)) end
    else
      for _, b in ipairs(loader) do model(batch_input(b)) end
    end
  end)
  for i, m in ipairs(bns) do m.momentum = momenta[i] end
  model:train(was_training)
  if not ok then error(err, 2) end
end

M.AveragedModel = AveragedModel
return M
