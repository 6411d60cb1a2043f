-- datasets.lua: image data sets and their transforms, as torchvision has them:
-- dlt.data.read_idx, dlt.data.FashionMNIST and dlt.data.MNIST (from IDX files), and
-- dlt.data.transforms (Compose, Normalize, RandomCrop, RandomHorizontalFlip).
local dlt = require "dlt"
-- errors are raised at the user's line, past dlt's own frames
local check = require "dlt.argcheck"
local raise, fail, checkopts = check.raise, check.fail, check.opts

local M = {}
local F64 = { dtype = "float64" }

-- ---------------------------------------------------------------- IDX files

-- read_idx(path[, {dtype = ...}]): an IDX file (plain or .gz) as a tensor of its shape;
-- float data read as float32, the integer types and double as float64 unless dtype says
function M.read_idx(path, opts)
  opts = checkopts("read_idx", opts, { dtype = true })
  if type(path) ~= "string" then fail("read_idx: expected a path (string), got %s", type(path)) end
  local ok, t = pcall(dlt._read_idx, path, opts.dtype)
  if not ok then raise(tostring(t)) end
  return t
end

-- ---------------------------------------------------------------- transforms

local T = {}
M.transforms = T

local function callable(name, fn, repr)
  return setmetatable({ name = name }, {
    __call = function(_, x) return fn(x) end,
    __tostring = function() return repr end,
  })
end

local function checkimage(fn, x)
  if not dlt.is_tensor(x) or x:dim() < 2 then
    fail("%s: expected an image tensor (C, H, W) or (H, W), got %s", fn,
      dlt.is_tensor(x) and ("a " .. x:dim() .. "-D tensor") or type(x))
  end
end

-- Compose{t1, t2, ...}: applies each in turn
function T.Compose(list)
  if type(list) ~= "table" or #list == 0 then fail("Compose: expected a list of transforms") end
  for i, t in ipairs(list) do
    if type(t) ~= "function" and not (type(t) == "table" and getmetatable(t) and getmetatable(t).__call) then
      fail("Compose: item %d is a %s, expected a transform", i, type(t))
    end
  end
  local parts = {}
  for i, t in ipairs(list) do parts[i] = "    " .. tostring(t) end
  return callable("Compose", function(x)
    for _, t in ipairs(list) do x = t(x) end
    return x
  end, "Compose(\n" .. table.concat(parts, "\n") .. "\n)")
end

local function per_channel(fn, v, what)
  if type(v) == "number" then return { v } end
  if type(v) ~= "table" or #v == 0 then fail("%s: %s must be a number or a list of numbers", fn, what) end
  for i, x in ipairs(v) do
    if type(x) ~= "number" then fail("%s: %s[%d] is a %s, expected a number", fn, what, i, type(x)) end
  end
  return v
end

