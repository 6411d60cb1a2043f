-- test_autograd.lua: autograd from Lua: requires_grad/grad/grad_fn/is_leaf fields,
-- backward (accumulation, explicit grads, retain_graph), detach, no_grad,
-- dlt.autograd.gradcheck over the differentiable bindings, and detect_anomaly.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local function leaf(v) return dlt.tensor(v, { dtype = "float64", requires_grad = true }) end

T.test("ops on tensors that require grad record a grad_fn; leaves have none", function()
  local x = leaf({ 1, 2, 3 })
  local y = x * 2
  T.eq(x.is_leaf, true, "x is a leaf")
  T.eq(x.grad_fn, nil, "leaf grad_fn")
  T.eq(y.requires_grad, true, "y requires grad")
  T.eq(y.is_leaf, false, "y is not a leaf")
  T.eq(type(y.grad_fn), "string", "grad_fn is a name")
  assert(y.grad_fn:find("Backward"), "grad_fn name " .. y.grad_fn)
  local z = dlt.ones(3) * 2
  T.eq(z.requires_grad, false, "no grad without inputs that need it")
end)

T.test("backward fills .grad, gradients accumulate, grad = nil resets", function()
  local x = leaf({ 1, 2, 3 })
  local loss = (x * x):sum()
  loss:backward()
  T.close(x.grad, { 2, 4, 6 }, 0, 0, "d/dx sum(x^2)")
  ;(x * 3):sum():backward()
  T.close(x.grad, { 5, 7, 9 }, 0, 0, "accumulated")
  x.grad = nil
  T.eq(x.grad, nil, "grad cleared")
  ;(x:sum()):backward()
  T.close(x.grad, { 1, 1, 1 }, 0, 0, "fresh after reset")
end)

T.test("backward with an explicit gradient and with retain_graph", function()
  local x = leaf({ 1, 2 })
  local y = x * x
  y:backward(dlt.tensor({ 1, 10 }, { dtype = "float64" }), { retain_graph = true })
  T.close(x.grad, { 2, 40 }, 0, 0, "vector-Jacobian product")
  y:backward(dlt.tensor({ 1, 1 }, { dtype = "float64" }))
  T.close(x.grad, { 4, 44 }, 0, 0, "second backward through the retained graph")
  local z = leaf({ 3 })
  ;(z * 2):backward({ 5 })
  T.close(z.grad, { 10 }, 0, 0, "gradient given as a table")
  local w = leaf({ 1 })
  local v = w * w
  v:backward({ retain_graph = true })
  v:backward()
  T.close(w.grad, { 4 }, 0, 0, "options table alone")
end)

T.test("backward refuses what cannot be differentiated", function()
  T.raises(function() dlt.ones(3):sum():backward() end, "backward: tensor does not require grad")
  local x = leaf({ 1, 2 })
  T.raises(function() (x * 2):backward() end, "backward")
  T.raises(function() x.grad = dlt.ones(3, { dtype = "float64" }) end, "grad: assigned gradient has shape {3}")
  local y = x * 2
  T.raises(function() y.requires_grad = false end, "requires_grad: can only change requires_grad of leaf tensors")
  T.raises(function() y:requires_grad_(false) end, "requires_grad_: can only change")
end)

T.test("assigning .grad shares storage and makes no reference cycle", function()
  collectgarbage()
  local before = dlt.memory_in_use()
  do
    local a, b = dlt.ones(1000), dlt.zeros(1000)
    a.grad = b
    b[1] = 5
    T.eq(a.grad[1], 5, "grad shares the assigned tensor's storage")
    a.grad = a
    b.grad = a
    a.grad = b
  end
  collectgarbage()
  collectgarbage()
  T.eq(dlt.memory_in_use(), before, "all freed")
end)

T.test("requires_grad_ and the requires_grad field switch leaves", function()
  local w = dlt.ones(2, { dtype = "float64" })
  T.eq(rawequal(w:requires_grad_(), w), true, "returns self")
  T.eq(w.requires_grad, true, "on")
  w.requires_grad = false
  T.eq(w.requires_grad, false, "off")
  w.requires_grad = true
  ;(w * w):sum():backward()
  T.close(w.grad, { 2, 2 }, 0, 0, "grad after switching on")
end)

