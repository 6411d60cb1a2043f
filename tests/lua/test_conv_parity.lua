-- test_conv_parity.lua: the convolution, pooling and 4-D normalization layers and their
-- functional forms against PyTorch's outputs and gradients (tests/fixtures/conv.lua,
-- written by tests/golden/gen_conv.py): output, input gradient, parameter gradients,
-- running statistics after the step and the eval-mode pass; float64 within 1e-9
-- relative (1e-12 absolute near zero), float32 within 1e-5 relative (1e-6 absolute), or
-- the tolerance a case states (the float32 CNN: 1e-4, its rounding amplified by two
-- batch norm backward passes).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, F = dlt.nn, dlt.nn.functional
local fx = dofile("tests/fixtures/conv.lua")

local TOL = { float64 = { 1e-9, 1e-12 }, float32 = { 1e-5, 1e-6 } }

local function tensor(e, dtype)
  if #e.shape == 0 then return dlt.tensor(e.values[1], { dtype = dtype }) end
  return dlt.tensor(e.values, { dtype = dtype }):reshape(e.shape)
end

local function check(got, want, dtype, what, tol)
  tol = tol or TOL[dtype]
  T.eq(table.concat(got.shape, ","), table.concat(want.shape, ","), what .. " shape")
  T.close(got:reshape({ -1 }), want.values, tol[1], tol[2], what)
end

local function make(ctor, dtype)
  local old = dlt.get_default_dtype()
  dlt.set_default_dtype(dtype)
  local ok, m = pcall(assert(load("local nn = ...; return " .. ctor)), nn)
  dlt.set_default_dtype(old)
  if not ok then error(m, 0) end
  return m
end

local function forward_backward(m, c, dtype, what, tol)
  local x = tensor(c.x, dtype):requires_grad_()
  local y = m(x)
  check(y, c.y, dtype, what .. ": output", tol)
  local total = (y * tensor(c.g, dtype)):sum()
  total:backward()
  check(x.grad, c.dx, dtype, what .. ": input gradient", tol)
end

for _, c in ipairs(fx.layers) do
  T.test(string.format("%s (%s) equals PyTorch", c.name, c.dtype), function()
    local m = make(c.ctor, c.dtype)
    local sd = {}
    for k, e in pairs(c.state) do
      sd[k] = tensor(e, k:match("num_batches_tracked$") and "float64" or c.dtype)
    end
    m:load_state_dict(sd)
    forward_backward(m, c, c.dtype, c.name, c.tol)
    local n, want = 0, 0
    for name, p in m:named_parameters() do
      n = n + 1
      T.eq(c.grads[name] ~= nil, true, "PyTorch has parameter " .. name)
      check(p.grad, c.grads[name], c.dtype, c.name .. ": gradient of " .. name, c.tol)
    end
    for _ in pairs(c.grads) do want = want + 1 end
    T.eq(n, want, c.name .. ": number of parameters")
    local after = m:state_dict()
    for k, e in pairs(c.after) do
      T.eq(after[k] ~= nil, true, c.name .. ": state_dict has " .. k)
      check(after[k], e, after[k].dtype, c.name .. ": " .. k .. " after the step", c.tol)
    end
    if c.eval then
      m:eval()
      forward_backward(m, c.eval, c.dtype, c.name .. " in eval mode", c.tol)
    end
  end)
end

for _, c in ipairs(fx.functional) do
  T.test(string.format("F: %s (%s) equals PyTorch", c.name, c.dtype), function()
    local fn = assert(load(c.code))()
    local ins = {}
    for i, e in ipairs(c.inputs) do ins[i] = tensor(e, c.dtype):requires_grad_() end
    local y, idx = fn(F, table.unpack(ins))
    check(y, c.y, c.dtype, c.name .. ": output")
    if c.indices then check(idx, c.indices, "float64", c.name .. ": indices") end
    local total = (y * tensor(c.g, c.dtype)):sum()
    total:backward()
    for i, e in ipairs(c.grads) do check(ins[i].grad, e, c.dtype, c.name .. ": gradient of input " .. i) end
  end)
end

T.run()
