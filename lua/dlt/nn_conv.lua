-- nn_conv.lua: the convolutional layers of dlt.nn as modules over nn.functional's C
-- convolutions and pooling (Conv1d, Conv2d, ConvTranspose2d, MaxPool1d, MaxPool2d,
-- AvgPool2d, AdaptiveAvgPool2d, Dropout2d, Flatten, Unflatten) and F.dropout2d, with
-- PyTorch's defaults, initialization and printout. Each forward is one C call (one node).
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional
local Module = nn.Module
-- every error here is raised at the user's line, past dlt's own frames
local argcheck = require "dlt.argcheck"
local raise, input, check_options, set = argcheck.raise, argcheck.input, argcheck.opts, argcheck.set

-- ---- option helpers ----

-- re-raises an error of the functional form f (pattern) caught by a layer as the layer's
-- (name), at the user's line
local function reraise(e, f, name)
  raise((tostring(e):gsub("^[^:]+:%d+: ", ""):gsub("^" .. f .. ":", name .. ":")))
end

-- a size given as a number or a list of D numbers, as a list of D integers
local function tuple(fn, what, v, D)
  local out = {}
  if type(v) == "table" then
    if #v ~= D then raise(string.format("%s: %s must have %d value%s, got %d", fn, what, D, D == 1 and "" or "s", #v)) end
    for i = 1, D do out[i] = v[i] end
  else
    if math.type(v) ~= "integer" then
      raise(string.format("%s: %s must be an integer or a list of %d integers, got %s", fn, what, D, tostring(v)))
    end
    for i = 1, D do out[i] = v end
  end
  return out
end

-- Python's repr of a tuple of ints: (3,) or (3, 0)
local function pytuple(t)
  if #t == 1 then return "(" .. t[1] .. ",)" end
  return "(" .. table.concat(t, ", ") .. ")"
end

-- a setting as PyTorch keeps it: an int stays an int, a list is a tuple
local function pyval(v)
  if type(v) == "table" then return pytuple(v) end
  return tostring(v)
end

local function pybool(b) return b and "True" or "False" end

-- Python's repr of a float: the shortest form that reads back the same, "0.5", "1.0"
local pyfloat = require("dlt.fmt").pyfloat

local function all_equal(t, v)
  for _, x in ipairs(t) do if x ~= v then return false end end
  return true
end

local function dtype_of(opts)
  return opts.dtype or dlt.get_default_dtype()
end

-- weight and bias as PyTorch's _ConvNd.reset_parameters: kaiming_uniform_(a=sqrt(5)), so
-- W uniform in +-1/sqrt(fan_in), and b uniform in +-1/sqrt(fan_in)
local function conv_params(self, wshape, out_bias, bias, dtype)
  local w = dlt.empty(wshape, { dtype = dtype })
  nn.init.kaiming_uniform_(w, { a = math.sqrt(5) })
  self.weight = nn.Parameter(w)
  if bias then
    local fan_in = 1
    for i = 2, #wshape do fan_in = fan_in * wshape[i] end
    local bound = fan_in > 0 and 1 / math.sqrt(fan_in) or 0
    self.bias = nn.Parameter(dlt.empty({ out_bias }, { dtype = dtype }):uniform_(-bound, bound))
  end
end

local function positive(fn, what, v)
  if math.type(v) ~= "integer" or v <= 0 then
    raise(string.format("%s: %s must be a positive integer, got %s", fn, what, tostring(v)))
  end
end

-- ---- convolutions ----

local CONV_OPTS = set { "stride", "padding", "dilation", "groups", "bias", "padding_mode", "dtype" }
local TCONV_OPTS = set { "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode", "dtype" }

