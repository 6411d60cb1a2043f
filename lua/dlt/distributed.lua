-- distributed.lua: the parts of data-parallel training written in Lua, on top of the C
-- collectives of dlt.distributed (src/lua/distributed.c): nn.parallel.
-- DistributedDataParallel, nn.SyncBatchNorm, and the rank-aware conveniences (printing,
-- dlt.save and progress bars on rank 1 only). Ranks count from 1, as every index in dlt.
local dlt = require "dlt"
local nn = dlt.nn
local dist = dlt.distributed

dist.ReduceOp = { SUM = "sum", AVG = "avg", MAX = "max", MIN = "min" }

-- true in a single process and on rank 1 of a process group: the rank that prints,
-- draws progress bars and writes checkpoints
function dist.is_main_process()
  return not dist.is_initialized() or dist.get_rank() == 1
end

-- print(...) on rank 1 only (everywhere when no process group is up)
function dist.print(...)
  if dist.is_main_process() then print(...) end
end

-- dlt.save writes on rank 1 only while a process group is up (every rank holds the same
-- weights under DDP; one writer, no clobbering); {all_ranks = true} in the metadata
-- position is not needed: call dlt.distributed.save_on_all_ranks(path, tensors) instead
local save = dlt.save
function dlt.save(...)
  if dist.is_initialized() and dist.get_rank() ~= 1 then return end
  return save(...)
end
-- every rank writes (each to its own path)
dist.save_on_all_ranks = save

local function fail(level, fmt, ...)
  error(string.format(fmt, ...), level + 1)
end

local function rank_tag()
  return string.format("rank %d of %d", dist.get_rank(), dist.get_world_size())
end

local function shape_str(t)
  return "{" .. table.concat(t.shape, ",") .. "}"
end

-- ---------------------------------------------------------------- SyncBatchNorm

