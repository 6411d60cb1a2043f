-- summary.lua: nn.summary(model, input_shape), the layer table torchinfo prints (layer,
-- output shape, parameter count, totals), and Module:num_parameters().
local dlt = require "dlt"
local nn = dlt.nn

local M = {}

local function count(m, trainable_only)
  local n = 0
  for _, p in ipairs(m:parameters()) do
    if not trainable_only or p.requires_grad then n = n + p:numel() end
  end
  return n
end

-- the parameters a module holds itself (its children's not counted)
local function own_count(m)
  local n = count(m)
  for _, c in ipairs(m:children()) do n = n - count(c) end
  return n
end

local function shape_str(t)
  if not dlt.is_tensor(t) then return "--" end
  local s = {}
  for i = 1, t:dim() do s[i] = tostring(t:size(i)) end
  return "[" .. table.concat(s, ", ") .. "]"
end

local function with_commas(n)
  local s = tostring(n)
  repeat
    local k
    s, k = s:gsub("^(%d+)(%d%d%d)", "%1,%2")
  until k == 0
  return s
end

local RULE = string.rep("=", 90)

-- s padded to w columns (the tree's box characters are one column, several bytes)
local function pad(s, w)
  return s .. string.rep(" ", math.max(1, w - (utf8.len(s) or #s)))
end

-- rows {label, output shape, params} of m and its descendants; a Sequential's children
-- are run one by one so each shows its output shape, other modules' children show "--"
local function rows_of(m, x, depth, idx, out)
  local name = m:_get_name()
  local label = depth == 0 and name or (string.rep("│    ", depth - 1) .. "├─" .. name .. ": " .. depth .. "-" .. idx)
  local row = { label, "--", own_count(m) }
  out[#out + 1] = row
  local kids = m:children()
  local y
  if name == "Sequential" then
    y = x
    for i, c in ipairs(kids) do y = rows_of(c, y, depth + 1, i, out) end
  else
    if x ~= nil then y = m(x) end
    for i, c in ipairs(kids) do rows_of(c, nil, depth + 1, i, out) end
  end
  row[2] = shape_str(y)
  if row[3] == 0 and #kids > 0 then row[3] = "--" end
  if row[3] == 0 then row[3] = "--" end
  return y
end

-- nn.summary(model, input_shape): prints the table and returns it as a string (at the
-- REPL it only returns it, and the REPL prints it)
function M.summary(model, input_shape)
  if not nn.is_module(model) then
    error("summary: expected a module, got " .. type(model), 2)
  end
  if type(input_shape) ~= "table" or #input_shape == 0 then
    error("summary: input_shape must be a list of sizes with the batch first, such as {64, 2}", 2)
  end
  local was_training = model.training
  model:eval()
  local x = dlt.zeros(input_shape)
  local out = {}
  dlt.no_grad(function() rows_of(model, x, 0, 1, out) end)
  if was_training then model:train() end
  local lines = { RULE, pad("Layer (type:depth-idx)", 41) .. pad("Output Shape", 26) .. "Param #", RULE }
  for _, r in ipairs(out) do
    local p = type(r[3]) == "number" and with_commas(r[3]) or r[3]
    lines[#lines + 1] = pad(r[1], 41) .. pad(r[2], 26) .. p
  end
  local total, trainable = count(model), count(model, true)
  lines[#lines + 1] = RULE
  lines[#lines + 1] = "Total params: " .. with_commas(total)
  lines[#lines + 1] = "Trainable params: " .. with_commas(trainable)
  lines[#lines + 1] = "Non-trainable params: " .. with_commas(total - trainable)
  lines[#lines + 1] = RULE
  local text = table.concat(lines, "\n")
  -- at the REPL the returned text is printed as the expression's value, so printing it
  -- here too would show it twice (torchinfo is quiet in an interactive session likewise)
  local repl = package.loaded["dlt.repl"]
  if not (type(repl) == "table" and repl.active) then print(text) end
  return text
end

-- model:num_parameters([{trainable = true}]): parameter elements, as sum(p.numel())
local function num_parameters(self, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("num_parameters: options must be a table such as {trainable = true}, got " .. type(opts), 2)
  end
  for k in pairs(opts or {}) do
    if k ~= "trainable" then error("num_parameters: unknown option '" .. tostring(k) .. "'", 2) end
  end
  return count(self, opts and opts.trainable)
end

-- init.lua makes Module:num_parameters call this one (loading this file on first use)
M.num_parameters = num_parameters
nn.summary = M.summary

return M