local function conv_init(self, name, D, transposed, in_channels, out_channels, kernel_size, opts)
  opts = check_options(name, opts, transposed and TCONV_OPTS or CONV_OPTS)
  positive(name, "in_channels", in_channels)
  positive(name, "out_channels", out_channels)
  local groups = opts.groups or 1
  positive(name, "groups", groups)
  if in_channels % groups ~= 0 then raise(name .. ": in_channels must be divisible by groups") end
  if out_channels % groups ~= 0 then raise(name .. ": out_channels must be divisible by groups") end
  if (opts.padding_mode or "zeros") ~= "zeros" then
    raise(name .. ": only padding_mode='zeros' is supported, got '" .. tostring(opts.padding_mode) .. "'")
  end
  local k = tuple(name, "kernel_size", kernel_size, D)
  for _, v in ipairs(k) do positive(name, "kernel_size", v) end
  rawset(self, "_conv", {
    D = D, transposed = transposed, in_channels = in_channels, out_channels = out_channels,
    kernel_size = k, stride = tuple(name, "stride", opts.stride or 1, D),
    padding = type(opts.padding) == "string" and opts.padding or tuple(name, "padding", opts.padding or 0, D),
    dilation = tuple(name, "dilation", opts.dilation or 1, D),
    output_padding = tuple(name, "output_padding", opts.output_padding or 0, D), groups = groups,
  })
  local c = rawget(self, "_conv")
  if c.padding == "same" and not all_equal(c.stride, 1) then
    raise(name .. ": padding='same' is not supported for strided convolutions")
  end
  if type(c.padding) == "string" and c.padding ~= "same" and c.padding ~= "valid" then
    raise(name .. ": padding must be 'same', 'valid' or sizes, got '" .. c.padding .. "'")
  end
  local wshape = transposed and { in_channels, out_channels // groups } or { out_channels, in_channels // groups }
  for _, v in ipairs(k) do wshape[#wshape + 1] = v end
  local bias = opts.bias
  if bias == nil then bias = true end
  conv_params(self, wshape, out_channels, bias, dtype_of(opts))
  rawset(self, "_bufs", nn._buffers())
end

-- the options table F.conv*d takes, from the module's settings (with the module's
-- reusable input-gradient buffer)
local function conv_fopts(self, c)
  local o = { stride = c.stride, padding = c.padding, dilation = c.dilation, groups = c.groups,
    buffers = rawget(self, "_bufs") }
  if c.transposed then o.output_padding = c.output_padding end
  return o
end

local function conv_extra_repr(self)
  local c = rawget(self, "_conv")
  local s = string.format("%d, %d, kernel_size=%s, stride=%s", c.in_channels, c.out_channels, pytuple(c.kernel_size),
    pytuple(c.stride))
  if type(c.padding) == "string" then s = s .. ", padding=" .. c.padding
  elseif not all_equal(c.padding, 0) then s = s .. ", padding=" .. pytuple(c.padding) end
  if not all_equal(c.dilation, 1) then s = s .. ", dilation=" .. pytuple(c.dilation) end
  if c.transposed and not all_equal(c.output_padding, 0) then s = s .. ", output_padding=" .. pytuple(c.output_padding) end
  if c.groups ~= 1 then s = s .. ", groups=" .. c.groups end
  if rawget(self, "bias") == nil then s = s .. ", bias=False" end
  return s
end

local function conv_class(name, D, transposed, fwd)
  local cls = Module:extend(name)
  function cls:init(in_channels, out_channels, kernel_size, opts)
    conv_init(self, name, D, transposed, in_channels, out_channels, kernel_size, opts)
  end
  function cls:forward(x)
    input(name, x)
    local c = rawget(self, "_conv")
    local o = rawget(self, "_fopts")
    if not o then
      o = conv_fopts(self, c)
      rawset(self, "_fopts", o)
    end
    local w = rawget(self, "weight")
    -- a weight removed or replaced through its field is named, not "bad argument #2 to '?'"
    if not dlt.is_tensor(w) then
      error(string.format("%s: weight must be a tensor, got %s (the weight cannot be removed)", name, type(w)), 2)
    end
    return fwd(x, w, rawget(self, "bias"), o, name)
  end
  cls.extra_repr = conv_extra_repr
  -- in_channels, out_channels, kernel_size, stride, ... read as PyTorch's attributes
  cls.__index = function(self, k)
    local v = cls[k]
    if v ~= nil then return v end
    local c = rawget(self, "_conv")
    if c and c[k] ~= nil and k ~= "D" and k ~= "transposed" then return c[k] end
    return nil
  end
  return cls
end

-- the functional forms name the layer in errors when a module calls them
local function named(fn, lname)
  return function(x, w, b, o, name) return fn(x, w, b, o, name or lname) end
end

local function conv_call(f)
  return function(x, w, b, o, name)
    local ok, y = pcall(f, x, w, b, o)
    if ok then return y end
    reraise(y, "conv[%w_]*", name)
  end
end

nn.Conv1d = conv_class("Conv1d", 1, false, named(conv_call(F.conv1d)))
nn.Conv2d = conv_class("Conv2d", 2, false, named(conv_call(F.conv2d)))
nn.ConvTranspose1d = conv_class("ConvTranspose1d", 1, true, named(conv_call(F.conv_transpose1d)))
nn.ConvTranspose2d = conv_class("ConvTranspose2d", 2, true, named(conv_call(F.conv_transpose2d)))

-- ---- pooling ----

local function pool_class(name, D, kind)
  local cls = Module:extend(name)
  local allowed = kind == "max" and set { "stride", "padding", "dilation", "return_indices", "ceil_mode" }
    or set { "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override" }
  local f = kind == "max" and (D == 1 and F.max_pool1d or F.max_pool2d) or (D == 1 and F.avg_pool1d or F.avg_pool2d)
  local fname = (kind == "max" and "max_pool" or "avg_pool") .. D .. "d"
  function cls:init(kernel_size, opts)
    opts = check_options(name, opts, allowed)
    if kernel_size == nil then raise(name .. ": kernel_size is required") end
    tuple(name, "kernel_size", kernel_size, D)
    self.kernel_size = kernel_size
    self.stride = opts.stride or kernel_size
    self.padding = opts.padding or 0
    if kind == "max" then
      self.dilation = opts.dilation or 1
      self.return_indices = opts.return_indices or false
    else
      self.count_include_pad = opts.count_include_pad ~= false
      self.divisor_override = opts.divisor_override
    end
    self.ceil_mode = opts.ceil_mode or false
    rawset(self, "_bufs", nn._buffers())
  end
  function cls:forward(x)
    input(name, x)
    local o = { stride = self.stride, padding = self.padding, ceil_mode = self.ceil_mode, buffers = rawget(self, "_bufs") }
    if kind == "max" then
      o.dilation = self.dilation
      o.return_indices = self.return_indices
    else
      o.count_include_pad = self.count_include_pad
      o.divisor_override = self.divisor_override
    end
    local ok, y, i = pcall(f, x, self.kernel_size, o)
    if not ok then reraise(y, fname, name) end
    return y, i
  end
  function cls:extra_repr()
    if kind == "max" then
      return string.format("kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s", pyval(self.kernel_size),
        pyval(self.stride), pyval(self.padding), pyval(self.dilation), pybool(self.ceil_mode))
    end
    local s = string.format("kernel_size=%s, stride=%s, padding=%s", pyval(self.kernel_size), pyval(self.stride),
      pyval(self.padding))
    if self.ceil_mode then s = s .. ", ceil_mode=True" end
    if not self.count_include_pad then s = s .. ", count_include_pad=False" end
    if self.divisor_override then s = s .. ", divisor_override=" .. self.divisor_override end
    return s
  end
  return cls
end

nn.MaxPool1d = pool_class("MaxPool1d", 1, "max")
nn.MaxPool2d = pool_class("MaxPool2d", 2, "max")
nn.AvgPool1d = pool_class("AvgPool1d", 1, "avg")
nn.AvgPool2d = pool_class("AvgPool2d", 2, "avg")

local function adaptive_class(name, D, f)
  local cls = Module:extend(name)
  function cls:init(output_size)
    if output_size == nil then raise(name .. ": output_size is required") end
    self.output_size = output_size
  end
  function cls:forward(x)
    local ok, y = pcall(f, input(name, x), self.output_size)
    if not ok then reraise(y, "adaptive_avg_pool[12]d", name) end
    return y
  end
  function cls:extra_repr()
    local o = self.output_size
    if type(o) == "table" then
      local parts = {}
      for i = 1, D do parts[i] = o[i] == false and "None" or tostring(o[i]) end
      return "output_size=(" .. table.concat(parts, ", ") .. (D == 1 and ",)" or ")")
    end
    return "output_size=" .. tostring(o)
  end
  return cls
end

nn.AdaptiveAvgPool1d = adaptive_class("AdaptiveAvgPool1d", 1, F.adaptive_avg_pool1d)
nn.AdaptiveAvgPool2d = adaptive_class("AdaptiveAvgPool2d", 2, F.adaptive_avg_pool2d)

-- ---- channel dropout ----

-- dropout2d(x, p=0.5, training=true): zeroes whole channels of x (N,C,H,W) or (C,H,W),
-- each with probability p, and scales the rest by 1/(1-p)
function F.dropout2d(x, p, training)
  p = p == nil and 0.5 or p
  if training == nil then training = true end
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    raise("dropout2d: dropout probability has to be between 0 and 1, but got " .. tostring(p))
  end
  if not dlt.is_tensor(x) then raise("dropout2d: expected a tensor, got " .. type(x)) end
  if x.dtype ~= "float32" and x.dtype ~= "float64" then
    raise("dropout2d: expected a floating-point input, got " .. x.dtype .. " (convert with :float())")
  end
  local nd = x:dim()
  if nd ~= 3 and nd ~= 4 then
    raise(string.format("dropout2d: expected 3-D (unbatched) or 4-D (batched) input, got %d-D input of shape {%s}", nd,
      table.concat(x.shape, ",")))
  end
  if not training or p == 0 then return x end
  local s = x.shape
  local mshape = nd == 4 and { s[1], s[2], 1, 1 } or { s[1], 1, 1 }
  local mask = dlt.empty(mshape, { dtype = x.dtype })
  if p == 1 then mask:zero_() else mask:bernoulli_(1 - p):mul_(1 / (1 - p)) end
  return x * mask
end

local Dropout2d = Module:extend("Dropout2d")
function Dropout2d:init(p, opts)
  p = p == nil and 0.5 or p
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    raise("Dropout2d: dropout probability has to be between 0 and 1, but got " .. tostring(p))
  end
  check_options("Dropout2d", opts, set { "inplace" })
  self.p = p
  self.inplace = opts and opts.inplace or false
end
function Dropout2d:forward(x)
  local ok, y = pcall(F.dropout2d, x, self.p, self.training)
  if not ok then reraise(y, "dropout2d", "Dropout2d") end
  return y
end
function Dropout2d:extra_repr() return "p=" .. pyfloat(self.p) .. ", inplace=" .. pybool(self.inplace) end
nn.Dropout2d = Dropout2d

-- ---- reshaping ----

-- Flatten(start_dim=2, end_dim=-1): merges dims start_dim..end_dim (1-based; PyTorch's
-- default start_dim=1 counts from 0, so it is the same dim)
local Flatten = Module:extend("Flatten")
function Flatten:init(start_dim, end_dim)
  self.start_dim = start_dim or 2
  self.end_dim = end_dim or -1
end
function Flatten:forward(x) return input("Flatten", x):flatten(self.start_dim, self.end_dim) end
function Flatten:extra_repr() return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim) end
nn.Flatten = Flatten

