-- test_nn_linear_nobias.lua: a Linear without bias has its GEMM start from zero
-- (beta 0) instead of a zeroed output: the same bits as a Linear whose bias is zero,
-- whatever a recycled output buffer held before (NaN garbage included); and Linear's
-- dtype option (PyTorch's dtype=) is honoured.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn

local function same_bits(a, b, what)
  local x, y = a:flatten():totable(), b:flatten():totable()
  T.eq(#x, #y, what .. ": length")
  for i = 1, #x do
    if x[i] ~= y[i] or (x[i] == 0 and 1 / x[i] ~= 1 / y[i]) then
      error(string.format("%s: element %d differs: %.17g vs %.17g", what, i, x[i], y[i]), 2)
    end
  end
end

-- (rows, in, out): outputs in the small-buffer cache (<= 64 KB) and above it
for _, dims in ipairs({ { 4, 8, 16 }, { 100, 256, 256 }, { 3, 0, 5 } }) do
  local B, C, O = dims[1], dims[2], dims[3]
  for _, dtype in ipairs({ "float32", "float64" }) do
    T.test(string.format("Linear(%d, %d, bias=false) on %dx%d %s equals a zero bias, in a NaN-filled buffer",
                         C, O, B, C, dtype), function()
      dlt.manual_seed(7)
      local nobias = nn.Linear(C, O, { bias = false, dtype = dtype })
      local zero = nn.Linear(C, O, { dtype = dtype })
      dlt.no_grad(function()
        zero.weight:copy_(nobias.weight)
        zero.bias:zero_()
      end)
      T.eq(nobias.weight.dtype, dtype, "weight dtype")
      T.eq(zero.bias.dtype, dtype, "bias dtype")
      local x = dlt.randn({ B, C }, { dtype = dtype })
      local ref = zero(x)
      for _, mode in ipairs({ "grad", "no_grad" }) do
        for _ = 1, 3 do  -- garbage of the output's size, freed so the next result may reuse it
          local junk = dlt.zeros({ B, O }, { dtype = dtype }) / 0
          junk = nil
          collectgarbage()
        end
        local y = mode == "grad" and nobias(x) or dlt.no_grad(function() return nobias(x) end)
        same_bits(y, ref, mode)
      end
    end)
  end
end

T.test("Linear's dtype option makes its parameters of that dtype, and names a bad one", function()
  local l = nn.Linear(3, 2, { dtype = "float64" })
  T.eq(l.weight.dtype, "float64", "weight")
  T.eq(l.bias.dtype, "float64", "bias")
  T.eq(nn.Linear(3, 2).weight.dtype, "float32", "default")
  T.raises(function() nn.Linear(3, 2, { dtype = "int8" }) end, "Linear: unknown dtype 'int8'")
end)

T.run()