-- Normalize(mean, std): (x - mean[c]) / std[c] for each channel c of a (C, H, W) image
function T.Normalize(mean, std)
  mean, std = per_channel("Normalize", mean, "mean"), per_channel("Normalize", std, "std")
  if #mean ~= #std then fail("Normalize: mean has %d values, std has %d", #mean, #std) end
  for i, s in ipairs(std) do
    if s == 0 then fail("Normalize: std[%d] is 0", i) end
  end
  local function list(v)
    local s = {}
    for i, x in ipairs(v) do s[i] = tostring(x) end
    return "(" .. table.concat(s, ", ") .. (#s == 1 and ",)" or ")")
  end
  return callable("Normalize", function(x)
    checkimage("Normalize", x)
    local c = x:dim() == 2 and 1 or x:size(x:dim() - 2)
    if #mean ~= 1 and #mean ~= c then
      fail("Normalize: image has %d channels, mean and std have %d values", c, #mean)
    end
    local out = x:clone()
    for k = 1, c do
      local ch = x:dim() == 2 and out or out:select(x:dim() - 2, k)
      local m, s = mean[#mean == 1 and 1 or k], std[#std == 1 and 1 or k]
      ch:sub_(m):div_(s)
    end
    return out
  end, string.format("Normalize(mean=%s, std=%s)", list(mean), list(std)))
end

local function checksize(fn, size)
  if type(size) == "number" then size = { size, size } end
  if type(size) ~= "table" or math.type(size[1]) ~= "integer" or math.type(size[2]) ~= "integer"
    or size[1] < 1 or size[2] < 1 then
    fail("%s: size must be a positive integer or {height, width}", fn)
  end
  return size
end

-- RandomCrop(size, {padding = p}): pads each side by p zeros, then takes a size crop at
-- a random position, drawn as torchvision does (top row first, then left column)
function T.RandomCrop(size, opts)
  size = checksize("RandomCrop", size)
  opts = checkopts("RandomCrop", opts, { padding = true, fill = true })
  local pad = opts.padding or 0
  if math.type(pad) ~= "integer" or pad < 0 then
    fail("RandomCrop: padding must be an integer >= 0, got %s", tostring(pad))
  end
  local fill = opts.fill or 0
  if type(fill) ~= "number" then fail("RandomCrop: fill must be a number, got %s", type(fill)) end
  local th, tw = size[1], size[2]
  return callable("RandomCrop", function(x)
    checkimage("RandomCrop", x)
    local hd, wd = x:dim() - 1, x:dim()
    local h, w = x:size(hd) + 2 * pad, x:size(wd) + 2 * pad
    if h < th or w < tw then
      fail("RandomCrop: crop %dx%d is larger than the padded image %dx%d", th, tw, h, w)
    end
    local i = dlt.randint(0, h - th + 1, { 1 }):item()
    local j = dlt.randint(0, w - tw + 1, { 1 }):item()
    local shape = x:size()
    shape[hd], shape[wd] = th, tw
    local out = dlt.full(shape, fill, { dtype = x.dtype })
    -- rows i..i+th-1 of the padded image are rows i-pad.. of x; keep the part inside x
    local r0, r1 = math.max(i - pad, 0), math.min(i - pad + th, x:size(hd))
    local c0, c1 = math.max(j - pad, 0), math.min(j - pad + tw, x:size(wd))
    if r1 > r0 and c1 > c0 then
      local src = x:narrow(hd, r0 + 1, r1 - r0):narrow(wd, c0 + 1, c1 - c0)
      out:narrow(hd, r0 - (i - pad) + 1, r1 - r0):narrow(wd, c0 - (j - pad) + 1, c1 - c0):copy_(src)
    end
    return out
  end, string.format("RandomCrop(size=(%d, %d), padding=%d)", th, tw, pad))
end

-- RandomHorizontalFlip(p): mirrors the image left to right with probability p
function T.RandomHorizontalFlip(p)
  p = p == nil and 0.5 or p
  if type(p) ~= "number" or p < 0 or p > 1 then
    fail("RandomHorizontalFlip: p must be a probability in [0, 1], got %s", tostring(p))
  end
  local rev = {}
  return callable("RandomHorizontalFlip", function(x)
    checkimage("RandomHorizontalFlip", x)
    if dlt.rand(1, F64):item() >= p then return x end
    local w = x:size(x:dim())
    if not rev[w] then rev[w] = dlt.arange(w, 0, -1, F64) end
    return x:index_select(x:dim(), rev[w])
  end, string.format("RandomHorizontalFlip(p=%s)", tostring(p)))
end

-- ---------------------------------------------------------------- Subset, random_split

local Subset = {}

function Subset.__index(s, i)
  if type(i) ~= "number" then return nil end
  local n = rawget(s, "n")
  if math.type(i) ~= "integer" or i < 1 or i > n then
    raise(string.format("Subset: index %s out of range 1..%d%s", tostring(i), n,
      dlt.data._loop_hint(i, n)))
  end
  return rawget(s, "dataset")[math.tointeger(rawget(s, "indices")[i])]
end
dlt.data._dataset_loops(Subset, function() return "Subset" end)

function Subset.__len(s) return rawget(s, "n") end

function Subset.__tostring(s)
  return string.format("Subset(%d of %d rows)", rawget(s, "n"), #rawget(s, "dataset"))
end

-- a batch of the parent's rows in one call where the parent can (its __getitems, or a
-- TensorDataset's batch), else its rows stacked field by field
function Subset.__getitems(s, idx)
  local ds = rawget(s, "dataset")
  local pidx = rawget(s, "indices"):index_select(1, idx)
  local mt = getmetatable(ds)
  local gi = type(mt) == "table" and rawget(mt, "__getitems")
  if gi then return gi(ds, pidx) end
  if type(ds.batch) == "function" then return ds:batch(pidx) end
  return require("dlt.data")._collate(ds, pidx)
end

local function checkdataset(fn, ds)
  if type(ds) ~= "table" or not pcall(function() return #ds end) then
    fail("%s: expected a data set (a table with #ds and ds[i]), got %s", fn, type(ds))
  end
end

-- Subset(dataset, indices): the rows of dataset at indices (1-based; a list or a tensor)
function M.Subset(dataset, indices)
  checkdataset("Subset", dataset)
  local idx = dlt.is_tensor(indices) and indices:double():flatten() or nil
  if not idx then
    if type(indices) ~= "table" then fail("Subset: indices must be a list or a tensor, got %s", type(indices)) end
    idx = dlt.tensor(#indices > 0 and indices or { 0 }, F64):narrow(1, 1, #indices)
  end
  local n = #dataset
  for j = 1, idx:numel() do
    local v = idx[j]
    if v ~= math.floor(v) or v < 1 or v > n then
      fail("Subset: index %s at position %d is out of range 1..%d", tostring(v), j, n)
    end
  end
  return setmetatable({ dataset = dataset, indices = idx, n = idx:numel() }, Subset)
end

-- random_split(dataset, lengths): non-overlapping Subsets of the given lengths (counts
-- adding up to #dataset, or fractions adding up to 1, as PyTorch 1.13), from one randperm
function M.random_split(dataset, lengths)
  checkdataset("random_split", dataset)
  if type(lengths) ~= "table" or #lengths == 0 then fail("random_split: lengths must be a list of numbers") end
  local n, total, counts = #dataset, 0, {}
  for i, l in ipairs(lengths) do
    if type(l) ~= "number" or l < 0 then fail("random_split: lengths[%d] must be a number >= 0, got %s", i, tostring(l)) end
    total = total + l
  end
  if math.abs(total - 1) < 1e-9 and total ~= n then
    -- fractions: floor each, then hand the remainder out one by one, round-robin
    local used = 0
    for i, f in ipairs(lengths) do
      counts[i] = math.floor(n * f)
      used = used + counts[i]
    end
    for i = 0, n - used - 1 do
      local k = i % #counts + 1
      counts[k] = counts[k] + 1
    end
  else
    if total ~= n then
      fail("random_split: lengths add up to %s, the data set has %d rows", tostring(total), n)
    end
    for i, l in ipairs(lengths) do
      if l ~= math.floor(l) then fail("random_split: lengths[%d] must be a whole number, got %s", i, tostring(l)) end
      counts[i] = math.tointeger(l)
    end
  end
  local perm, out, start = dlt.randperm(n, F64), {}, 1
  for i, c in ipairs(counts) do
    out[i] = setmetatable({ dataset = dataset, indices = perm:narrow(1, start, math.max(c, 0)), n = c }, Subset)
    start = start + c
  end
  return table.unpack(out, 1, #counts)
end

-- ---------------------------------------------------------------- IDX image data sets

local ImageSet = {}

local methods = {}

-- ds.images holds the pixels at one byte each; ds.data is them all as floats, made on
-- first use (188 MB for Fashion-MNIST's training split as float32)
local function image_rows(ds, idx)
  local x = rawget(ds, "images"):rows(idx, rawget(ds, "mean"), rawget(ds, "std"), rawget(ds, "dtype"))
  return x:view(x:size(1), 1, x:size(2), x:size(3))
end

function ImageSet.__index(ds, i)
  if i == "data" then
    local d = image_rows(ds, nil)
    rawset(ds, "data", d)
    return d
  end
  if type(i) ~= "number" then return methods[i] end
  local n = rawget(ds, "n")
  if math.type(i) ~= "integer" or i < 1 or i > n then
    raise(string.format("%s: index %s out of range 1..%d%s", rawget(ds, "name"), tostring(i), n,
      dlt.data._loop_hint(i, n)))
  end
  local x, y = image_rows(ds, dlt.tensor({ i }, F64))[1], rawget(ds, "targets")[i]
  local tf, ttf = rawget(ds, "transform"), rawget(ds, "target_transform")
  if tf then x = tf(x) end
  if ttf then y = ttf(y) end
  return { x, y }
end

function ImageSet.__len(ds) return rawget(ds, "n") end
dlt.data._dataset_loops(ImageSet, function(ds) return rawget(ds, "name") end)

function ImageSet.__tostring(ds)
  local lines = {
    "Dataset " .. ds.name,
    "    Number of datapoints: " .. ds.n,
    "    Root location: " .. ds.root,
    "    Split: " .. (ds.train and "Train" or "Test"),
  }
  if ds.transform then lines[#lines + 1] = "    Transform: " .. tostring(ds.transform) end
  return table.concat(lines, "\n")
end

-- the rows at the 1-based indices of idx as (images, labels): the DataLoader takes a
-- batch in one call; each image still goes through the transform on its own
function ImageSet.__getitems(ds, idx)
  local x, y = image_rows(ds, idx), ds.targets:index_select(1, idx)
  local tf = ds.transform
  if tf then
    for j = 1, x:size(1) do
      local xj = x:select(1, j)
      xj:copy_(tf(xj))
    end
  end
  if ds.target_transform then
    local ys = {}
    for j = 1, y:numel() do ys[j] = ds.target_transform(y[j]) end
    y = dlt.tensor(ys, { dtype = y.dtype })
  end
  return x, y
end

-- the file name of split (train or t10k) and kind (images or labels) in root, plain or .gz
local function find(name, root, split, kind)
  local stem = string.format("%s/%s-%s-idx%d-ubyte", root, split, kind, kind == "images" and 3 or 1)
  for _, p in ipairs({ stem .. ".gz", stem }) do
    local f = io.open(p, "rb")
    if f then f:close() return p end
  end
  return nil, stem
end

local FASHION = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
  "Sneaker", "Bag", "Ankle boot" }
local DIGITS = { "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
  "6 - six", "7 - seven", "8 - eight", "9 - nine" }

local function image_set(name, default_root, classes, install)
  return function(opts)
    opts = checkopts(name, opts, { root = true, train = true, transform = true,
      target_transform = true, mean = true, std = true, dtype = true })
    local root = opts.root or default_root
    if type(root) ~= "string" then
      fail("%s: root must be a folder (string), got %s", name, type(root))
    end
    local train = opts.train
    if train == nil then train = true end
    if type(train) ~= "boolean" then fail("%s: train must be a boolean, got %s", name, type(train)) end
    local split = train and "train" or "t10k"
    local ipath, istem = find(name, root, split, "images")
    local lpath, lstem = find(name, root, split, "labels")
    if not ipath or not lpath then
      fail("%s: no %s(.gz) in '%s'. %s", name, ipath and lstem or istem, root, install)
    end
    local dtype = opts.dtype or dlt.get_default_dtype()
    local ok, images = pcall(dlt._read_idx_bytes, ipath)
    if not ok then raise(tostring(images)) end
    local targets = M.read_idx(lpath)
    local shape = images:shape()
    if #shape ~= 3 or targets:dim() ~= 1 or shape[1] ~= targets:size(1) then
      fail("%s: '%s' and '%s' do not hold N images and N labels", name, ipath, lpath)
    end
    local mean, std = opts.mean or 0, opts.std or 1
    if type(mean) ~= "number" or type(std) ~= "number" or std == 0 then
      fail("%s: mean and std must be numbers, std not 0", name)
    end
    targets:add_(1)  -- class numbers 1..10, the labels cross_entropy takes
    for _, k in ipairs({ "transform", "target_transform" }) do
      local t = opts[k]
      if t ~= nil and type(t) ~= "function" and not (type(t) == "table" and getmetatable(t) and getmetatable(t).__call) then
        fail("%s: %s must be a function or a transform, got %s", name, k, type(t))
      end
    end
    return setmetatable({
      name = name, root = root, train = train, n = shape[1], targets = targets, images = images,
      mean = mean, std = std, dtype = dtype,
      classes = classes, transform = opts.transform, target_transform = opts.target_transform,
    }, ImageSet)
  end
end

M.FashionMNIST = image_set("FashionMNIST", "/usr/share/datasets/fashion-mnist", FASHION,
  "Install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), "
  .. "or pass root = the folder holding the four IDX files.")
M.MNIST = image_set("MNIST", "data/MNIST/raw", DIGITS,
  "Pass root = the folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
  .. "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz).")

return M
