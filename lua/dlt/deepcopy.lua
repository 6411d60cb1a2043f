-- deepcopy.lua: dlt.deepcopy(x), Python's copy.deepcopy for what a training script
-- copies: a state_dict, a model (C or Lua modules), tables of tensors and numbers.
-- Tensors become detached copies of their elements (a leaf that required grad still
-- does); tables keep their metatables (a Lua module stays an instance of its class);
-- a value reached twice (a shared parameter, a cycle) is copied once.
local dlt = require "dlt"

local is_c = dlt.nn._is_c_module

local copy

local function copy_tensor(t)
  local c = t:detach():clone()
  if t.requires_grad and t.is_leaf then c.requires_grad = true end
  return c
end

local function copy_c_module(m, memo, depth)
  local c = m:_clone()
  memo[m] = c
  for _, kid in ipairs(m:_kids()) do c:append(copy(kid, memo, depth + 1)) end
  return c
end

copy = function(x, memo, depth)
  local tx = type(x)
  if tx ~= "table" and tx ~= "userdata" then return x end
  if memo[x] ~= nil then return memo[x] end
  if depth > 200 then error("deepcopy: values nested more than 200 deep", 0) end
  if dlt.is_tensor(x) then
    local c = copy_tensor(x)
    memo[x] = c
    return c
  end
  if is_c(x) then return copy_c_module(x, memo, depth) end
  if tx == "userdata" then
    error("deepcopy: cannot copy a " .. (dlt.type_name and dlt.type_name(x) or "userdata") ..
      " (tensors, modules and tables of them can be copied)", 0)
  end
  local c = {}
  memo[x] = c
  for k, v in next, x do rawset(c, copy(k, memo, depth + 1), copy(v, memo, depth + 1)) end
  return setmetatable(c, getmetatable(x))
end

-- dlt.deepcopy(x): a copy of x sharing nothing mutable with it
return function(x)
  local ok, res = pcall(copy, x, {}, 0)
  if not ok then error(res, 2) end
  return res
end
