-- nn_act.lua: the activation layers beyond the C ones (ELU, SELU, CELU, Softplus, Mish,
-- Hardtanh, ReLU6, Hardswish, PReLU, LogSoftmax, Softmin) and nn.Embedding, as modules
-- over nn.functional, with F.softmin, F.prelu and F.embedding. The elementwise ones are
-- one C node each (F.elu, ...); PReLU and Embedding compose tensor ops.
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional
local Module = nn.Module
-- errors are raised at the user's line, past dlt's own frames
local argcheck = require "dlt.argcheck"
local raise, input, set = argcheck.raise, argcheck.input, argcheck.set

-- Python's repr of a number: an integer as is, a float in its shortest form ("1.0")
local pynum = require("dlt.fmt").py

-- reads a constructor's arguments: numbers by position in the order of names, or an
-- options table (last) with those names and the extra keys allowed; returns the values
local function args(cls, names, defaults, extra, ...)
  local n = select("#", ...)
  local opts = n > 0 and select(n, ...) or nil
  if type(opts) == "table" then n = n - 1 else opts = {} end
  if n > #names then
    raise(string.format("%s: expected at most %d positional argument%s, got %d", cls, #names,
      #names == 1 and "" or "s", n))
  end
  local allowed = {}
  for _, k in ipairs(names) do allowed[k] = true end
  for _, k in ipairs(extra) do allowed[k] = true end
  for k in pairs(opts) do
    if not allowed[k] then raise(string.format("%s: unknown option '%s'", cls, tostring(k))) end
  end
  local out = {}
  for i, k in ipairs(names) do
    local v = i <= n and select(i, ...) or nil
    if v ~= nil and opts[k] ~= nil then raise(string.format("%s: %s given twice", cls, k)) end
    if v == nil then v = opts[k] end
    if v == nil then v = defaults[i] end
    out[k] = v
  end
  for _, k in ipairs(extra) do out[k] = opts[k] end
  return out
end

local function number(cls, k, v)
  if type(v) ~= "number" then raise(string.format("%s: %s must be a number, got %s", cls, k, type(v))) end
end

local function inplace_str(self, sep)
  return rawget(self, "inplace") and (sep .. "inplace=True") or ""
end

-- ---- the elementwise activations: a class per PyTorch name over its F.* ----

-- spec: names and defaults of the numeric settings, the F call, and the printout
local function act_class(name, spec)
  local cls = Module:extend(name)
  function cls:init(...)
    local a = args(name, spec.names, spec.defaults, { "inplace" }, ...)
    for _, k in ipairs(spec.names) do
      number(name, k, a[k])
      self[k] = a[k]
    end
    self.inplace = a.inplace == true
    if spec.check then spec.check(self) end
  end
  function cls:forward(x) return spec.call(self, input(name, x)) end
  cls.extra_repr = spec.repr
  return cls
end

nn.ELU = act_class("ELU", {
  names = { "alpha" }, defaults = { 1.0 },
  call = function(self, x) return F.elu(x, self.alpha) end,
  repr = function(self) return "alpha=" .. pynum(self.alpha) .. inplace_str(self, ", ") end,
})

nn.SELU = act_class("SELU", {
  names = {}, defaults = {},
  call = function(_, x) return F.selu(x) end,
  repr = function(self) return inplace_str(self, "") end,
})

nn.CELU = act_class("CELU", {
  names = { "alpha" }, defaults = { 1.0 },
  check = function(self)
    if self.alpha == 0 then raise("CELU: alpha cannot be 0 (it divides the input)") end
  end,
  call = function(self, x) return F.celu(x, self.alpha) end,
  repr = function(self) return "alpha=" .. pynum(self.alpha) .. inplace_str(self, ", ") end,
})

-- PyTorch's Softplus has no inplace option
nn.Softplus = Module:extend("Softplus")
function nn.Softplus:init(...)
  local a = args("Softplus", { "beta", "threshold" }, { 1, 20 }, {}, ...)
  number("Softplus", "beta", a.beta)
  number("Softplus", "threshold", a.threshold)
  self.beta, self.threshold = a.beta, a.threshold
end
function nn.Softplus:forward(x) return F.softplus(input("Softplus", x), self.beta, self.threshold) end
function nn.Softplus:extra_repr()
  return "beta=" .. pynum(self.beta) .. ", threshold=" .. pynum(self.threshold)
end

nn.Mish = act_class("Mish", {
  names = {}, defaults = {},
  call = function(_, x) return F.mish(x) end,
  repr = function(self) return inplace_str(self, "") end,
})

nn.Hardswish = act_class("Hardswish", {
  names = {}, defaults = {},
  call = function(_, x) return F.hardswish(x) end,
  repr = function() return "" end,
})

nn.Hardtanh = act_class("Hardtanh", {
  names = { "min_val", "max_val" }, defaults = { -1.0, 1.0 },
  check = function(self)
    if not (self.max_val > self.min_val) then
      raise(string.format("Hardtanh: max_val (%s) must be greater than min_val (%s)", pynum(self.max_val),
        pynum(self.min_val)))
    end
  end,
  call = function(self, x) return F.hardtanh(x, self.min_val, self.max_val) end,
  repr = function(self)
    return "min_val=" .. pynum(self.min_val) .. ", max_val=" .. pynum(self.max_val) .. inplace_str(self, ", ")
  end,
})

nn.ReLU6 = act_class("ReLU6", {
  names = {}, defaults = {},
  call = function(_, x) return F.relu6(x) end,
  repr = function(self) return inplace_str(self, "") end,
})

-- ---- softmax relatives ----

local function check_dim(fn, dim)
  if math.type(dim) ~= "integer" then
    raise(string.format("%s: dim must be an integer (1-based, or negative from the end), got %s", fn,
      tostring(dim)))
  end
end

-- softmin(x, dim) = softmax(-x, dim)
function F.softmin(x, dim)
  check_dim("softmin", dim)
  if not dlt.is_tensor(x) then raise("softmin: expected a tensor, got " .. type(x)) end
  return F.softmax(x:neg(), dim)
end

local function softmax_class(name, f)
  local cls = Module:extend(name)
  function cls:init(dim)
    if type(dim) == "table" then dim = dim.dim end
    check_dim(name, dim)
    self.dim = dim
  end
  function cls:forward(x) return f(input(name, x), self.dim) end
  function cls:extra_repr() return "dim=" .. self.dim end
  return cls
end

nn.LogSoftmax = softmax_class("LogSoftmax", F.log_softmax)
nn.Softmin = softmax_class("Softmin", F.softmin)

-- ---- PReLU ----

-- prelu(x, weight) = max(0, x) + weight * min(0, x), weight of 1 value or one per channel
-- (dim 2 of x); written relu(x) + w * (x - relu(x)) so that its gradients at 0 are ATen's
function F.prelu(x, weight)
  if not dlt.is_tensor(x) then raise("prelu: expected a tensor input, got " .. type(x)) end
  if not dlt.is_tensor(weight) then raise("prelu: expected a tensor weight, got " .. type(weight)) end
  local n = weight:numel()
  local w = weight
  if n ~= 1 then
    local C = x:dim() >= 2 and x:size(2) or 1
    if weight:dim() ~= 1 or n ~= C then
      raise(string.format("prelu: weight has %d values; expected 1 or the %d channels of the input (dim 2)", n, C))
    end
    local shape = { 1, C }
    for _ = 3, x:dim() do shape[#shape + 1] = 1 end
    w = weight:view(table.unpack(shape))
  elseif weight:dim() > 0 then
    w = weight:view(1)
  end
  local r = x:relu()
  return r + w * (x - r)
end

nn.PReLU = Module:extend("PReLU")
function nn.PReLU:init(...)
  local a = args("PReLU", { "num_parameters", "init" }, { 1, 0.25 }, { "dtype" }, ...)
  if math.type(a.num_parameters) ~= "integer" or a.num_parameters < 1 then
    raise("PReLU: num_parameters must be a positive integer, got " .. tostring(a.num_parameters))
  end
  number("PReLU", "init", a.init)
  self.num_parameters = a.num_parameters
  self.weight = nn.Parameter(dlt.full({ a.num_parameters }, a.init, { dtype = a.dtype or dlt.get_default_dtype() }))
end
function nn.PReLU:forward(x) return F.prelu(input("PReLU", x), self.weight) end
function nn.PReLU:extra_repr() return "num_parameters=" .. self.num_parameters end

-- ---- Embedding ----

local EMB_OPTS = set { "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse" }

-- a 1-based padding_idx (negative from the end) as a row number, nil for none
local function padding_row(fn, p, rows)
  if p == nil then return nil end
  if math.type(p) ~= "integer" or p == 0 or p > rows or p < -rows then
    raise(string.format("%s: padding_idx must be a row 1..%d (or -%d..-1 from the end), got %s", fn, rows, rows,
      tostring(p)))
  end
  return p > 0 and p or rows + 1 + p
end

-- argcheck.opts, then the options PyTorch has and dlt refuses
local function check_options(fn, opts, allowed)
  opts = argcheck.opts(fn, opts, allowed)
  if opts.scale_grad_by_freq then
    raise(fn .. ": scale_grad_by_freq=true is not supported (leave it false)")
  end
  if opts.sparse then raise(fn .. ": sparse=true is not supported: dlt's gradients are dense (leave it false)") end
  return opts
end

-- PyTorch's embedding_renorm_: rows of weight picked by idx whose norm exceeds max_norm
-- are scaled to max_norm / (norm + 1e-7), in place and outside the graph
local function renorm(weight, idx, max_norm, norm_type)
  dlt.no_grad(function()
    local rows = weight:index_select(1, idx)
    local norms = rows:norm(norm_type, 2, true)
    local scale = dlt.where(norms:gt(max_norm), (norms + 1e-7):reciprocal() * max_norm, dlt.ones_like(norms))
    weight[idx] = rows * scale
  end)
end

-- embedding(input, weight[, {padding_idx, max_norm, norm_type}]): the rows of weight
-- (num_embeddings, D) picked by the int64 indices in input (1-based), shaped
-- input's shape .. {D}; row padding_idx gets no gradient
function F.embedding(input, weight, opts)
  opts = check_options("embedding", opts, EMB_OPTS)
  if not dlt.is_tensor(input) then raise("embedding: expected an int64 tensor of indices, got " .. type(input)) end
  if input.dtype ~= dlt.int64 then
    raise("embedding: indices must be an int64 tensor (x:long()), got " .. input.dtype)
  end
  if not dlt.is_tensor(weight) or weight:dim() ~= 2 then
    raise("embedding: weight must be a 2-D tensor (num_embeddings, embedding_dim)")
  end
  local rows, D = weight:size(1), weight:size(2)
  local pad = padding_row("embedding", opts.padding_idx, rows)
  local flat = input:reshape(-1)
  if flat:numel() > 0 then
    local lo, hi = flat:min():item(), flat:max():item()
    if lo < 1 or hi > rows then
      raise(string.format("embedding: index %d is out of range for %d embeddings (indices are 1-based)",
        lo < 1 and lo or hi, rows))
    end
  end
  if opts.max_norm then renorm(weight, flat, opts.max_norm, opts.norm_type or 2) end
  local out = weight:index_select(1, flat)
  if pad and out.requires_grad then
    -- the padding row's value without its gradient, as PyTorch's backward skips it
    local mask = flat:eq(pad):unsqueeze(2)
    if mask:any():item() then out = dlt.where(mask, weight:detach():index_select(1, flat), out) end
  end
  local shape = input:size()
  shape[#shape + 1] = D
  return out:view(table.unpack(shape))
end

nn.Embedding = Module:extend("Embedding")

local EMB_MODULE_OPTS = set { "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse", "_weight", "dtype" }

-- Embedding(num_embeddings, embedding_dim[, {padding_idx, max_norm, norm_type, _weight, dtype}]):
-- weight drawn from N(0, 1) with the padding row zeroed
function nn.Embedding:init(num_embeddings, embedding_dim, opts)
  opts = check_options("Embedding", opts, EMB_MODULE_OPTS)
  for k, v in pairs({ num_embeddings = num_embeddings, embedding_dim = embedding_dim }) do
    if math.type(v) ~= "integer" or v < 1 then
      raise(string.format("Embedding: %s must be a positive integer, got %s", k, tostring(v)))
    end
  end
  self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
  rawset(self, "padding_idx", padding_row("Embedding", opts.padding_idx, num_embeddings))
  rawset(self, "max_norm", opts.max_norm)
  rawset(self, "norm_type", opts.norm_type or 2)
  local w = opts._weight
  if w then
    if not dlt.is_tensor(w) or w:dim() ~= 2 or w:size(1) ~= num_embeddings or w:size(2) ~= embedding_dim then
      raise(string.format("Embedding: _weight must be a (%d, %d) tensor", num_embeddings, embedding_dim))
    end
    self.weight = nn.Parameter(w)
  else
    w = dlt.empty({ num_embeddings, embedding_dim }, { dtype = opts.dtype or dlt.get_default_dtype() }):normal_(0, 1)
    local pad = rawget(self, "padding_idx")
    if pad then w[pad]:fill_(0) end
    self.weight = nn.Parameter(w)
  end
end

function nn.Embedding:forward(ids)
  return F.embedding(input("Embedding", ids), self.weight, { padding_idx = rawget(self, "padding_idx"),
    max_norm = rawget(self, "max_norm"), norm_type = rawget(self, "norm_type") })
end

function nn.Embedding:extra_repr()
  local s = self.num_embeddings .. ", " .. self.embedding_dim
  local pad, mn, nt = rawget(self, "padding_idx"), rawget(self, "max_norm"), rawget(self, "norm_type")
  if pad then s = s .. ", padding_idx=" .. pad end
  if mn then s = s .. ", max_norm=" .. pynum(mn) end
  if nt ~= 2 then s = s .. ", norm_type=" .. pynum(nt) end
  return s
end

-- Embedding.from_pretrained(embeddings[, {freeze=true, padding_idx, max_norm, norm_type}]):
-- an Embedding whose weight shares the 2-D tensor's values, frozen unless freeze=false
function nn.Embedding.from_pretrained(embeddings, opts)
  if type(opts) ~= "nil" and type(opts) ~= "table" then
    raise("Embedding.from_pretrained: expected an options table, got " .. type(opts))
  end
  opts = opts or {}
  if not dlt.is_tensor(embeddings) or embeddings:dim() ~= 2 then
    raise("Embedding.from_pretrained: embeddings must be a 2-D tensor")
  end
  local o = {}
  for k, v in pairs(opts) do if k ~= "freeze" then o[k] = v end end
  o._weight = embeddings
  local m = nn.Embedding(embeddings:size(1), embeddings:size(2), o)
  m.weight.requires_grad = opts.freeze == false
  return m
end