T.test("detach shares storage and stops gradients", function()
  local x = leaf({ 1, 2 })
  local d = (x * 2):detach()
  T.eq(d.requires_grad, false, "detached")
  T.eq(d.grad_fn, nil, "no grad_fn")
  local y = x * 1
  local yd = y:detach()
  yd[1] = 100
  T.eq(y[1]:item(), 100, "shares storage")  -- y is in a graph: y[1] is a 0-D tensor, as in PyTorch
end)

T.test("no_grad runs fn without recording, returns its results and restores the mode on error", function()
  local x = leaf({ 1, 2 })
  local a, b = dlt.no_grad(function(k) return x * k, "second" end, 3)
  T.eq(a.requires_grad, false, "nothing recorded")
  T.eq(b, "second", "all results returned")
  T.close(a, { 3, 6 }, 0, 0, "argument passed")
  local ok, err = pcall(dlt.no_grad, function() error("inside") end)
  T.eq(ok, false, "error propagates")
  assert(tostring(err):find("inside"), "message kept: " .. tostring(err))
  T.eq(dlt.is_grad_enabled(), true, "grad mode restored after an error")
  T.eq((x * 2).requires_grad, true, "recording again")
  T.eq(dlt.enable_grad(function() return (x * 2).requires_grad end), true, "enable_grad")
end)

T.test("gradients flow through indexing, masked_select, where, meshgrid and cat", function()
  local x = leaf({ { 1, 2 }, { 3, 4 } })
  local loss = x[2]:sum() * 2 + x[{ 1 }]:sum()
  loss:backward()
  T.close(x.grad, { { 1, 1 }, { 2, 2 } }, 0, 0, "t[i] rows")
  x.grad = nil
  x:masked_select(x:gt(2)):sum():backward()
  T.close(x.grad, { { 0, 0 }, { 1, 1 } }, 0, 0, "masked_select")
  x.grad = nil
  dlt.where(x:gt(1.5), x * 3, x):sum():backward()
  T.close(x.grad, { { 1, 3 }, { 3, 3 } }, 0, 0, "where")
  local a, b = leaf({ 1, 2, 3 }), leaf({ 10, 20 })
  local X, Y = dlt.meshgrid(a, b)
  ;(X * Y):sum():backward()
  T.close(a.grad, { 30, 30, 30 }, 0, 0, "meshgrid x")
  T.close(b.grad, { 6, 6 }, 0, 0, "meshgrid y")
  a.grad = nil
  dlt.cat({ a, a * 2 }, 1):sum():backward()
  T.close(a.grad, { 3, 3, 3 }, 0, 0, "cat")
end)

