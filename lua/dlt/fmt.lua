-- fmt.lua: prints numbers the way the Python notebook shows them: NumPy's array str
-- (`[[0. 0. 2.]]`, `[11.41  9.75]`), NumPy's round, and Python's float/bool repr.
local M = {}

local spack, sunpack = string.pack, string.unpack

-- the float32 nearest to v (round to nearest even, as a C cast does)
local function f32(v)
  return (sunpack("f", spack("f", v)))
end
M.f32 = f32

-- round half to even, NumPy's rint
local function rint(y)
  if y ~= y or y == math.huge or y == -math.huge then return y end
  local f = math.floor(y)
  local d = y - f
  if d > 0.5 or (d == 0.5 and f % 2 == 1) then f = f + 1 end
  if f == 0 and (y < 0 or 1 / y < 0) then return -0.0 end
  return f + 0.0
end
M.rint = rint

-- NumPy's around(x, decimals): x * 10^d, rint, / 10^d, each rounded to the dtype
function M.round(x, decimals, single)
  local scale = 10.0 ^ decimals
  if single then
    return f32(rint(f32(x * scale)) / scale)
  end
  return rint(x * scale) / scale
end

-- shortest decimal digits that read back as v (in float32 when single), as
-- digits (no dot, no sign) and the power of ten of the first digit
local function shortest(v, single)
  local a = math.abs(v)
  if a == 0 then return "0", 0 end
  for p = 1, 17 do
    local s = string.format("%." .. (p - 1) .. "e", a)
    local back = tonumber(s)
    if single then back = f32(back) end
    if back == a then
      local m, e = s:match("^([%d%.]+)e([-+]%d+)$")
      return (m:gsub("%.", "")):gsub("0+$", ""), tonumber(e)
    end
  end
  local m, e = string.format("%.16e", a):match("^([%d%.]+)e([-+]%d+)$")
  return (m:gsub("%.", "")):gsub("0+$", ""), tonumber(e)
end

