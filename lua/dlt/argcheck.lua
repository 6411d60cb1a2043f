-- argcheck.lua: the argument checks the Lua-written API functions share (data sets,
-- loaders, transforms). Each is called at the top of an API function and raises its
-- error at the line that called that API function, the user's.
local dlt = require "dlt"

local M = {}

-- raises the formatted message at the user's line (M.raise, below), however deep in dlt
-- the check ran: a fixed level pointed at a metamethod's C frame for constructors called
-- as DataLoader(...)
function M.fail(fmt, ...)
  M.raise(string.format(fmt, ...))
end
local fail = M.fail

-- the set {[k] = true} of the names in list: an `allowed` for opts
function M.set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

-- opts must be nil or a table whose keys are all in allowed; returns a table
function M.opts(fn, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" or dlt.is_tensor(opts) then
    fail("%s: expected an options table, got %s", fn, dlt.is_tensor(opts) and "tensor" or type(opts))
  end
  for k in pairs(opts) do
    if not allowed[k] then fail("%s: unknown option '%s'", fn, tostring(k)) end
  end
  return opts
end

function M.int(fn, what, v, min)
  -- math.huge and floats past 2^63 have no integer value: refused, never counted with
  local iv = type(v) == "number" and math.tointeger(v) or nil
  -- NaN is "nan" whatever its sign bit (0/0 prints as "-nan" on x86)
  if not iv then fail("%s: %s must be an integer, got %s", fn, what, v ~= v and "nan" or tostring(v)) end
  if iv < min then fail("%s: %s must be at least %d, got %d", fn, what, min, iv) end
  return iv
end

function M.bool(fn, what, v, def)
  if v == nil then return def end
  if type(v) ~= "boolean" then fail("%s: option '%s' must be a boolean, got %s", fn, what, type(v)) end
  return v
end

function M.number(fn, what, v, def)
  if v == nil then return def end
  if type(v) ~= "number" or v ~= v then fail("%s: option '%s' must be a number, got %s", fn, what, tostring(v)) end
  return v
end

function M.tensor(fn, what, t)
  if not dlt.is_tensor(t) then fail("%s: %s must be a tensor, got %s", fn, what, type(t)) end
  if t:dim() == 0 then fail("%s: %s is a 0-D tensor; it needs a first dimension to index", fn, what) end
  return t
end

-- a layer's input x: a tensor, or an error naming the layer (name) at the user's line
function M.input(name, x)
  if not dlt.is_tensor(x) then M.raise(string.format("%s: expected a tensor input, got %s", name, type(x))) end
  return x
end

-- "source:line: " of the innermost frame that is neither dlt's own Lua code (chunks
-- named "[dlt]/...") nor a C function: the user's line that an error raised inside dlt
-- points at, as the bindings' errors do ("" when there is none)
function M.user_where()
  local level = 2
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return "" end
    if info.what ~= "C" and info.currentline > 0 and not info.source:find("^=%[dlt%]/") then
      return info.short_src .. ":" .. info.currentline .. ": "
    end
    level = level + 1
  end
end

-- raises msg at the user's line (user_where): a position inside dlt that it carries
-- (lauxlib's argument errors) is dropped, one outside dlt is kept
function M.raise(msg)
  if type(msg) == "string" then
    msg = msg:gsub("^%[dlt%][^:]*:%d+: ", "")
    -- a chunk name may hold spaces ("(command line)", a path), not a colon
    if not msg:find("^[^:]+:%d+: ") then msg = M.user_where() .. msg end
  end
  error(msg, 0)
end

return M
