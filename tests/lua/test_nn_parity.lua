-- test_nn_parity.lua: every layer, activation and loss of dlt.nn against PyTorch's
-- outputs and gradients (tests/fixtures/nn.lua, written by tests/golden/gen_nn.py):
-- float64 within 1e-9 relative (1e-12 absolute near zero), float32 within 1e-5
-- relative (1e-6 absolute).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn
local fx = dofile("tests/fixtures/nn.lua")

local TOL = { float64 = { 1e-9, 1e-12 }, float32 = { 1e-5, 1e-6 } }

local function tensor(e, dtype)
  if #e.shape == 0 then return dlt.tensor(e.values[1], { dtype = dtype }) end
  return dlt.tensor(e.values, { dtype = dtype }):reshape(e.shape)
end

local function leaf(e, dtype)
  return tensor(e, dtype):requires_grad_()
end

local function check(got, want, dtype, what)
  local tol = TOL[dtype]
  T.eq(table.concat(got.shape, ","), table.concat(want.shape, ","), what .. " shape")
  T.close(got:reshape({ -1 }), want.values, tol[1], tol[2], what)
end

local function make(ctor, dtype)
  local old = dlt.get_default_dtype and dlt.get_default_dtype() or "float32"
  dlt.set_default_dtype(dtype)
  local m = assert(load("local nn = ...; return " .. ctor))(nn)
  dlt.set_default_dtype(old)
  return m
end

local function forward_backward(m, c, dtype, what)
  local x = leaf(c.x, dtype)
  local y = m(x)
  check(y, c.y, dtype, what .. ": output")
  local total = (y * tensor(c.g, dtype)):sum()
  total:backward()
  check(x.grad, c.dx, dtype, what .. ": input gradient")
end

for _, c in ipairs(fx.layers) do
  T.test(string.format("%s (%s) equals PyTorch", c.name, c.dtype), function()
    local m = make(c.ctor, c.dtype)
    local sd = {}
    for k, e in pairs(c.state) do
      sd[k] = tensor(e, k == "num_batches_tracked" and "float64" or c.dtype)
    end
    m:load_state_dict(sd)
    forward_backward(m, c, c.dtype, c.name)
    local n = 0
    for name, p in m:named_parameters() do
      n = n + 1
      T.eq(c.grads[name] ~= nil, true, "PyTorch has parameter " .. name)
      check(p.grad, c.grads[name], c.dtype, c.name .. ": gradient of " .. name)
    end
    local want = 0
    for _ in pairs(c.grads) do want = want + 1 end
    T.eq(n, want, c.name .. ": number of parameters")
    local after = m:state_dict()
    for k, e in pairs(c.after) do
      T.eq(after[k] ~= nil, true, c.name .. ": state_dict has " .. k)
      check(after[k], e, after[k].dtype, c.name .. ": " .. k .. " after the step")
    end
    if c.eval then
      m:eval()
      forward_backward(m, c.eval, c.dtype, c.name .. " in eval mode")
    end
  end)
end

for _, c in ipairs(fx.losses) do
  T.test(string.format("%s (%s) equals PyTorch", c.name, c.dtype), function()
    local loss = nn[c.fn]({ reduction = c.reduction })
    local x = leaf(c.x, c.dtype)
    local y = loss(x, tensor(c.t, c.dtype))
    check(y, c.y, c.dtype, c.name .. ": loss")
    local total = (y * tensor(c.g, c.dtype)):sum()
    total:backward()
    check(x.grad, c.dx, c.dtype, c.name .. ": input gradient")
  end)
end

T.run()
