-- test_nn_tanh.lua: nn.Tanh, F.tanh and t:tanh() are one function: the same bits for
-- every input (both dtypes, contiguous or not, the special values).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, F = dlt.nn, dlt.nn.functional

local function same_bits(a, b, what)
  local x, y = a:flatten():totable(), b:flatten():totable()
  T.eq(#x, #y, what .. ": length")
  for i = 1, #x do
    local eq = x[i] == y[i] and (x[i] ~= 0 or 1 / x[i] == 1 / y[i])  -- -0 is not 0
    if not eq and not (x[i] ~= x[i] and y[i] ~= y[i]) then
      error(string.format("%s: element %d differs: %.17g vs %.17g", what, i, x[i], y[i]), 2)
    end
  end
end

-- a sweep over the ranges where tanh's formula changes, plus the special values
local function inputs(dtype)
  local v = { 0, -0.0, 1 / 0, -1 / 0, 0 / 0, 1e-30, -1e-30, 20, -20, 25, 1e-8 }
  for i = -4000, 4000 do v[#v + 1] = i / 400 end
  dlt.manual_seed(3)
  local t = dlt.cat({ dlt.tensor(v, { dtype = dtype }), dlt.randn({ 5000 }, { dtype = dtype }) * 6 }, 1)
  return t
end

for _, dtype in ipairs({ "float32", "float64" }) do
  T.test("nn.Tanh and F.tanh give t:tanh()'s bits (" .. dtype .. ")", function()
    local x = inputs(dtype)
    local ref = x:tanh()
    same_bits(nn.Tanh()(x), ref, "nn.Tanh")
    same_bits(F.tanh(x), ref, "F.tanh")
    -- inside a Sequential, and on a strided view
    same_bits(nn.Sequential(nn.Tanh())(x), ref, "Sequential(Tanh)")
    local m = x:narrow(1, 1, 8000):reshape(100, 80):t()
    same_bits(nn.Tanh()(m), m:tanh(), "nn.Tanh of a transposed view")
  end)
end

T.run()
