-- lazy.lua: parts of dlt loaded on their first use, so that a process pays only for the
-- modules it uses (start-up was 3x the Lua work of the build before them). A table of dlt
-- (dlt.nn, nn.functional, dlt.data, dlt.optim, ...) gets an __index that, for a name a
-- lazy part defines, runs that part's loader and returns the name; load_all() runs every
-- loader, for what lists all names (help's index, the REPL's Tab completion).
local M = {}

local pending = setmetatable({}, { __mode = "k" })  -- table -> name -> part
local parts = {}  -- the parts not loaded yet, in the order they were declared

local function load(part)
  if part.done then return end
  part.done = true
  for _, e in ipairs(part.names) do
    local names = pending[e[1]]
    if names and names[e[2]] == part then names[e[2]] = nil end
  end
  for i, p in ipairs(parts) do
    if p == part then
      table.remove(parts, i)
      break
    end
  end
  -- a name the part redefines (nn_losses' CrossEntropyLoss over the C one) is back in its
  -- table while the part loads, as the part expects to find it
  for _, e in ipairs(part.names) do
    if e[3] ~= nil then rawset(e[1], e[2], e[3]) end
  end
  part.loader()
end

local function index(t, k)
  local names = pending[t]
  local part = names and names[k]
  if part then
    load(part)
    return rawget(t, k)
  end
end

-- on(tbl, names, loader): the names of tbl are defined by loader() (a module name to
-- require, or a function), run when one of them is first read. A name tbl already holds
-- (a C function the part wraps) is taken out until then. Further {tbl, names} pairs may
-- follow loader: on(nn, {...}, loader, F, {...}) declares one part over several tables.
function M.on(tbl, names, loader, ...)
  local part = { names = {} }
  if type(loader) == "string" then
    local modname = loader
    loader = function() require(modname) end
  end
  part.loader = loader
  local function declare(t, list)
    local mt = getmetatable(t)
    if mt == nil then
      setmetatable(t, { __index = index })
    elseif mt.__index ~= index then
      error("lazy.on: the table already has an __index", 2)
    end
    pending[t] = pending[t] or {}
    for _, k in ipairs(list) do
      part.names[#part.names + 1] = { t, k, rawget(t, k) }
      rawset(t, k, nil)
      pending[t][k] = part
    end
  end
  declare(tbl, names)
  local more = { ... }
  for i = 1, #more, 2 do declare(more[i], more[i + 1]) end
  parts[#parts + 1] = part
end

-- the names of t still waiting for their part, sorted
function M.pending(t)
  local out = {}
  for k in pairs(pending[t] or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- loads every part still pending (a part may declare more as it loads)
function M.load_all()
  while parts[1] do load(parts[1]) end
end

return M
