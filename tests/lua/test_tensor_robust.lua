-- test_tensor_robust.lua: every tensor method and dlt tensor function, called with every
-- pair (and a deterministic sample of triples) of awkward arguments, either succeeds or
-- raises a Lua error with a message: no crash (run it under DLT_SANITIZE for memory errors).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local function values()
  return {
    nil, 0, 1, 2, -1, -3, 2.5, 1e300, -1e300, math.huge, 0 / 0, 2 ^ 53, math.mininteger,
    "x", "float64", true, {}, { 1, 2 }, { { 1 }, { 2, 3 } }, { dtype = "float64" }, { -1 }, { 2, 0 },
    function() end,
    dlt.tensor(1.5), dlt.tensor({ 1, 0, 2 }), dlt.ones(2, 3), dlt.zeros(0),
    dlt.ones(2, 3, { dtype = "float64" }):t(), dlt.ones(1, 3, { requires_grad = true }),
  }
end
local NV = 29

-- the method names of dlt.Tensor and the tensor functions of dlt, sorted
local function names(t, filter)
  local out = {}
  for k, v in pairs(t) do
    if type(v) == "function" and (not filter or filter[k]) then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

local FUNCS = {}
for _, k in ipairs({ "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "empty_like",
  "full_like", "rand_like", "randn_like", "eye", "arange", "linspace", "logspace", "meshgrid", "cat", "stack",
  "rand", "randn", "randint", "randperm", "where", "matmul", "polyfit", "polyval", "manual_seed",
  "set_default_dtype", "num_threads", "no_grad", "enable_grad" }) do FUNCS[k] = true end

local function call(f, ...)
  local ok, err = pcall(f, ...)
  if not ok and type(err) ~= "string" then
    error("error value is a " .. type(err) .. ", not a message", 0)
  end
  dlt.set_default_dtype("float32")
  dlt.set_grad_enabled(true)
end

local function sweep(fn_names, get, self_first)
  local calls = 0
  for _, name in ipairs(fn_names) do
    local v = values()
    for i = 1, NV do
      for j = 1, NV do
        local f = get(name)
        if self_first then
          call(f, dlt.ones(2, 3), v[i], v[j])
          call(f, dlt.tensor({ -1, 0.5, 3 }, { dtype = "float64" }), v[i], v[j])
        else
          call(f, v[i], v[j])
        end
        -- a third argument from a fixed permutation: deterministic and spread out
        call(f, v[i], v[j], v[(i * 7 + j * 3) % NV + 1])
        calls = calls + 3
      end
    end
  end
  return calls
end

T.test("every method survives every pair of awkward arguments", function()
  local ms = names(dlt.Tensor)
  local calls = sweep(ms, function(n) return dlt.Tensor[n] end, true)
  assert(calls > 10000, "calls made: " .. calls)
end)

T.test("every dlt tensor function survives every pair of awkward arguments", function()
  local fs = names(dlt, FUNCS)
  T.eq(#fs, 31, "functions found")
  sweep(fs, function(n) return dlt[n] end, false)
  dlt.manual_seed(0)
  dlt.num_threads(1)
end)

T.test("operators and indexing survive awkward operands", function()
  local v = values()
  local ops = {
    function(a, b) return a + b end, function(a, b) return a - b end, function(a, b) return a * b end,
    function(a, b) return a / b end, function(a, b) return a ^ b end, function(a) return -a end,
    function(a, b) return a[b] end, function(a, b) a[b] = b end, function(a, b) a[b] = a end,
    function(a) return #a end, function(a) return tostring(a) end,
    function(a, b) a.requires_grad = b end, function(a, b) a.grad = b end, function(a, b) return a[{ b, b }] end,
  }
  for _, op in ipairs(ops) do
    for i = 1, NV do
      for j = 1, NV do
        call(op, v[i], v[j])
        call(op, dlt.ones(3, 2), v[j])
        call(op, v[i], dlt.ones(2))
      end
    end
  end
end)

T.test("the engine still works afterwards", function()
  T.close((dlt.ones(2, 2) * 3):sum(), 12, 0, 0, "arithmetic")
  collectgarbage()
  collectgarbage()
end)

T.run()