-- positional form of |v|: integer part and fractional digits, at most maxfrac of them
local function positional(v, single, maxfrac)
  local digits, e = shortest(v, single)
  if digits == "" then digits = "0" end
  local int, frac
  if e >= 0 then
    if #digits <= e + 1 then
      int, frac = digits .. string.rep("0", e + 1 - #digits), ""
    else
      int, frac = digits:sub(1, e + 1), digits:sub(e + 2)
    end
  else
    int, frac = "0", string.rep("0", -e - 1) .. digits
  end
  if #frac > maxfrac then
    local s = string.format("%." .. maxfrac .. "f", math.abs(v))
    int, frac = s:match("^(%d+)%.(%d*)$")
    frac = frac:gsub("0+$", "")
  end
  return int, frac
end

local function signbit(v)
  return v < 0 or (v == 0 and 1 / v < 0)
end

-- NumPy's FloatingFormat (floatmode 'maxprec', precision 8, sign '-'): one width
-- for every element, trailing zeros trimmed but the dot kept, scientific when
-- the largest is >= 1e8 or the nonzero ones span more than 1e3 or go below 1e-4
local function float_formatter(values, single)
  local finite, maxabs, minabs = {}, 0, math.huge
  for _, v in ipairs(values) do
    if v == v and v ~= math.huge and v ~= -math.huge then
      finite[#finite + 1] = v
      local a = math.abs(v)
      if a > maxabs then maxabs = a end
      if a ~= 0 and a < minabs then minabs = a end
    end
  end
  local exp_format = #finite > 0 and minabs ~= math.huge and
    (maxabs >= 1e8 or minabs < 1e-4 or maxabs / minabs > 1e3)
  local nonfinite = function(v)
    if v ~= v then return "nan" end
    return v > 0 and "inf" or "-inf"
  end
  if exp_format then
    local prec, exp_size, pad_left = 0, 2, 1
    local parts = {}
    for i, v in ipairs(finite) do
      local digits, e = shortest(v, single)
      parts[i] = { digits = digits, e = e }
      prec = math.max(prec, #digits - 1)
      exp_size = math.max(exp_size, #tostring(math.abs(e)))
      pad_left = math.max(pad_left, signbit(v) and 2 or 1)
    end
    return function(v)
      if not (v == v and v ~= math.huge and v ~= -math.huge) then
        local s = nonfinite(v)
        return string.rep(" ", pad_left + prec + exp_size + 3 - #s) .. s
      end
      local s = string.format("%." .. prec .. "e", math.abs(v))
      local m, e = s:match("^([%d%.]+)e([-+]%d+)$")
      if prec == 0 then m = m .. "." end
      local en = tonumber(e)
      local es = (en < 0 and "-" or "+") .. string.format("%0" .. exp_size .. "d", math.abs(en))
      local sgn = signbit(v) and "-" or ""
      return string.rep(" ", pad_left - #sgn - 1) .. sgn .. m .. "e" .. es
    end
  end
  local pad_left, pad_right = 0, 0
  for _, v in ipairs(finite) do
    local int, frac = positional(v, single, 8)
    pad_left = math.max(pad_left, #int + (signbit(v) and 1 or 0))
    pad_right = math.max(pad_right, #frac)
  end
  return function(v)
    if not (v == v and v ~= math.huge and v ~= -math.huge) then
      local s = nonfinite(v)
      return string.rep(" ", pad_left + pad_right + 1 - #s) .. s
    end
    local int, frac = positional(v, single, 8)
    if signbit(v) then int = "-" .. int end
    return string.rep(" ", pad_left - #int) .. int .. "." .. frac ..
      string.rep(" ", pad_right - #frac)
  end
end

local function flatten(t, out)
  for _, v in ipairs(t) do
    if type(v) == "table" then flatten(v, out) else out[#out + 1] = v end
  end
  return out
end

local function map_nested(t, fn)
  if type(t) ~= "table" then return fn(t) end
  local out = {}
  for i, v in ipairs(t) do out[i] = map_nested(v, fn) end
  return out
end

-- lays out nested tables of strings as NumPy does: ' ' between elements, a newline
-- (and a blank line per extra level) between rows, lines wrapped at 75 columns
local function layout(t, indent, depth, width)
  if type(t[1]) ~= "table" then
    local lines, line = {}, "["
    -- NumPy keeps one column for the closing bracket on every line
    for _, s in ipairs(t) do
      if #line > 1 and #indent + #line + 1 + #s > width - 1 then
        lines[#lines + 1] = (line:gsub("%s+$", ""))
        line = " " .. s
      else
        line = line .. ((#line > 1) and " " or "") .. s
      end
    end
    line = line .. "]"
    if #t == 0 then line = "[]" end
    lines[#lines + 1] = line
    return table.concat(lines, "\n" .. indent)
  end
  local rows = {}
  for i, sub in ipairs(t) do
    rows[i] = layout(sub, indent .. " ", depth - 1, width - 1)
  end
  local sep = "\n" .. string.rep("\n", depth - 2) .. indent .. " "
  return "[" .. table.concat(rows, sep) .. "]"
end

local function depth_of(t)
  local d = 0
  while type(t) == "table" do d, t = d + 1, t[1] end
  return d
end

-- str(np.array) of a tensor (or nested table), after `.round(decimals)` when given.
-- opts: decimals, dtype ("float32"/"float64"; a tensor's own dtype by default)
function M.array(t, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "decimals" and k ~= "dtype" then
      error("fmt.array: unknown option '" .. tostring(k) .. "'", 2)
    end
  end
  local values, dtype
  if type(t) == "table" then
    values, dtype = t, opts.dtype or "float64"
  elseif type(t) == "number" then
    values, dtype = t, opts.dtype or "float64"
  elseif type(t) == "userdata" and t.totable then
    values, dtype = t:totable(), opts.dtype or t.dtype
  else
    error("fmt.array: expected a tensor, a table or a number, got " .. type(t), 2)
  end
  local single = dtype == "float32"
  if opts.decimals then
    values = map_nested(values, function(v) return M.round(v, opts.decimals, single) end)
  elseif single then
    values = map_nested(values, f32)
  end
  if type(values) == "number" then
    local int, frac = positional(values, single, 8)
    return (signbit(values) and "-" or "") .. int .. "." .. frac
  end
  local f = float_formatter(flatten(values, {}), single)
  local strs = map_nested(values, f)
  return layout(strs, "", depth_of(strs), 75)
end

-- Python's repr of a float: shortest round trip, '.0' on whole numbers,
-- scientific below 1e-4 and from 1e16 on
function M.pyfloat(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  local sgn = signbit(v) and "-" or ""
  if v == 0 then return sgn .. "0.0" end
  local digits, e = shortest(v, false)
  if e < -4 or e >= 16 then
    local m = digits:sub(1, 1)
    if #digits > 1 then m = m .. "." .. digits:sub(2) end
    return string.format("%s%se%s%02d", sgn, m, e < 0 and "-" or "+", math.abs(e))
  end
  local int, frac = positional(v, false, 17)
  if frac == "" then frac = "0" end
  return sgn .. int .. "." .. frac
end

-- Python's repr of a value: floats as pyfloat, integers as integers, booleans
-- as True/False, nil as None, lists as tuples `(0.9, 0.999)`
function M.py(v)
  local tv = type(v)
  if tv == "nil" then return "None" end
  if tv == "boolean" then return v and "True" or "False" end
  if tv == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return M.pyfloat(v)
  end
  if tv == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = M.py(x) end
    if #parts == 1 then return "(" .. parts[1] .. ",)" end
    return "(" .. table.concat(parts, ", ") .. ")"
  end
  return tostring(v)
end

return M
