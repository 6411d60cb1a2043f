-- data.lua: dlt.data: TensorDataset and DataLoader (torch.utils.data), the toy data
-- sets of sklearn.datasets (make_moons, make_circles, make_blobs), train_test_split
-- and load_csv. Random draws come from dlt's one global generator (dlt.manual_seed).
local dlt = require "dlt"

local M = {}

local F64 = { dtype = "float64" }
local take_rows = dlt._take_rows

local check = require "dlt.argcheck"
-- errors point at the user's line (argcheck.raise finds it, as the checkers do)
local fail = check.fail

local checkopts, checkint, checkbool, checknumber, checktensor = check.opts, check.int, check.bool, check.number, check.tensor

-- ---------------------------------------------------------------- loops over data sets

-- ds[#ds + 1] is where ipairs(ds) stops: the error there says how to loop instead
function M._loop_hint(i, n)
  if i ~= n + 1 then return "" end
  return "; loop over the rows with `for i, row in pairs(ds) do` or `for i = 1, #ds do`"
end

-- the loop forms of a data set class (TensorDataset, Subset, FashionMNIST, ...):
-- pairs(ds) gives i, ds[i] for i = 1..#ds; calling ds (`for row in ds do`) says how to loop
function M._dataset_loops(cls, name_of)
  function cls.__pairs(ds)
    local i, n = 0, #ds
    return function()
      i = i + 1
      if i <= n then return i, ds[i] end
    end
  end
  function cls.__call(ds)
    error(name_of(ds) .. ": a dataset is not an iterator; loop with `for i, row in pairs(ds) do` "
      .. "or over batches with `for xb, yb in DataLoader(ds, {batch_size = 32}):iter() do`", 2)
  end
end

-- ---------------------------------------------------------------- TensorDataset

local TensorDataset = {}

-- ds[i] is the list of the i-th rows of the tensors (a number for a 1-D tensor)
function TensorDataset.__index(ds, i)
  if type(i) ~= "number" then return TensorDataset[i] end
  local n = rawget(ds, "n")
  if math.type(i) ~= "integer" or i < 1 or i > n then
    error(string.format("TensorDataset: index %s out of range 1..%d%s", tostring(i), n,
      M._loop_hint(i, n)), 2)
  end
  local row = {}
  for k, t in ipairs(rawget(ds, "tensors")) do row[k] = t[i] end
  return row
end

function TensorDataset.__len(ds) return rawget(ds, "n") end

M._dataset_loops(TensorDataset, function() return "TensorDataset" end)

function TensorDataset.__tostring(ds)
  return string.format("TensorDataset(%d rows, %d tensors)", ds.n, #ds.tensors)
end

-- the rows at the 1-based indices of idx (a tensor), one tensor per field
function TensorDataset:batch(idx)
  local out = {}
  for k, t in ipairs(self.tensors) do out[k] = t:index_select(1, idx) end
  return table.unpack(out, 1, #self.tensors)
end

function M.TensorDataset(...)
  local ts = table.pack(...)
  if ts.n == 0 then fail("TensorDataset: expected at least one tensor") end
  local n
  for k = 1, ts.n do
    local t = checktensor("TensorDataset", "argument " .. k, ts[k])
    local rows = t:size(1)
    if n and rows ~= n then
      fail("TensorDataset: tensor %d has %d rows, tensor 1 has %d", k, rows, n)
    end
    n = rows
  end
  ts.n = nil
  return setmetatable({ tensors = ts, n = n }, TensorDataset)
end

-- ---------------------------------------------------------------- DataLoader

local DataLoader = {}

-- loader[i], calling the loader and pairs(loader) say how to loop (ipairs(loader) would
-- otherwise run zero times without a word, pairs(loader) would list the loader's fields)
local HOW = "loop with `for xb, yb in loader:iter() do` (or `for i, xb, yb in dlt.progress(loader) do`)"
function DataLoader.__index(self, k)
  local v = DataLoader[k]
  if v ~= nil or type(k) == "string" then return v end
  error("DataLoader: loader[" .. tostring(k) .. "] is not a batch; " .. HOW, 2)
end
function DataLoader.__call()
  error("DataLoader: a loader is not an iterator; " .. HOW, 2)
end
function DataLoader.__pairs()
  -- level 3: the script that called pairs (level 2 is pairs itself)
  error("DataLoader: pairs(loader) would list the loader's fields, not batches; " .. HOW, 3)
end

-- rows per epoch: the sampler's share when there is one
local function epoch_rows(self)
  if self.sampler then return #self.sampler end
  return #self.dataset
end

-- batches per epoch
function DataLoader.__len(self)
  local n, bs = epoch_rows(self), self.batch_size
  if self.drop_last then return n // bs end
  return n // bs + (n % bs > 0 and 1 or 0)  -- (n + bs - 1) // bs overflows for a huge bs
end

function DataLoader.__tostring(self)
  return string.format("DataLoader(%d rows, batch_size=%d, shuffle=%s, drop_last=%s)",
    #self.dataset, self.batch_size, tostring(self.shuffle), tostring(self.drop_last))
end

-- any dataset with ds[i] (a list of fields) and #ds: rows stacked field by field
local function collate(ds, idx)
  local rows = {}
  for j = 1, idx:numel() do rows[j] = ds[math.tointeger(idx[j])] end
  local out = {}
  for k = 1, #rows[1] do
    local col = {}
    for j = 1, #rows do col[j] = rows[j][k] end
    out[k] = dlt.is_tensor(col[1]) and dlt.stack(col, 1) or dlt.tensor(col)
  end
  return table.unpack(out, 1, #rows[1])
end

-- for xb, yb in loader:iter() do ... end: one epoch; a fresh order when shuffling
function DataLoader:iter()
  local n, bs, nb = epoch_rows(self), self.batch_size, #self
  local order
  if self.shuffle then order = dlt.randperm(n, F64) end
  if self.sampler then order = self.sampler:indices() end
  local ds, b = self.dataset, 0
  -- a TensorDataset's batch is TensorDataset:batch(idx), taken in one call, and so is the
  -- batch of a data set whose metatable has __getitems(ds, idx) (PyTorch's __getitems__)
  local tensors = getmetatable(ds) == TensorDataset and ds.tensors or nil
  local mt = getmetatable(ds)
  local getitems = type(mt) == "table" and rawget(mt, "__getitems") or nil
  return function()
    b = b + 1
    if b > nb then return nil end
    local start = (b - 1) * bs + 1
    local len = n - start + 1
    if len > bs then len = bs end
    if tensors then return take_rows(tensors, order, start, len) end
    local idx = order and order:narrow(1, start, len) or dlt.arange(start, start + len, 1, F64)
    if getitems then return getitems(ds, idx) end
    return collate(ds, idx)
  end
end

-- for Subset's batches (datasets.lua): one way to stack rows
M._collate = collate

function M.DataLoader(dataset, opts)
  opts = checkopts("DataLoader", opts, { batch_size = true, shuffle = true, drop_last = true, sampler = true })
  if type(dataset) ~= "table" or not pcall(function() return #dataset end) then
    fail("DataLoader: expected a dataset (a table with #ds and ds[i]), got %s", type(dataset))
  end
  local bs = checkint("DataLoader", "batch_size", opts.batch_size or 1, 1)
  local shuffle = checkbool("DataLoader", "shuffle", opts.shuffle, false)
  local sampler = opts.sampler
  if sampler ~= nil then
    if type(sampler) ~= "table" or type(sampler.indices) ~= "function" then
      fail("DataLoader: sampler must have an indices() method (e.g. a DistributedSampler), got %s", type(sampler))
    end
    if shuffle then fail("DataLoader: sampler option is mutually exclusive with shuffle") end
  end
  return setmetatable({
    dataset = dataset,
    batch_size = bs,
    shuffle = shuffle,
    drop_last = checkbool("DataLoader", "drop_last", opts.drop_last, false),
    sampler = sampler,
  }, DataLoader)
end

-- ---------------------------------------------------------------- DistributedSampler

-- A permutation of 1..n drawn from seed alone (splitmix64 driving Fisher-Yates), so every
-- rank draws the same one without touching dlt's global generator.
local function seeded_perm(n, seed)
  local state = seed
  local function next_u64()
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    return z ~ (z >> 31)
  end
  local p = {}
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    local j = 1 + (next_u64() >> 1) % i
    p[i], p[j] = p[j], p[i]
  end
  return p
end

local DistributedSampler = {}
DistributedSampler.__index = DistributedSampler

-- rows this rank takes per epoch
function DistributedSampler.__len(self) return self.num_samples end

function DistributedSampler.__tostring(self)
  return string.format("DistributedSampler(%d rows, rank %d of %d, %d each, shuffle=%s, drop_last=%s)",
    self.n, self.rank, self.num_replicas, self.num_samples, tostring(self.shuffle), tostring(self.drop_last))
end

-- the epoch seeds the shuffle: call it before each epoch, on every rank, with the same number
function DistributedSampler:set_epoch(epoch)
  if math.type(epoch) ~= "integer" then
    error(string.format("DistributedSampler.set_epoch: epoch must be an integer, got %s", tostring(epoch)), 2)
  end
  self.epoch = epoch
end

-- this rank's row numbers for the epoch, as PyTorch's DistributedSampler: the (shuffled)
-- order padded by repeating its start up to a multiple of the ranks (or cut down to one,
-- drop_last), then every num_replicas-th row from position rank
function DistributedSampler:indices()
  local n, R = self.n, self.num_replicas
  local order
  if self.shuffle then
    order = seeded_perm(n, self.seed + self.epoch)
  else
    order = {}
    for i = 1, n do order[i] = i end
  end
  local total = self.num_samples * R
  local k = #order
  while #order < total do  -- padding: the order again from its start, as often as needed
    order[#order + 1] = order[(#order - k) % k + 1]
  end
  local mine = {}
  for i = self.rank, total, R do mine[#mine + 1] = order[i] end
  return dlt.tensor(mine, F64)
end

-- DistributedSampler(dataset, {num_replicas, rank, shuffle = true, seed = 0,
-- drop_last = false}): num_replicas and rank default to the process group's
function M.DistributedSampler(dataset, opts)
  opts = checkopts("DistributedSampler", opts,
    { num_replicas = true, rank = true, shuffle = true, seed = true, drop_last = true })
  if type(dataset) ~= "table" or not pcall(function() return #dataset end) then
    fail("DistributedSampler: expected a dataset (a table with #ds), got %s", type(dataset))
  end
  local dist = dlt.distributed
  local R = opts.num_replicas
  if R == nil then R = dist.get_world_size() end
  R = checkint("DistributedSampler", "num_replicas", R, 1)
  local rank = opts.rank
  if rank == nil then rank = dist.get_rank() end
  rank = checkint("DistributedSampler", "rank", rank, 1)
  if rank > R then fail("DistributedSampler: rank %d is not in 1..%d", rank, R) end
  local n = #dataset
  local drop_last = checkbool("DistributedSampler", "drop_last", opts.drop_last, false)
  local num_samples
  if drop_last and n % R ~= 0 then
    num_samples = math.ceil((n - R) / R)
  else
    num_samples = math.ceil(n / R)
  end
  if n == 0 then fail("DistributedSampler: the dataset is empty") end
  return setmetatable({
    n = n, num_replicas = R, rank = rank, num_samples = math.tointeger(num_samples),
    shuffle = checkbool("DistributedSampler", "shuffle", opts.shuffle, true),
    seed = checkint("DistributedSampler", "seed", opts.seed or 0, -math.maxinteger),
    drop_last = drop_last, epoch = 0,
  }, DistributedSampler)
end

-- ---------------------------------------------------------------- toy data sets

-- shuffles the rows of X and y with one permutation
local function shuffle_rows(X, y)
  local p = dlt.randperm(X:size(1), F64)
  return X:index_select(1, p), y:index_select(1, p)
end

-- two interleaving half circles, as the notebook's make_moons_data builds them: angles
-- from linspace(0, pi), the outer moon (cos t, sin t) labelled 0, the inner one
-- (1 - cos t, 0.5 - sin t) labelled 1; Gaussian noise of std `noise`, then a shuffle.
-- X is float32 (n, 2), y float32 (n).
function M.make_moons(n, opts)
  opts = checkopts("make_moons", opts, { noise = true, shuffle = true })
  n = checkint("make_moons", "n", n, 2)
  local noise = checknumber("make_moons", "noise", opts.noise, 0)
  if noise < 0 then fail("make_moons: noise must be >= 0, got %s", tostring(noise)) end
  local n_out = n // 2
  local n_in = n - n_out
  local t_out, t_in = dlt.linspace(0, math.pi, n_out, F64), dlt.linspace(0, math.pi, n_in, F64)
  local outer = dlt.stack({ t_out:cos(), t_out:sin() }, 2)
  local inner = dlt.stack({ 1 - t_in:cos(), 0.5 - t_in:sin() }, 2)
  local X = dlt.cat({ outer, inner }, 1)
  if noise > 0 then X = X + dlt.randn(n, 2, F64) * noise end
  local y = dlt.cat({ dlt.zeros(n_out, F64), dlt.ones(n_in, F64) }, 1)
  if checkbool("make_moons", "shuffle", opts.shuffle, true) then X, y = shuffle_rows(X, y) end
  return X:float(), y:float()
end

-- a large circle (label 0) around a smaller one of radius `factor` (label 1), angles
-- evenly spaced without the endpoint, as sklearn.datasets.make_circles.
function M.make_circles(n, opts)
  opts = checkopts("make_circles", opts, { noise = true, factor = true, shuffle = true })
  n = checkint("make_circles", "n", n, 2)
  local noise = checknumber("make_circles", "noise", opts.noise, 0)
  local factor = checknumber("make_circles", "factor", opts.factor, 0.8)
  if noise < 0 then fail("make_circles: noise must be >= 0, got %s", tostring(noise)) end
  if factor < 0 or factor >= 1 then fail("make_circles: factor must be in [0, 1), got %s", tostring(factor)) end
  local n_out = n // 2
  local n_in = n - n_out
  local function ring(m, r)
    local t = dlt.linspace(0, 2 * math.pi, m + 1, F64):narrow(1, 1, m)
    return dlt.stack({ t:cos() * r, t:sin() * r }, 2)
  end
  local X = dlt.cat({ ring(n_out, 1), ring(n_in, factor) }, 1)
  if noise > 0 then X = X + dlt.randn(n, 2, F64) * noise end
  local y = dlt.cat({ dlt.zeros(n_out, F64), dlt.ones(n_in, F64) }, 1)
  if checkbool("make_circles", "shuffle", opts.shuffle, true) then X, y = shuffle_rows(X, y) end
  return X:float(), y:float()
end

-- isotropic Gaussian blobs, as sklearn.datasets.make_blobs: `centers` is a count (drawn
-- uniformly in center_box) or a list/tensor of centres; n // k rows per centre, the
-- first n % k centres one more. Labels are the class numbers 1..k (what
-- CrossEntropyLoss takes), as float32 like X.
function M.make_blobs(n, opts)
  opts = checkopts("make_blobs", opts,
    { centers = true, n_features = true, cluster_std = true, center_box = true, shuffle = true })
  n = checkint("make_blobs", "n", n, 1)
  local C
  local centers = opts.centers or 3
  if type(centers) == "number" then
    local k = checkint("make_blobs", "centers", centers, 1)
    local nf = checkint("make_blobs", "n_features", opts.n_features or 2, 1)
    local box = opts.center_box or { -10, 10 }
    if type(box) ~= "table" or type(box[1]) ~= "number" or type(box[2]) ~= "number" or box[1] > box[2] then
      fail("make_blobs: center_box must be {lo, hi} with lo <= hi")
    end
    C = dlt.rand(k, nf, F64) * (box[2] - box[1]) + box[1]
  else
    if opts.center_box ~= nil then fail("make_blobs: center_box applies only when centers is a count") end
    local ok, t = pcall(dlt.tensor, centers, F64)
    if not ok or t:dim() ~= 2 then fail("make_blobs: centers must be a count or a (k, n_features) list of centres") end
    if opts.n_features ~= nil and opts.n_features ~= t:size(2) then
      fail("make_blobs: n_features %s does not match the %d columns of centers", tostring(opts.n_features), t:size(2))
    end
    C = t
  end
  local k, nf = C:size(1), C:size(2)
  local std = opts.cluster_std or 1.0
  if type(std) == "number" then
    local s = {}
    for i = 1, k do s[i] = std end
    std = s
  end
  if type(std) ~= "table" or #std ~= k then fail("make_blobs: cluster_std must be a number or a list of %d numbers", k) end
  local Xs, ys = {}, {}
  for c = 1, k do
    local m = n // k + (c <= n % k and 1 or 0)
    local s = std[c]
    if type(s) ~= "number" or s < 0 then fail("make_blobs: cluster_std %d must be a number >= 0, got %s", c, tostring(s)) end
    Xs[#Xs + 1] = dlt.randn(m, nf, F64) * s + C:narrow(1, c, 1)
    ys[#ys + 1] = dlt.full({ m }, c, F64)
  end
  local X, y = dlt.cat(Xs, 1), dlt.cat(ys, 1)
  if checkbool("make_blobs", "shuffle", opts.shuffle, true) then X, y = shuffle_rows(X, y) end
  return X:float(), y:float()
end

-- ---------------------------------------------------------------- splitting and files

-- X_train, X_test, y_train, y_test as sklearn: test_size a fraction in (0, 1) (the test
-- part rounded up) or a row count; shuffled by one permutation whose first rows test.
function M.train_test_split(X, y, opts)
  opts = checkopts("train_test_split", opts, { test_size = true, shuffle = true })
  checktensor("train_test_split", "X", X)
  local n = X:size(1)
  if y ~= nil then
    checktensor("train_test_split", "y", y)
    if y:size(1) ~= n then fail("train_test_split: X has %d rows, y has %d", n, y:size(1)) end
  end
  local ts = opts.test_size or 0.2
  local n_test
  if math.type(ts) == "integer" then
    n_test = ts
  elseif type(ts) == "number" and ts > 0 and ts < 1 then
    n_test = math.ceil(ts * n)
  else
    fail("train_test_split: test_size must be a fraction in (0, 1) or a row count, got %s", tostring(ts))
  end
  if n_test < 1 or n_test >= n then
    fail("train_test_split: test_size %s leaves %d test and %d train rows of %d; both need at least 1",
      tostring(ts), n_test, n - n_test, n)
  end
  local train_idx, test_idx
  if checkbool("train_test_split", "shuffle", opts.shuffle, true) then
    local p = dlt.randperm(n, F64)
    test_idx, train_idx = p:narrow(1, 1, n_test), p:narrow(1, n_test + 1, n - n_test)
  else
    train_idx = dlt.arange(1, n - n_test + 1, 1, F64)
    test_idx = dlt.arange(n - n_test + 1, n + 1, 1, F64)
  end
  local Xtr, Xte = X:index_select(1, train_idx), X:index_select(1, test_idx)
  if y == nil then return Xtr, Xte end
  return Xtr, Xte, y:index_select(1, train_idx), y:index_select(1, test_idx)
end

-- a CSV of numbers as a (rows, cols) tensor, plus the column names when the first row is
-- a header (header=nil detects one: a first row with any non-number cell)
function M.load_csv(path, opts)
  opts = checkopts("load_csv", opts, { header = true, dtype = true })
  if type(path) ~= "string" then fail("load_csv: expected a path (string), got %s", type(path)) end
  if opts.header ~= nil and type(opts.header) ~= "boolean" then
    fail("load_csv: option 'header' must be a boolean, got %s", type(opts.header))
  end
  -- the parser's errors name the file and line; raised again at the caller's line, not
  -- at this one (the position a C function's error gets)
  local ok, X, names = pcall(dlt._load_csv, path, opts.header, opts.dtype)
  if not ok then error((tostring(X):gsub("^%[dlt%]/data%.lua:%d+: ", "")), 2) end
  return X, names
end

return M
