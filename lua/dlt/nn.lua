-- nn.lua: the parts of dlt.nn written in Lua: nn.Module:extend for user modules, and the
-- methods every module has, C or Lua: parameters, named_parameters, state_dict,
-- load_state_dict, train/eval, zero_grad, to/float/double and PyTorch's printout.
local dlt = require "dlt"
-- errors are raised at the user's line, past dlt's own frames
local raise = require("dlt.argcheck").raise
local nn = dlt.nn

local is_c = nn._is_c_module

local function is_lua_module(v)
  return type(v) == "table" and rawget(v, "_order") ~= nil
end

local function is_module(v)
  return is_c(v) or is_lua_module(v)
end

local is_tensor = dlt.is_tensor

-- {{name, child}, ...}: named fields in assignment order, then the modules at 1, 2, ...
-- (a ModuleList's); a Sequential's children are "1", "2", ...
local function children(m)
  if is_c(m) then return m:_children() end
  local out = {}
  for _, k in ipairs(rawget(m, "_order")) do
    local v = rawget(m, k)
    if is_module(v) then out[#out + 1] = { k, v } end
  end
  for i = 1, math.huge do
    local v = rawget(m, i)
    if not is_module(v) then break end
    out[#out + 1] = { tostring(i), v }
  end
  return out
end

-- {{name, tensor, is_parameter}, ...}: a Lua module's parameters are its tensor fields
-- that require grad, or required it when assigned (a frozen parameter stays one, as in
-- PyTorch); its buffers are those registered with register_buffer
local function own_tensors(m)
  if is_c(m) then return m:_slots() end
  local out, buffers, params = {}, rawget(m, "_buffers") or {}, rawget(m, "_params") or {}
  for _, k in ipairs(rawget(m, "_order")) do
    local v = rawget(m, k)
    if v ~= nil and not is_module(v) and is_tensor(v) then
      if buffers[k] then out[#out + 1] = { k, v, false }
      elseif v.requires_grad or params[k] then out[#out + 1] = { k, v, true } end
    end
  end
  return out
end

-- a module that contains itself (m.self = m, seq:append(seq)) would recurse forever
local MAX_DEPTH = 100
local function check_depth(depth)
  if depth > MAX_DEPTH then
    raise(string.format("nn: modules nested more than %d deep: does a module contain itself?", MAX_DEPTH))
  end
end

-- calls fn(prefix, module) on m and every descendant, parents first
local function walk(m, prefix, fn, depth)
  depth = depth or 0
  check_depth(depth)
  fn(prefix, m)
  for _, c in ipairs(children(m)) do
    walk(c[2], prefix .. c[1] .. ".", fn, depth + 1)
  end
end

local function named(m, want_params, want_buffers)
  local out, seen = {}, {}
  walk(m, "", function(prefix, mod)
    for _, s in ipairs(own_tensors(mod)) do
      local t = s[2]
      if ((s[3] and want_params) or (not s[3] and want_buffers)) and not seen[t] then
        seen[t] = true
        out[#out + 1] = { prefix .. s[1], t }
      end
    end
  end)
  return out
end

local M = {}  -- the methods shared by C modules and nn.Module

function M:parameters()
  local out = {}
  for i, e in ipairs(named(self, true, false)) do out[i] = e[2] end
  return out
end

-- for name, p in m:named_parameters() do ... end
function M:named_parameters()
  local list, i = named(self, true, false), 0
  return function()
    i = i + 1
    local e = list[i]
    if e then return e[1], e[2] end
  end
end

function M:buffers()
  local out = {}
  for i, e in ipairs(named(self, false, true)) do out[i] = e[2] end
  return out
end

function M:children()
  local out = {}
  for i, c in ipairs(children(self)) do out[i] = c[2] end
  return out
end

function M:modules()
  local out = {}
  walk(self, "", function(_, mod) out[#out + 1] = mod end)
  return out
end

function M:named_modules()
  local out = {}
  walk(self, "", function(prefix, mod) out[#out + 1] = { prefix:sub(1, -2), mod } end)
  return out
end

local function apply(m, fn, depth)
  check_depth(depth)
  for _, c in ipairs(children(m)) do apply(c[2], fn, depth + 1) end
  fn(m)
end

function M:apply(fn)
  apply(self, fn, 0)
  return self
end

-- state_dict(): name -> tensor (detached, sharing the module's storage), running stats included
function M:state_dict()
  local sd = {}
  walk(self, "", function(prefix, mod)
    for _, s in ipairs(own_tensors(mod)) do sd[prefix .. s[1]] = s[2]:detach() end
  end)
  return sd
end

local function shape_str(t)
  return "{" .. table.concat(t.shape, ",") .. "}"
end

-- load_state_dict(sd, strict=true) or (sd, {strict = false}), PyTorch's keyword form:
-- checks every key first, then copies, so a failing load leaves the module as it was
function M:load_state_dict(sd, strict)
  if type(sd) ~= "table" then
    raise("load_state_dict: expected a table of tensors, got " .. type(sd))
  end
  if type(strict) == "table" then
    for k in pairs(strict) do
      if k ~= "strict" then raise("load_state_dict: unknown option '" .. tostring(k) .. "'") end
    end
    strict = rawget(strict, "strict")
  end
  if strict == nil then strict = true end
  if type(strict) ~= "boolean" then
    raise("load_state_dict: strict must be a boolean, got " .. type(strict))
  end
  local targets, missing = {}, {}
  walk(self, "", function(prefix, mod)
    for _, s in ipairs(own_tensors(mod)) do
      local key, dst = prefix .. s[1], s[2]
      local src = sd[key]
      if src == nil then
        missing[#missing + 1] = key
      elseif not is_tensor(src) then
        raise(string.format("load_state_dict: %s is a %s, expected a tensor", key, type(src)))
      elseif shape_str(src) ~= shape_str(dst) then
        raise(string.format("load_state_dict: size mismatch for %s: copying a tensor of shape %s, the model has %s",
          key, shape_str(src), shape_str(dst)))
      else
        targets[key] = { dst, src }
      end
    end
  end)
  if strict and #missing > 0 then
    raise("load_state_dict: missing key" .. (#missing > 1 and "s " or " ") .. "'" .. table.concat(missing, "', '") .. "'")
  end
  if strict then
    local unexpected = {}
    for k in pairs(sd) do
      if not targets[k] then unexpected[#unexpected + 1] = tostring(k) end
    end
    table.sort(unexpected)
    if #unexpected > 0 then
      raise("load_state_dict: unexpected key" .. (#unexpected > 1 and "s " or " ") .. "'" .. table.concat(unexpected, "', '") .. "'")
    end
  end
  for _, e in pairs(targets) do nn._copy_into(e[1], e[2]) end
  return self
end

-- the child modules of m, in children()'s order, without their names (train() runs
-- every epoch: no name strings, no pair tables)
local function kids(m)
  if is_c(m) then return m:_kids() end
  local out = {}
  for _, k in ipairs(rawget(m, "_order")) do
    local v = rawget(m, k)
    if is_module(v) then out[#out + 1] = v end
  end
  for i = 1, math.huge do
    local v = rawget(m, i)
    if not is_module(v) then break end
    out[#out + 1] = v
  end
  return out
end

local function set_training(m, mode, depth)
  check_depth(depth)
  if is_c(m) then
    if m:_set_training(mode) then return end  -- a tree of C modules, in one call
    m.training = mode
  else
    rawset(m, "training", mode)
  end
  for _, c in ipairs(kids(m)) do set_training(c, mode, depth + 1) end
end

function M:train(mode)
  if mode == nil then mode = true end
  if type(mode) ~= "boolean" then raise("train: mode must be a boolean, got " .. type(mode)) end
  set_training(self, mode, 0)
  return self
end

function M:eval()
  return self:train(false)
end

-- zero_grad(): zeroes every parameter's .grad in place (set_to_none=true drops them)
function M:zero_grad(set_to_none)
  for _, p in ipairs(self:parameters()) do
    local g = p.grad
    if g then
      if set_to_none then p.grad = nil else g:zero_() end
    end
  end
end

function M:requires_grad_(flag)
  if flag == nil then flag = true end
  for _, p in ipairs(self:parameters()) do p.requires_grad = flag end
  return self
end

local function convert(m, dtype)
  walk(m, "", function(_, mod)
    if is_c(mod) then
      mod:_to(dtype)
    else
      for _, s in ipairs(own_tensors(mod)) do nn._convert_(s[2], dtype) end
    end
  end)
  return m
end

function M:to(dtype)
  if dtype ~= "float32" and dtype ~= "float64" then
    raise("to: dtype must be 'float32' or 'float64', got " .. tostring(dtype))
  end
  return convert(self, dtype)
end
function M:float() return convert(self, "float32") end
function M:double() return convert(self, "float64") end

-- PyTorch's Module.__repr__: name(extra) or name(\n  (child): ...\n)
local function addindent(s, n)
  local pad = string.rep(" ", n)
  return (s:gsub("\n", "\n" .. pad))
end

local function repr(m, depth)
  depth = depth or 0
  check_depth(depth)
  local name = m:_get_name()
  local extra = m:extra_repr() or ""
  local lines = {}
  if extra ~= "" then
    for line in (extra .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  end
  local nextra = #lines
  local kids = children(m)
  for _, c in ipairs(kids) do
    lines[#lines + 1] = "(" .. c[1] .. "): " .. addindent(repr(c[2], depth + 1), 2)
  end
  if #lines == 0 then return name .. "()" end
  if nextra == 1 and #kids == 0 then return name .. "(" .. lines[1] .. ")" end
  return name .. "(\n  " .. table.concat(lines, "\n  ") .. "\n)"
end
M.__repr = repr

-- C modules get the shared methods and the printout
for k, v in pairs(M) do nn._cmethods[k] = v end
nn._cmeta.__tostring = repr
nn._cmethods.__repr = nil

-- ---- nn.Module: modules written in Lua ----

local Module = {}
for k, v in pairs(M) do Module[k] = v end
Module.__name = "Module"
Module.__index = Module
Module.__tostring = repr
Module.__call = function(self, ...) return self:forward(...) end
-- fields are remembered in assignment order (parameters() and the printout follow it)
Module.__newindex = function(self, k, v)
  if type(v) == "table" and not is_module(v) and is_module(v[1]) then
    raise(string.format("%s: field '%s' is a plain table of modules, whose parameters would not be found; "
      .. "use nn.ModuleList(list) or nn.Sequential(...)", getmetatable(self).__name, tostring(k)))
  end
  if type(k) == "string" and v ~= nil then
    local seen = rawget(self, "_seen")
    if not seen[k] then
      seen[k] = true
      local order = rawget(self, "_order")
      order[#order + 1] = k
    end
    -- a tensor that requires grad when assigned is a parameter until the field is
    -- assigned again, even if it is frozen in between (requires_grad_(false))
    local params = rawget(self, "_params")
    if is_tensor(v) and v.requires_grad then
      if not params then
        params = {}
        rawset(self, "_params", params)
      end
      params[k] = true
    elseif params then
      params[k] = nil
    end
  end
  rawset(self, k, v)
end

function Module:_get_name() return getmetatable(self).__name end
function Module:extra_repr() return "" end
function Module:forward()
  raise(self:_get_name() .. ": forward is not defined (define function " .. self:_get_name() .. ":forward(x))")
end

-- register_buffer(name, t): a tensor that is saved in state_dict but is not a parameter
function Module:register_buffer(name, t)
  local b = rawget(self, "_buffers")
  if not b then
    b = {}
    rawset(self, "_buffers", b)
  end
  b[name] = true
  self[name] = t
end

function Module:add_module(name, m)
  if not is_module(m) then raise("add_module: expected a module, got " .. type(m)) end
  self[name] = m
end

local function construct(cls, ...)
  local obj = setmetatable({ _order = {}, _seen = {}, training = true }, cls)
  if cls.init then cls.init(obj, ...) end
  return obj
end

-- Net = nn.Module:extend("Net"): a class; Net(...) makes an instance and calls Net:init(...)
function Module:extend(name)
  if type(name) ~= "string" then raise("Module:extend: expected a class name, got " .. type(name)) end
  local cls = {}
  for k, v in pairs(self) do
    if type(k) == "string" and k:sub(1, 2) == "__" then cls[k] = v end
  end
  cls.__name = name
  cls.__index = cls
  cls.super = self
  return setmetatable(cls, { __index = self, __call = construct, __tostring = function() return "class " .. name end })
end

nn.Module = setmetatable(Module, { __call = construct })

-- nn.ModuleList(list): holds modules at 1, 2, ... (ml[i], #ml, ipairs(ml), ml:append(m))
local ModuleList = Module:extend("ModuleList")
function ModuleList:init(list)
  if list ~= nil and (type(list) ~= "table" or is_module(list)) then
    raise("ModuleList: expected a list of modules, got " .. (is_module(list) and "a module" or type(list)))
  end
  for _, m in ipairs(list or {}) do self:append(m) end
end
function ModuleList:append(m)
  if not is_module(m) then raise("ModuleList.append: expected a module, got " .. type(m)) end
  rawset(self, #self + 1, m)
  return self
end
function ModuleList:forward()
  raise("ModuleList: it has no forward; call its modules in your own forward")
end
nn.ModuleList = ModuleList
nn.is_module = is_module

-- the class name a C module constructor makes (nn.Linear -> "Linear"), found in nn
local function constructor_name(f)
  for k, v in pairs(nn) do
    if v == f and type(k) == "string" then return k end
  end
end

-- nn.isinstance(m, cls): PyTorch's isinstance(m, cls) for modules. cls is a module
-- constructor (nn.Linear, nn.CrossEntropyLoss), a class made by nn.Module:extend (true for its subclasses'
-- instances too), nn.Module (any module), a class name ("BatchNorm1d"), or a list of
-- these (Python's tuple of classes).
function nn.isinstance(m, cls)
  if type(cls) == "table" and getmetatable(cls) == nil and cls[1] ~= nil then
    for _, c in ipairs(cls) do
      if nn.isinstance(m, c) then return true end
    end
    return false
  end
  if not is_module(m) then return false end
  if cls == Module then return true end
  if type(cls) == "function" then
    local name = constructor_name(cls)
    if not name then raise("isinstance: the function given is not a dlt.nn module constructor") end
    return m:_get_name() == name
  end
  if type(cls) == "string" then
    if m:_get_name() == cls then return true end
    if is_c(m) then return false end
    local c = getmetatable(m)
    while c and c ~= Module do
      if rawget(c, "__name") == cls then return true end
      c = rawget(c, "super")
    end
    return false
  end
  if type(cls) == "table" and rawget(cls, "__name") then
    if is_c(m) then return false end
    local c = getmetatable(m)
    while c do
      if c == cls then return true end
      c = rawget(c, "super")
    end
    return false
  end
  raise("isinstance: expected a module class, a constructor such as nn.Linear, a class name " ..
    "or a list of them, got " .. type(cls))
end
return nn
