-- repl.lua: what the REPL of build/dltlua adds to Lua's: the globals it starts with and
-- its banner (start), and Tab completion (complete) of names, methods and options keys.
-- Called from src/dltlua.c.
local dlt = require "dlt"
local help = require "dlt.help"

local M = {}

-- nn, optim, plt and help become globals unless the user's own (-l, LUA_INIT) are there
function M.start()
  M.active = true  -- an interactive session: nn.summary leaves printing its value to the REPL
  local ready = { "dlt" }
  local preload = { { "nn", dlt.nn }, { "optim", dlt.optim }, { "plt", dlt.plot },
    { "help", help.help } }
  for _, p in ipairs(preload) do
    if rawget(_G, p[1]) == nil then
      rawset(_G, p[1], p[2])
      ready[#ready + 1] = p[1]
    end
  end
  return string.format("dlt %s (%s): %s ready. help(x) documents x; Tab completes; "
    .. "Ctrl-D quits.", dlt.version, _VERSION, table.concat(ready, ", "))
end

local function sorted(set)
  local out = {}
  for k in pairs(set) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- the value a dotted path names (no calls, no metamethods beyond indexing)
local function resolve(path)
  local v = _G
  for part in path:gmatch("[^.:]+") do
    if type(v) ~= "table" and not dlt.is_tensor(v) and type(v) ~= "userdata" then return nil end
    local ok, r = pcall(function() return v[part] end)
    if not ok then return nil end
    v = r
  end
  return v
end

local function add_keys(t, set, methods_only)
  for k, v in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and (not methods_only or type(v) == "function") then
      set[k] = true
    end
  end
end

-- the names after "obj." or "obj:": fields of a table, methods through __index tables
local function members(v, methods_only)
  local set = {}
  if dlt.is_tensor(v) then
    add_keys(dlt.Tensor, set, true)
    if not methods_only then
      for _, f in ipairs({ "shape", "dtype", "grad", "requires_grad", "is_leaf" }) do set[f] = true end
    end
    return set
  end
  if dlt.nn.is_module(v) then add_keys(dlt.nn.Module, set, methods_only) end
  if type(v) == "table" and not methods_only then add_keys(v, set, false) end
  local mt, depth = getmetatable(v), 0
  while type(mt) == "table" and depth < 8 do
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" then break end
    add_keys(idx, set, methods_only)
    mt, depth = getmetatable(idx), depth + 1
  end
  return set
end

-- options keys of the call whose `{` is open before position `start` of `line`:
-- `optim.Adam(params, {l` -> lr, ... read from the signature in the docs
local function option_keys(line, start)
  local depth, brace = 0, nil
  for i = start, 1, -1 do
    local c = line:sub(i, i)
    if c == "}" or c == ")" then depth = depth + 1
    elseif c == "{" or c == "(" then
      if depth == 0 then
        if c ~= "{" then return nil end
        brace = i
        break
      end
      depth = depth - 1
    end
  end
  if not brace then return nil end
  local before = line:sub(1, brace - 1)
  -- the call: the innermost unclosed "(" before the brace
  depth = 0
  for i = #before, 1, -1 do
    local c = before:sub(i, i)
    if c == ")" or c == "}" then depth = depth + 1
    elseif c == "(" or c == "{" then
      if depth == 0 then
        if c ~= "(" then return nil end
        local fname = before:sub(1, i - 1):match("([%a_][%w_%.:]*)%s*$")
        if not fname then return nil end
        local keys = {}
        local obj, meth = fname:match("^(.-):([%w_]+)$")
        local entry
        if meth then
          local v = resolve(obj)
          if dlt.is_tensor(v) then entry = help.entry("Tensor:" .. meth) end
          -- another object's method (ax:plot, model:train): the entry of that function
          local ok, f = pcall(function() return v ~= nil and v[meth] end)
          if not entry and ok and type(f) == "function" then
            local sigs = {}
            for line in help.text(f):gmatch("[^\n]+") do
              if not line:match("^%a[%w_.:]*%(") then break end
              sigs[#sigs + 1] = line
            end
            if #sigs > 0 then entry = { sigs = sigs } end
          end
        else
          local v = resolve(fname)
          entry = help.entry(help.key(fname))
          if not entry and v ~= nil then
            local t = help.text(v)
            if t then entry = { sigs = { t:match("^[^\n]*") } } end
          end
        end
        if not entry then return nil end
        for _, sig in ipairs(entry.sigs) do
          local opts = sig:match("%b{}")
          if opts then
            for k in opts:gmatch("[{,]%s*([%a_][%w_]*)") do keys[k] = true end
          end
        end
        return keys
      end
      depth = depth - 1
    end
  end
  return nil
end

-- completions of `text`, the word that starts at 0-based offset `start` of `line`
function M.complete(line, start, text)
  require("dlt.lazy").load_all()  -- names of the parts loaded on first use complete too
  local out = {}
  local head, sep, partial = text:match("^(.*)([.:])([%w_]*)$")
  if head then
    local v = resolve(head)
    if v == nil then return out end
    for _, k in ipairs(sorted(members(v, sep == ":"))) do
      if k:sub(1, #partial) == partial then out[#out + 1] = head .. sep .. k end
    end
    return out
  end
  local keys = option_keys(line, start)
  local set = {}
  if keys then
    for k in pairs(keys) do set[k .. " = "] = true end
    -- where a key goes (after "{" or ","), the keys alone, if one fits: {l -> lr =
    if line:sub(1, start):match("[{,]%s*$") then
      for _, k in ipairs(sorted(set)) do
        if k:sub(1, #text) == text then out[#out + 1] = k end
      end
      if #out > 0 then return out end
    end
  end
  for k in pairs(_G) do
    if type(k) == "string" then set[k] = true end
  end
  for _, kw in ipairs({ "and", "break", "do", "else", "elseif", "end", "false", "for",
    "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return",
    "then", "true", "until", "while" }) do set[kw] = true end
  for _, k in ipairs(sorted(set)) do
    if k:sub(1, #text) == text then out[#out + 1] = k end
  end
  return out
end

return M