-- gradcheck over the differentiable bindings, with the argument conventions of Lua
dlt.manual_seed(7)
local A = dlt.randn(3, 4, { dtype = "float64" })
local B = dlt.randn(4, { dtype = "float64" })
local P = dlt.rand(3, 4, { dtype = "float64" }) + 0.5
local M = dlt.randn(4, 2, { dtype = "float64" })
local CHECKS = {
  arithmetic = { function(a, b) return (a + b) * a - b / (a:abs() + 1) end, { A, B } },
  scalar_ops = { function(a) return 2 - a * 3 + 1 / (a ^ 2 + 1) - (-a) end, { A } },
  pow = { function(p, b) return p ^ b + 2 ^ b end, { P, B } },
  unary = { function(a) return a:tanh() + a:sigmoid() + a:exp() + a:sin() * a:cos() + a:square() end, { A } },
  positive = { function(p) return p:log() + p:sqrt() + p:reciprocal() + p:log1p() end, { P } },
  activations = { function(a) return a:gelu() + a:silu() + a:softplus() + a:leaky_relu(0.2) + a:erf() end, { A } },
  clamp = { function(a) return a:clamp(-0.5, 0.5) + a:clamp(nil, 0.2) end, { A } },
  maximum = { function(a, b) return a:maximum(b) + a:minimum(b * 0.5) end, { A, B } },
  reductions = { function(a) return a:sum(1) + a:mean(1, false) * 2 + a:prod(1) end, { A } },
  var_std = { function(a) return a:var(2) + a:std(2, false, { unbiased = false }) + a:var() end, { A } },
  max_min = { function(a) return a:max(2) + a:min(1):sum() + a:max() end, { A } },
  norm = { function(a) return a:norm() + a:norm(1, 2):sum() + a:norm(3, 1, true):sum() end, { A } },
  softmax = { function(a) return a:softmax(2) * a:log_softmax(1) end, { A } },
  matmul = { function(a, m) return a:matmul(m) + a:mm(m) * 2 end, { A, M } },
  dot = { function(b) return b:dot(b * 2) end, { B } },
  views = { function(a) return a:view(2, 6):t():reshape(4, 3):transpose(1, 2) + a:permute(1, 2):contiguous() end, { A } },
  shape_ops = { function(a) return a:unsqueeze(1):squeeze(1):flatten(1):expand(2, 12) + a:flatten():unsqueeze(-1):t() end, { A } },
  indexing = { function(a) return a:narrow(2, 2, 2):sum() + a:select(1, -1):sum() + a:index_select(2, { 1, 1, 4 }):sum() end, { A } },
  masked = { function(a) return a:masked_fill(a:gt(0), 0.5) * a end, { A } },
  join = { function(a, p) return dlt.cat({ a, p }, 2):sum(1) + dlt.stack({ a, p }, 1):sum() end, { A, P } },
}

for name, c in pairs(CHECKS) do
  T.test("gradcheck " .. name, function()
    local inputs = {}
    for i, x in ipairs(c[2]) do inputs[i] = x:clone():requires_grad_() end
    T.eq(dlt.autograd.gradcheck(c[1], inputs), true, name)
  end)
end

T.test("dtype conversions pass gradients back in the source dtype", function()
  local x = dlt.tensor({ 1, 2 }, { requires_grad = true })
  ;(x:double() * dlt.tensor({ 3, 4 }, { dtype = "float64" })):sum():backward()
  T.eq(x.grad.dtype, "float32", "grad dtype")
  T.close(x.grad, { 3, 4 }, 0, 0, "grad values")
end)

T.test("gradcheck reports a wrong gradient, and errors raised by fn surface as they were", function()
  local err = T.raises(function()
    dlt.autograd.gradcheck(function(x) return x:relu() end, { dlt.zeros(3, { dtype = "float64", requires_grad = true }) })
  end, "gradcheck")
  assert(err:find("input 1"), "names the input: " .. err)
  T.raises(function()
    dlt.autograd.gradcheck(function() error("boom in fn") end, { leaf({ 1 }) })
  end, "boom in fn")
  T.raises(function()
    dlt.autograd.gradcheck(function() return 3 end, { leaf({ 1 }) })
  end, "gradcheck: the function must return a tensor, got number")
  T.raises(function() dlt.autograd.gradcheck(function(x) return x end, { 5 }) end, "gradcheck: input 1 is a number")
  T.raises(function() dlt.autograd.gradcheck(function(x) return x end, leaf({ 1 }), { epsilon = 1 }) end,
    "gradcheck: unknown option 'epsilon'")
  T.eq(dlt.autograd.gradcheck(function(x) return x * 2 end, leaf({ 1, 2 })), true, "a single tensor as inputs")
  T.eq(dlt.is_grad_enabled(), true, "grad mode restored")
end)

T.test("detect_anomaly raises on NaN and is switched off afterwards", function()
  local x = leaf({ -1, 4 })
  T.raises(function()
    dlt.autograd.detect_anomaly(function() x:sqrt():sum():backward() end)
  end, "")
  x.grad = nil
  x:sqrt():sum():backward()  -- outside the scope: NaN gradients are not errors
  assert(x.grad[1] ~= x.grad[1], "NaN gradient without anomaly mode")
end)

T.run()
