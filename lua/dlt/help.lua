-- help.lua: help(x) and the index of dlt's documented names. The documentation pages
-- (docs/*.md) are compiled into the binary (tools/embed_lua.c), and an entry is a
-- heading of level 3 or 4 made of backticked signatures:
--   ### `dlt.zeros(...sizes[, {dtype, requires_grad}])` · `dlt.ones(...)`
-- followed by its description and example, up to the next heading. help() prints that
-- entry, so the REPL and a reader of docs/ see the same text; public_names() lists what
-- must have an entry (tests/lua/test_docs_coverage.lua fails on a name without one).
local dlt = require "dlt"

local M = {}

-- short prefixes a signature may use, as the docs' code does (local nn = dlt.nn)
local ALIASES = {
  { "nn.functional.", "dlt.nn.functional." }, { "F.", "dlt.nn.functional." },
  { "nn.init.", "dlt.nn.init." }, { "nn.", "dlt.nn." },
  { "optim.lr_scheduler.", "dlt.optim.lr_scheduler." },
  { "lr_scheduler.", "dlt.optim.lr_scheduler." }, { "optim.", "dlt.optim." },
  { "plt.", "dlt.plot." }, { "data.", "dlt.data." }, { "init.", "dlt.nn.init." },
}
local BARE = { nn = "dlt.nn", optim = "dlt.optim", plt = "dlt.plot", F = "dlt.nn.functional" }

-- the name a signature documents: "dlt.nn.Linear", "Tensor:sum", "help"
function M.key(sig)
  local name = sig:match("^[%a_][%w_%.:]*")
  if not name then return nil end
  name = name:gsub("[%.:]$", "")
  if name:match("^%u[%w_]*:") or name == "dlt" or name:sub(1, 4) == "dlt." then return name end
  if BARE[name] then return BARE[name] end
  for _, a in ipairs(ALIASES) do
    if name:sub(1, #a[1]) == a[1] then return a[2] .. name:sub(#a[1] + 1) end
  end
  return name
end

-- the pages compiled in: {name = "tensor", text = ...}, sorted by name
local function pages()
  local out = {}
  for modname in pairs(package.preload) do
    local stem = modname:match("^dlt%.doc%.(.+)$")
    if stem then out[#out + 1] = { name = stem, text = require(modname) } end
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

local index  -- key -> entry {page, heading, sigs, body}
local order  -- the entries in page order

local function add_entry(page, heading, lines)
  local sigs = {}
  for sig in heading:gmatch("`([^`]+)`") do sigs[#sigs + 1] = sig end
  while #lines > 0 and lines[#lines]:match("^%s*$") do lines[#lines] = nil end
  while #lines > 0 and lines[1]:match("^%s*$") do table.remove(lines, 1) end
  local e = { page = page, sigs = sigs, body = table.concat(lines, "\n") }
  order[#order + 1] = e
  for _, sig in ipairs(sigs) do
    local k = M.key(sig)
    if k and not index[k] then index[k] = e end
  end
end

local function build()
  if index then return end
  index, order = {}, {}
  for _, p in ipairs(pages()) do
    local heading, lines, in_code = nil, nil, false
    for line in (p.text .. "\n"):gmatch("(.-)\n") do
      local hashes, rest = line:match("^(#+)%s+(.*)$")
      if line:match("^```") then in_code = not in_code end
      if hashes and not in_code then
        if heading then add_entry(p.name, heading, lines) end
        heading, lines = nil, nil
        if #hashes >= 3 and rest:match("^`") then heading, lines = rest, {} end
      elseif heading then
        lines[#lines + 1] = line
      end
    end
    if heading then add_entry(p.name, heading, lines) end
  end
end

-- the entry documenting key, or nil
function M.entry(key)
  build()
  return index[key]
end

-- every documented key, sorted
function M.keys()
  build()
  local out = {}
  for k in pairs(index) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- ---- the public names: what must be documented ----

-- methods whose objects are not reachable as tables from dlt: class name -> a maker
local INSTANCES = {
  Axes = function() local fig, ax = dlt.plot.subplots() return ax, fig end,
  Figure = function() local fig = dlt.plot.figure() return fig, fig end,
  Optimizer = function() return dlt.optim.SGD({ dlt.zeros(1):requires_grad_() }, { lr = 0.1 }) end,
  LRScheduler = function()
    local opt = dlt.optim.SGD({ dlt.zeros(1):requires_grad_() }, { lr = 0.1 })
    return dlt.optim.lr_scheduler.StepLR(opt, { step_size = 1 })
  end,
  TensorDataset = function() return dlt.data.TensorDataset(dlt.zeros(2, 1)) end,
  DataLoader = function() return dlt.data.DataLoader(dlt.data.TensorDataset(dlt.zeros(2, 1))) end,
  Bar = function() return dlt.progress.bar(1) end,
}

-- hooks a subclass fills in, not called by users
local INTERNAL = {
  ["Optimizer:check"] = true, ["Optimizer:init_state"] = true, ["Optimizer:spec"] = true,
  ["Optimizer:update"] = true, ["Optimizer:update_group"] = true,
  ["LRScheduler:get_lr"] = true, ["Bar:draw"] = true, ["Bar:line"] = true,
}

-- what every class made with nn.Module:extend defines, documented with the class
local CONVENTIONS = { init = true, forward = true, extra_repr = true, super = true }

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

-- functions reachable through an object's metatable __index chain
local function methods_of(obj, cls, out, where)
  local mt, seen = getmetatable(obj), {}
  while type(mt) == "table" and not seen[mt] do
    seen[mt] = true
    -- methods in the __index table, or (an __index function) in the metatable itself
    local idx, up = rawget(mt, "__index"), nil
    if type(idx) == "table" then up = getmetatable(idx) else idx = mt end
    for _, k in ipairs(sorted_keys(idx)) do
      local name = cls .. ":" .. k
      if type(rawget(idx, k)) == "function" and not INTERNAL[name] and not where[name] then
        out[#out + 1] = name
        where[name] = true
      end
    end
    mt = up
  end
end

-- every public name: "dlt.x.y" for functions, values and namespaces under dlt,
-- "Class:method" for methods; names starting with "_" are private
function M.public_names()
  require("dlt.lazy").load_all()  -- the parts loaded on first use define names too
  local out, where, seen = {}, {}, {}
  local function add(name)
    if not where[name] then
      where[name] = true
      out[#out + 1] = name
    end
  end
  local module_methods = dlt.nn.Module
  local function walk(t, path, depth)
    if seen[t] or depth > 4 then return end
    seen[t] = true
    for _, k in ipairs(sorted_keys(t)) do
      local v, name = rawget(t, k), path .. "." .. k
      if t == dlt and k == "Tensor" then
        add(name)
        for _, m in ipairs(sorted_keys(v)) do
          if type(v[m]) == "function" then add("Tensor:" .. m) end
        end
      elseif type(v) == "table" and rawget(v, "__index") ~= nil then
        -- a class (nn.Module, nn.Module:extend(...), dlt.EarlyStopping): the methods it
        -- adds; a module class's forward/init/extra_repr and its versions of
        -- nn.Module's methods are documented by the class and by Module:
        add(name)
        for _, m in ipairs(sorted_keys(v)) do
          local f, mname = rawget(v, m), k .. ":" .. m
          local module_api = v ~= module_methods and (rawget(module_methods, m) ~= nil or CONVENTIONS[m])
          if type(f) == "function" and not module_api and not INTERNAL[mname] then add(mname) end
        end
      elseif type(v) == "table" then
        add(name)
        walk(v, name, depth + 1)
      elseif type(v) ~= "userdata" then
        add(name)
      end
    end
  end
  walk(dlt, "dlt", 0)
  local classes = sorted_keys(INSTANCES)
  for _, cls in ipairs(classes) do
    local ok, obj, owner = pcall(INSTANCES[cls])
    if ok then
      methods_of(obj, cls, out, where)
      if owner and owner ~= obj then dlt.plot.close(owner) end
      if cls == "Figure" then dlt.plot.close(obj) end
    end
  end
  return out
end

-- ---- help(x) ----

-- the value of a public dotted name ("dlt.nn.Linear"), or nil
local function value_of(name)
  local v = dlt
  for part in name:gmatch("[^.]+") do
    if part ~= "dlt" then v = type(v) == "table" and rawget(v, part) or nil end
  end
  return v
end

-- the last table of the __index chain that x's methods come from: Optimizer for every
-- optimizer, LRScheduler for the schedulers, the methods table of an Axes, ...
local function root_from(mt)
  local root
  for _ = 1, 16 do
    if type(mt) ~= "table" then break end
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" then return root or mt end  -- an __index function: the metatable
    root = idx
    local up = getmetatable(idx)
    if up == mt then break end
    mt = up
  end
  return root
end
local function root_class(x) return root_from(getmetatable(x)) end

-- value -> the names it is known by, and class root -> class name, built on first use
local by_value, class_names
local function names_by_value()
  if by_value then return by_value end
  by_value, class_names = {}, {}
  local function note(v, name)
    if type(v) == "function" or type(v) == "table" then
      by_value[v] = by_value[v] or {}
      table.insert(by_value[v], name)
    end
  end
  -- one object of each class whose methods are documented (a figure is closed at once:
  -- its methods stay reachable), or the class table under dlt
  local samples = {}
  local function sample(cls)
    if samples[cls] == nil then
      samples[cls] = false
      local ok, obj, owner = pcall(INSTANCES[cls] or error)
      if ok then
        samples[cls] = obj
        if owner then dlt.plot.close(owner) end
      else
        for _, n in ipairs(M.public_names()) do
          local v = n:match("%." .. cls .. "$") and value_of(n)
          if type(v) == "table" and rawget(v, "__index") ~= nil then samples[cls] = v end
        end
      end
      local v = samples[cls]
      local root = v and (ok and root_class(v) or root_from(v))
      if root and not class_names[root] then class_names[root] = cls end
    end
    return samples[cls] or nil
  end
  for _, name in ipairs(M.public_names()) do
    local cls, m = name:match("^(%u[%w_]*):(.+)$")
    if cls == "Tensor" then note(rawget(dlt.Tensor, m), name)
    elseif cls == "Module" then note(rawget(dlt.nn.Module, m), name)
    elseif cls then
      local obj = sample(cls)
      local ok, f = pcall(function() return obj and obj[m] end)
      if ok then note(f, name) end
    else
      note(value_of(name), name)
    end
  end
  -- the methods of C modules (model.forward is Module:forward, seq.append is Sequential's)
  for k, f in pairs(dlt.nn._cmethods) do
    if type(k) == "string" and M.entry("Module:" .. k) then note(f, "Module:" .. k)
    elseif k == "add" or k == "append" then note(f, "dlt.nn.Sequential") end
  end
  return by_value
end

-- for an object of a documented class (an optimizer, an Axes, a loader): its class name
-- ("Optimizer"), its own name if it has one ("SGD"), and its documented methods
local function object_class(x)
  if type(x) ~= "table" and type(x) ~= "userdata" then return nil end
  names_by_value()
  local root = root_class(x)
  local cls = root and class_names[root]
  if not cls then return nil end
  local ok, own = pcall(function() return x.name end)
  local methods = {}
  for _, key in ipairs(M.keys()) do
    local m = key:match("^" .. cls .. ":(.+)$")
    if m then methods[#methods + 1] = m end
  end
  return cls, ok and type(own) == "string" and own or cls, methods
end

local function is_module(x)
  return dlt.nn.is_module and dlt.nn.is_module(x)
end

-- the documentation keys x may stand for, best first
local function candidates(x)
  if type(x) == "string" then
    local k = M.key(x) or x
    local out = { k, x, "dlt." .. x }
    local bare = x:match("^[%w_]+$")
    if bare then
      for _, key in ipairs(M.keys()) do
        if key:match("[%.:]" .. bare .. "$") then out[#out + 1] = key end
      end
    end
    return out
  end
  if dlt.is_tensor(x) then return { "dlt.Tensor" } end
  if is_module(x) then
    local ok, name = pcall(function() return x:_get_name() end)
    return ok and { "dlt.nn." .. name, "dlt.nn.Module" } or { "dlt.nn.Module" }
  end
  local known = names_by_value()[x]
  if known then return known end
  -- an object: the entry of what made it (dlt.optim.SGD, dlt.data.DataLoader)
  local cls, own = object_class(x)
  if cls then
    local out = {}
    for _, key in ipairs(M.keys()) do
      if key:match("%." .. own .. "$") then out[#out + 1] = key end
    end
    return out
  end
  local mt = getmetatable(x)
  local tname = type(mt) == "table" and rawget(mt, "__name")
  if type(tname) == "string" then return { tname, (tname:match("[%w_]+$")) } end
  return {}
end

local function render(e)
  local lines = {}
  for _, sig in ipairs(e.sigs) do lines[#lines + 1] = sig end
  lines[#lines + 1] = ""
  lines[#lines + 1] = e.body
  lines[#lines + 1] = ""
  lines[#lines + 1] = "(docs/" .. e.page .. ".md)"
  return table.concat(lines, "\n")
end

local OVERVIEW = [[
help(x) shows the documentation of any dlt function, class, module or method:
  help(dlt.zeros)   help(nn.Linear)   help(model)   help("Tensor:sum")   help("sum")
Pages: docs/tensor.md (tensors), docs/autograd.md (gradients, utilities), docs/nn.md,
docs/optim.md, docs/data.md, docs/plotting.md. Tab completes names, methods and options.]]

-- "Methods of this Optimizer (help("Optimizer:step") ...): step · zero_grad", or nil
local function methods_line(x)
  local cls, _, methods = object_class(x)
  if not cls or #methods == 0 or is_module(x) then return nil end
  local example = methods[1]
  for _, m in ipairs(methods) do
    if m == "plot" or m == "step" or m == "iter" or m == "savefig" then example = m end
  end
  return string.format('Methods of this %s, called as obj:method(...) (help("%s:%s") shows one):\n  %s',
    cls, cls, example, table.concat(methods, " · "))
end

-- the help text for x (nil: the overview)
function M.text(x)
  if x == nil or x == dlt then return OVERVIEW end
  local seen = {}
  for _, k in ipairs(candidates(x)) do
    local e = M.entry(k)
    if e and not seen[e] then
      local more = methods_line(x)
      return render(e) .. (more and "\n\n" .. more or "")
    end
  end
  local more = methods_line(x)
  if more then return more end
  if type(x) == "string" then
    return "help: no entry for '" .. x .. "'; try help() for the pages, or Tab to complete a name"
  end
  return "help: no documentation for this " .. type(x) .. " (" .. tostring(x) .. ")"
end

function M.help(x)
  io.write(M.text(x), "\n")
end

return M