-- BatchNorm whose training statistics are those of the global batch: each rank's
-- per-channel sum and count, then sum of squared deviations, are summed over the ranks
-- (differentiably, so the backward sums the statistics' gradients too). On one process,
-- or in eval mode, it is BatchNorm.
local SyncBatchNorm = nn.Module:extend("SyncBatchNorm")

function SyncBatchNorm:init(num_features, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "eps" and k ~= "momentum" and k ~= "affine" and k ~= "track_running_stats" and k ~= "dtype" then
      fail(3, "SyncBatchNorm: unknown option '%s'", tostring(k))
    end
  end
  if math.type(num_features) ~= "integer" or num_features < 1 then
    fail(3, "SyncBatchNorm: num_features must be a positive integer, got %s", tostring(num_features))
  end
  local dt = { dtype = opts.dtype or dlt.get_default_dtype() }
  self.num_features = num_features
  self.eps = opts.eps or 1e-5
  self.momentum = opts.momentum == nil and 0.1 or opts.momentum
  self.affine = opts.affine ~= false
  self.track_running_stats = opts.track_running_stats ~= false
  if self.affine then
    self.weight = dlt.ones(num_features, dt):requires_grad_()
    self.bias = dlt.zeros(num_features, dt):requires_grad_()
  end
  if self.track_running_stats then
    self:register_buffer("running_mean", dlt.zeros(num_features, dt))
    self:register_buffer("running_var", dlt.ones(num_features, dt))
    self:register_buffer("num_batches_tracked", dlt.zeros({}, dt))
  end
end

function SyncBatchNorm:extra_repr()
  local function py(v) return v == true and "True" or v == false and "False" or tostring(v) end
  return string.format("%d, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", self.num_features,
    tostring(self.eps), self.momentum == false and "None" or tostring(self.momentum), py(self.affine),
    py(self.track_running_stats))
end

-- x summed over every dim but the channel dim (2), keeping dims: shape (1, C, 1, ...)
local function channel_sum(x)
  local s = x:sum(1, true)
  for d = 3, x:dim() do s = s:sum(d, true) end
  return s
end

function SyncBatchNorm:forward(x)
  if not dlt.is_tensor(x) or x:dim() < 2 or x:size(2) ~= self.num_features then
    fail(2, "SyncBatchNorm: expected an input of shape (N, %d, ...), got %s", self.num_features,
      dlt.is_tensor(x) and shape_str(x) or type(x))
  end
  local C = self.num_features
  local shape = { 1, C }
  for _ = 3, x:dim() do shape[#shape + 1] = 1 end
  local mean, var, unbiased
  if self.training or not self.track_running_stats then
    local sum_fn = dist.is_initialized() and dist._all_reduce_sum or function(t) return t end
    local count = x:numel() // C
    local stats = sum_fn(dlt.cat({ channel_sum(x):reshape(C), dlt.full({ 1 }, count, { dtype = x.dtype }) }, 1))
    local n = stats[C + 1]
    if type(n) ~= "number" then n = n:item() end
    if n <= 1 then
      fail(2, "SyncBatchNorm: expected more than 1 value per channel when training, got %d", n)
    end
    mean = stats:narrow(1, 1, C):reshape(shape) / n
    local d = x - mean
    var = sum_fn(channel_sum(d * d)) / n
    unbiased = n / (n - 1)
    local y = d / (var + self.eps):sqrt()
    if self.training and self.track_running_stats then
      dlt.no_grad(function()
        self.num_batches_tracked:add_(1)
        -- momentum=false: the cumulative average (PyTorch's momentum=None)
        local m = self.momentum
        if m == false then m = 1 / self.num_batches_tracked:item() end
        self.running_mean:mul_(1 - m):add_(mean:detach():reshape(C) * m)
        self.running_var:mul_(1 - m):add_(var:detach():reshape(C) * (m * unbiased))
      end)
    end
    if self.affine then y = y * self.weight:reshape(shape) + self.bias:reshape(shape) end
    return y
  end
  local y = (x - self.running_mean:reshape(shape)) / (self.running_var:reshape(shape) + self.eps):sqrt()
  if self.affine then y = y * self.weight:reshape(shape) + self.bias:reshape(shape) end
  return y
end

local BN_KINDS = { BatchNorm1d = true, BatchNorm2d = true, BatchNorm3d = true }

-- a SyncBatchNorm with bn's settings sharing its parameters and buffers
local function sync_from(bn)
  local C = bn.weight and bn.weight:size(1) or bn.running_mean:size(1)
  local s = SyncBatchNorm(C, { eps = bn.eps, momentum = bn.momentum, dtype = (bn.weight or bn.running_mean).dtype,
    affine = bn.weight ~= nil, track_running_stats = bn.running_mean ~= nil })
  local sd = bn:state_dict()
  if sd.weight then s.weight, s.bias = bn.weight, bn.bias end
  if sd.running_mean then
    s.running_mean:copy_(sd.running_mean)
    s.running_var:copy_(sd.running_var)
    if sd.num_batches_tracked then s.num_batches_tracked:copy_(sd.num_batches_tracked) end
  end
  s.training = bn.training
  return s
end

-- nn.SyncBatchNorm.convert_sync_batchnorm(module): module with every BatchNorm layer
-- replaced by a SyncBatchNorm sharing its parameters (a new Sequential where one holds a
-- BatchNorm; Lua modules are changed in place). Returns the module to use.
local function convert(m, depth)
  if depth > 100 then fail(3, "convert_sync_batchnorm: modules nested more than 100 deep") end
  if not nn.is_module(m) then fail(3, "convert_sync_batchnorm: expected a module, got %s", type(m)) end
  local name = m:_get_name()
  if BN_KINDS[name] then return sync_from(m) end
  if name == "Sequential" then
    local kids, changed = {}, false
    for i, c in ipairs(m:children()) do
      kids[i] = convert(c, depth + 1)
      changed = changed or kids[i] ~= c
    end
    if not changed then return m end
    local s = nn.Sequential(table.unpack(kids))
    if not m.training then s:eval() end
    return s
  end
  if type(m) == "table" and rawget(m, "_order") then
    for _, k in ipairs(rawget(m, "_order")) do
      local v = rawget(m, k)
      if nn.is_module(v) then rawset(m, k, convert(v, depth + 1)) end
    end
    for i = 1, math.huge do
      local v = rawget(m, i)
      if not nn.is_module(v) then break end
      rawset(m, i, convert(v, depth + 1))
    end
  end
  return m
end

function SyncBatchNorm.convert_sync_batchnorm(module)
  return convert(module, 0)
end

nn.SyncBatchNorm = SyncBatchNorm

-- ---------------------------------------------------------------- DistributedDataParallel

local DDP = nn.Module:extend("DistributedDataParallel")

-- "name shape dtype" of every parameter and buffer, one per line: what must agree
local function signature(model)
  local lines = {}
  for name, p in model:named_parameters() do
    lines[#lines + 1] = string.format("parameter '%s' %s %s", name, shape_str(p), p.dtype)
  end
  local sd, names = model:state_dict(), {}
  local params = {}
  for name in model:named_parameters() do params[name] = true end
  for k in pairs(sd) do
    if not params[k] then names[#names + 1] = k end
  end
  table.sort(names)
  for _, k in ipairs(names) do
    lines[#lines + 1] = string.format("buffer '%s' %s %s", k, shape_str(sd[k]), sd[k].dtype)
  end
  return lines
end

local function split_lines(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  if s == "" then out = {} end
  return out
end

-- the same error on every rank when any rank's model differs from rank 1's
local function check_same_model(model)
  local mine = signature(model)
  local all = dist._allgather_string(table.concat(mine, "\n"))
  local first = split_lines(all[1])
  for r = 2, #all do
    local other = split_lines(all[r])
    for i = 1, math.max(#first, #other) do
      if first[i] ~= other[i] then
        fail(4, "DistributedDataParallel: the model differs between ranks: rank %d has %s, rank 1 has %s "
          .. "(every rank must build the same model)", r, other[i] or "no more tensors", first[i] or "no more tensors")
      end
    end
  end
end

local function broadcast_buffers(model)
  for _, b in ipairs(model:buffers()) do dist.broadcast(b, 1) end
end

-- DistributedDataParallel(module, {bucket_cap_mb = 25, broadcast_buffers = true,
-- overlap = true}): rank 1's parameters and buffers are copied to every rank; each
-- backward after a forward averages the gradients over the ranks
function DDP:init(module, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "bucket_cap_mb" and k ~= "broadcast_buffers" and k ~= "overlap" then
      fail(3, "DistributedDataParallel: unknown option '%s'", tostring(k))
    end
  end
  if not nn.is_module(module) then
    fail(3, "DistributedDataParallel: expected a module, got %s", type(module))
  end
  if not dist.is_initialized() then
    -- the C side names how to enable MPI when it is missing
    dist.get_rank()
  end
  local cap = opts.bucket_cap_mb or 25
  if type(cap) ~= "number" or not (cap > 0) then -- NaN too
    fail(3, "DistributedDataParallel: bucket_cap_mb must be a positive number, got %s", cap ~= cap and "nan" or tostring(cap))
  end
  check_same_model(module)
  self.module = module
  rawset(self, "broadcast_buffers", opts.broadcast_buffers ~= false)
  -- rank 1's weights everywhere (buffers too: running statistics); the reducer averages
  -- the gradients of the parameters that require them
  local params, trained = module:parameters(), {}
  for _, p in ipairs(params) do
    dist.broadcast(p, 1)
    if p.requires_grad then trained[#trained + 1] = p end
  end
  params = trained
  broadcast_buffers(module)
  -- PyTorch's first bucket is 1 MB so the first sum starts early; the rest bucket_cap_mb
  local cap_bytes = math.max(1, math.floor(cap * 1024 * 1024))
  rawset(self, "_reducer", dist._reducer(params, math.min(cap_bytes, 1024 * 1024), cap_bytes, opts.overlap ~= false))
  rawset(self, "_sync", true)
end

function DDP:forward(...)
  if rawget(self, "broadcast_buffers") and dist.get_world_size() > 1 then broadcast_buffers(self.module) end
  if rawget(self, "_sync") and dlt.is_grad_enabled() then rawget(self, "_reducer"):prepare() end
  return self.module(...)
end

-- ddp:no_sync(fn): fn's forwards and backwards accumulate gradients locally, without
-- averaging; the first backward after it averages the accumulated sums
function DDP:no_sync(fn)
  if type(fn) ~= "function" then fail(2, "no_sync: expected a function, got %s", type(fn)) end
  local prev = rawget(self, "_sync")
  rawset(self, "_sync", false)
  local res = table.pack(pcall(fn))
  rawset(self, "_sync", prev)
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

-- the buckets as lists of parameter numbers (1-based, model:parameters() order)
-- true when the ranks share one machine and sum the buckets through shared memory
function DDP:shared_memory() return rawget(self, "_reducer"):shared() end

function DDP:buckets()
  return rawget(self, "_reducer"):buckets()
end

-- the wrapped module's own state: a checkpoint saved from DDP loads into the plain model
-- in one process (PyTorch prefixes the names with "module."; dlt does not)
function DDP:state_dict()
  return self.module:state_dict()
end

-- accepts both the plain names and PyTorch's "module."-prefixed ones
function DDP:load_state_dict(sd, strict)
  if type(sd) ~= "table" then fail(2, "load_state_dict: expected a table of tensors, got %s", type(sd)) end
  local plain = {}
  for k, v in pairs(sd) do
    if type(k) == "string" and k:sub(1, 7) == "module." then k = k:sub(8) end
    plain[k] = v
  end
  self.module:load_state_dict(plain, strict)
  return self
end

function DDP:extra_repr() return "" end

nn.parallel = nn.parallel or {}
nn.parallel.DistributedDataParallel = DDP

-- ---------------------------------------------------------------- failure

-- the message of an error on this rank with the rank named (used by dltlua before it
-- ends the job)
function dist._tag(msg)
  if dist.is_initialized() then return rank_tag() .. ": " .. tostring(msg) end
  return msg
end

return dist
