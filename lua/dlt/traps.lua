-- traps.lua: the places where Lua differs from Python in a way that bites a PyTorch
-- user, each made to work or to say what to write instead: a tensor as a condition
-- (Tensor:is_true), a < b on tensors, and printing a state_dict (keys with shapes, not table: 0x...).
local dlt = require "dlt"

-- every tensor is true in a Lua `if`: t:is_true() is the boolean of a one-element tensor
function dlt.Tensor:is_true()
  local n = self:numel()
  if n ~= 1 then
    error(string.format("is_true: the tensor has %d elements; reduce it to one first "
      .. "(t:any():is_true(), t:all():is_true())", n), 2)
  end
  local v = self:item()
  return v == true or (type(v) == "number" and v ~= 0)
end

-- a < b, a > b on tensors: Lua turns what __lt returns into one boolean, so an elementwise
-- comparison cannot be an operator; say which methods are (instead of "attempt to compare")
local function compare_error()
  error("tensors: <, <=, >, >= give one Lua boolean, not a tensor; compare elementwise with "
    .. "a:lt(b), a:le(b), a:gt(b), a:ge(b) (bool tensors), and test one in an if with "
    .. "a:gt(b):all():item()", 2)
end
-- the metatable itself: getmetatable(t) returns a copy (src/lua/tensor.c, __metatable)
local tensor_mt = debug.getmetatable(dlt.zeros(1))
tensor_mt.__lt = compare_error
tensor_mt.__le = compare_error

-- a state_dict prints its keys with shapes, as PyTorch's OrderedDict of tensors reads
-- in a notebook; keys in natural order (1.weight before 2.weight before 10.weight)
local function natural_less(a, b)
  local function parts(s)
    local out = {}
    for p in s:gmatch("[^.]+") do out[#out + 1] = tonumber(p) or p end
    return out
  end
  local pa, pb = parts(a), parts(b)
  for i = 1, math.min(#pa, #pb) do
    local x, y = pa[i], pb[i]
    if x ~= y then
      if type(x) == type(y) then return x < y end
      return type(x) == "number"
    end
  end
  return #pa < #pb
end

local StateDict = {}
StateDict.__name = "state_dict"
function StateDict.__tostring(sd)
  local keys = {}
  for k in pairs(sd) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys, natural_less)
  local lines = {}
  for _, k in ipairs(keys) do
    local v = sd[k]
    local what = dlt.is_tensor(v) and (tostring(v.shape) .. " " .. v.dtype) or tostring(v)
    lines[#lines + 1] = "  " .. k .. ": " .. what
  end
  if #lines == 0 then return "state_dict({})" end
  return "state_dict({\n" .. table.concat(lines, "\n") .. "\n})"
end

local nn = dlt.nn
local state_dict = nn.Module.state_dict
local function printable_state_dict(self, ...)
  local sd = state_dict(self, ...)
  if type(sd) == "table" and getmetatable(sd) == nil then setmetatable(sd, StateDict) end
  return sd
end
nn.Module.state_dict = printable_state_dict
nn._cmethods.state_dict = printable_state_dict

return {}