-- Unflatten(dim, unflattened_size): splits dim (1-based) into the sizes given
local Unflatten = Module:extend("Unflatten")
function Unflatten:init(dim, sizes)
  if math.type(dim) ~= "integer" or dim == 0 then raise("Unflatten: dim must be a non-zero integer (1-based), got " .. tostring(dim)) end
  if type(sizes) ~= "table" or #sizes == 0 then raise("Unflatten: unflattened_size must be a list of sizes") end
  self.dim = dim
  self.unflattened_size = sizes
end
function Unflatten:forward(x)
  local s, nd = input("Unflatten", x).shape, x:dim()
  local d = self.dim < 0 and nd + self.dim + 1 or self.dim
  if d < 1 or d > nd then
    raise(string.format("Unflatten: dim %d out of range for a %d-D input", self.dim, nd))
  end
  local shape = {}
  for i = 1, d - 1 do shape[#shape + 1] = s[i] end
  for _, v in ipairs(self.unflattened_size) do shape[#shape + 1] = v end
  for i = d + 1, nd do shape[#shape + 1] = s[i] end
  local ok, y = pcall(x.reshape, x, shape)
  if not ok then
    raise(string.format("Unflatten: cannot split dim %d of size %d into %s (input shape {%s})", self.dim, s[d],
      pytuple(self.unflattened_size), table.concat(s, ",")))
  end
  return y
end
function Unflatten:extra_repr()
  return string.format("dim=%d, unflattened_size=%s", self.dim, pytuple(self.unflattened_size))
end
nn.Unflatten = Unflatten

return nn
