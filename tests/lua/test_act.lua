-- test_act.lua: the activation layers ELU, SELU, CELU, Softplus, Mish, Hardtanh, ReLU6,
-- Hardswish, PReLU, LogSoftmax, Softmin and nn.Embedding against PyTorch 1.13
-- (tests/fixtures/act.lua from tests/golden/gen_act.py): outputs and gradients in
-- float64 to 1e-9 relative (1e-12 absolute), module and functional forms, printouts
-- (dims and padding_idx 1-based), float32 runs, and the errors a user can cause.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional
local FX = dofile("tests/fixtures/act.lua")

local RTOL, ATOL = 1e-9, 1e-12

-- the gradient seed sum(out * g), g[i] = cos(i) over the flat output (0-based i, as the generator)
local function cosg(n)
  local g = {}
  for i = 1, n do g[i] = math.cos(i - 1) end
  return g
end

local function x64(c)
  return dlt.tensor(c.x, { dtype = dlt.float64 }):view(table.unpack(c.shape))
end

local function backward_seeded(y)
  local g = dlt.tensor(cosg(y:numel()), { dtype = dlt.float64 }):view(table.unpack(y:size()))
  local s = (y * g):sum()
  s:backward()
end

local function flat(t) return t:detach():reshape(-1):totable() end

-- PyTorch prints dims 0-based; dlt prints the 1-based dim it was given
local function lua_repr(c)
  local dim = c.fargs[1]
  if c.fn == "log_softmax" or c.fn == "softmin" then return (c.repr:gsub("dim=%-?%d+", "dim=" .. dim)) end
  return c.repr
end

for _, c in ipairs(FX.cases) do
  T.test(c.module .. " matches PyTorch's output, input gradient and printout", function()
    local m = assert(load("local nn = ...; return nn." .. c.module))(nn)
    T.eq(tostring(m), lua_repr(c), "printout")
    local x = x64(c):requires_grad_()
    local y = m(x)
    backward_seeded(y)
    T.close(flat(y), c.y, RTOL, ATOL, c.module .. " output")
    T.close(flat(x.grad), c.dx, RTOL, ATOL, c.module .. " input gradient")
  end)
  T.test("F." .. c.fn .. " with " .. #c.fargs .. " argument(s) matches PyTorch", function()
    local x = x64(c):requires_grad_()
    local y = F[c.fn](x, table.unpack(c.fargs))
    backward_seeded(y)
    T.close(flat(y), c.y, RTOL, ATOL, "F." .. c.fn .. " output")
    T.close(flat(x.grad), c.dx, RTOL, ATOL, "F." .. c.fn .. " input gradient")
  end)
end

T.test("the activations run in float32 within 1e-5 of PyTorch's float64 values", function()
  for _, c in ipairs(FX.cases) do
    local x = dlt.tensor(c.x, { dtype = dlt.float32 }):view(table.unpack(c.shape)):requires_grad_()
    local y = F[c.fn](x, table.unpack(c.fargs))
    T.eq(y.dtype, dlt.float32, c.fn .. " dtype")
    y:sum():backward()
    T.close(flat(y), c.y, 1e-5, 1e-6, c.module .. " float32")
  end
end)

T.test("dlt.autograd.gradcheck: every new function's gradient against float64 finite differences", function()
  dlt.manual_seed(5)
  -- inputs away from the kinks (0, the clamp bounds, +-3, the softplus threshold)
  local x = (dlt.rand(3, 4, { dtype = dlt.float64 }) * 0.8 + 0.1) * dlt.tensor({ 1, -1, 1, -1 }, { dtype = dlt.float64 }) * 2.5
  x:requires_grad_()
  local w = dlt.tensor({ 0.1, 0.2, 0.3, 0.4 }, { dtype = dlt.float64, requires_grad = true })
  local fns = {
    function(t) return F.elu(t, 0.7) end, F.selu, function(t) return F.celu(t, 0.3) end,
    function(t) return F.softplus(t, 2, 3) end, F.mish, function(t) return F.hardtanh(t, -2, 2) end,
    F.relu6, F.hardswish, function(t) return F.softmin(t, 2) end, function(t) return F.log_softmax(t, 1) end,
  }
  for i, f in ipairs(fns) do
    T.eq(dlt.autograd.gradcheck(function(t) return (f(t) * f(t)):sum() end, { x }), true, "function " .. i)
  end
  T.eq(dlt.autograd.gradcheck(function(t, v) return (F.prelu(t, v) ^ 2):sum() end, { x, w }), true, "prelu")
  local W = dlt.randn(5, 4, { dtype = dlt.float64, requires_grad = true })
  local idx = dlt.tensor({ { 1, 3 }, { 5, 3 } }):long()
  T.eq(dlt.autograd.gradcheck(function(t) return (F.embedding(idx, t) ^ 2):sum() end, { W }), true, "embedding")
end)

T.test("keyword options are the positional arguments' names", function()
  local x = dlt.linspace(-8, 8, 17, { dtype = dlt.float64 })
  T.close(F.softplus(x, { beta = 2, threshold = 7 }), F.softplus(x, 2, 7), 0, 0)
  T.close(F.hardtanh(x, { min_val = -2, max_val = 3 }), F.hardtanh(x, -2, 3), 0, 0)
  T.close(F.elu(x, { alpha = 0.5 }), F.elu(x, 0.5), 0, 0)
  T.close(nn.Softplus({ beta = 2 })(x), F.softplus(x, 2), 0, 0)
  T.close(nn.Hardtanh(-2, { max_val = 3 })(x), F.hardtanh(x, -2, 3), 0, 0)
  T.close(F.relu6(x), F.hardtanh(x, 0, 6), 0, 0)
  T.close(F.selu(x), F.elu(x, 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946, 1e-15, 1e-15)
end)

for _, c in ipairs(FX.prelu) do
  T.test(string.format("PReLU(%d, %s) on %s matches PyTorch's output and both gradients", c.num, c.init,
    table.concat(c.shape, "x")), function()
    local m = nn.PReLU(c.num, c.init, { dtype = dlt.float64 })
    T.eq(tostring(m), c.repr, "printout")
    T.close(flat(m.weight), c.num == 1 and { c.init } or flat(m.weight), 0, 0, "init")
    dlt.no_grad(function() m.weight:copy_(dlt.tensor(c.w, { dtype = dlt.float64 })) end)
    local x = x64(c):requires_grad_()
    local y = m(x)
    backward_seeded(y)
    T.close(flat(y), c.y, RTOL, ATOL, "output")
    T.close(flat(x.grad), c.dx, RTOL, ATOL, "input gradient")
    T.close(flat(m.weight.grad), c.dw, RTOL, ATOL, "weight gradient")
    T.eq(#m:parameters(), 1, "one parameter")
  end)
end

for i, c in ipairs(FX.emb) do
  local what = string.format("Embedding case %d (%s)", i, c.repr)
  T.test(what .. " matches PyTorch's output, weight gradient, renorm and printout", function()
    local w0 = dlt.tensor(c.w0, { dtype = dlt.float64 }):view(c.num, c.dim)
    -- PyTorch's max_norm and norm_type are floats (the fixture's literal 1 reads as an integer)
    local opts = { padding_idx = c.padding_idx, max_norm = c.max_norm and c.max_norm + 0.0,
      norm_type = c.norm_type + 0.0 }
    local m
    if c.pretrained then
      m = nn.Embedding.from_pretrained(w0:clone(), opts)
      T.eq(m.weight.requires_grad, false, "from_pretrained freezes")
      m.weight.requires_grad = true
    else
      opts.dtype = dlt.float64
      m = nn.Embedding(c.num, c.dim, opts)
      dlt.no_grad(function() m.weight:copy_(w0) end)
    end
    local pad = c.padding_idx and (c.padding_idx > 0 and c.padding_idx or c.num + 1 + c.padding_idx)
    T.eq(tostring(m), (c.repr:gsub("padding_idx=%d+", "padding_idx=" .. tostring(pad))), "printout")
    local idx = dlt.tensor(c.idx):long():view(table.unpack(c.idx_shape))
    local y = m(idx)
    local want_shape = {}
    for k, v in ipairs(c.idx_shape) do want_shape[k] = v end
    want_shape[#want_shape + 1] = c.dim
    T.eq(table.concat(y:size(), ","), table.concat(want_shape, ","), "shape")
    backward_seeded(y)
    T.close(flat(y), c.y, RTOL, ATOL, "output")
    T.close(flat(m.weight.grad), c.dw, RTOL, ATOL, "weight gradient")
    T.close(flat(m.weight), c.w_after, RTOL, ATOL, "weight after the lookup (max_norm renorm)")
  end)
end

T.test("Embedding: N(0,1) init with the padding row zeroed, state_dict, functional form", function()
  dlt.manual_seed(3)
  local m = nn.Embedding(50, 4, { padding_idx = 7 })
  T.eq(m.weight:select(1, 7):abs():sum():item(), 0, "padding row zero")
  local w = m.weight:detach()
  T.close(w:mean():item(), 0, 0, 0.4, "mean near 0")
  T.close(w:std():item(), 1, 0.3, 0, "std near 1")
  local sd = m:state_dict()
  T.eq(sd.weight:size(1), 50, "state_dict has the weight")
  local idx = dlt.tensor({ 3, 7, 50 }):long()
  T.close(F.embedding(idx, m.weight), m(idx), 0, 0, "F.embedding")
end)

T.test("Embedding.from_pretrained: frozen weight is still a parameter in state_dict; freeze=false trains", function()
  local e = dlt.tensor({ { 1.0, 2.0 }, { 3.0, 4.0 } })
  local m = nn.Embedding.from_pretrained(e)
  T.eq(#m:parameters(), 1, "parameters")
  T.eq(m.weight.requires_grad, false, "frozen")
  T.close(m:state_dict().weight, e, 0, 0, "state_dict")
  local y = m(dlt.tensor({ 2 }):long())
  T.eq(y.requires_grad, false, "no graph through a frozen table")
  local t = nn.Embedding.from_pretrained(e, { freeze = false })
  T.eq(t.weight.requires_grad, true, "freeze=false")
  -- a Lua module's parameter frozen by requires_grad_(false) comes back with requires_grad_(true)
  m:requires_grad_(true)
  T.eq(m.weight.requires_grad, true, "unfrozen")
end)

T.test("a frozen Embedding stays a parameter through :double(), deepcopy and load_state_dict", function()
  local m = nn.Embedding.from_pretrained(dlt.tensor({ { 1.0, 2.0 }, { 3.0, 4.0 } }))
  m:double()
  T.eq(#m:parameters(), 1, "after :double()")
  T.eq(m.weight.dtype, dlt.float64, "converted")
  local c = dlt.deepcopy(m)
  T.eq(#c:parameters(), 1, "the copy's")
  T.eq(c.weight.requires_grad, false, "the copy is frozen too")
  m:load_state_dict({ weight = dlt.zeros(2, 2, { dtype = dlt.float64 }) })
  T.eq(m.weight:abs():sum():item(), 0, "loaded")
  T.close(c.weight, dlt.tensor({ { 1.0, 2.0 }, { 3.0, 4.0 } }, { dtype = dlt.float64 }), 0, 0, "the copy kept its values")
end)

T.test("an Embedding feeds a Sequential and trains: the looked-up rows move, the padding row does not", function()
  dlt.manual_seed(1)
  local net = nn.Sequential(nn.Embedding(5, 3, { padding_idx = 5 }), nn.Flatten(), nn.Linear(6, 2))
  local emb = net[1]
  local before = emb.weight:detach():clone()
  local opt = dlt.optim.SGD(net:parameters(), 0.5)
  local loss = F.cross_entropy(net(dlt.tensor({ { 1, 5 }, { 2, 5 } }):long()), dlt.tensor({ 1, 2 }):long())
  loss:backward()
  opt:step()
  local moved = (emb.weight:detach() - before):abs():sum(2)
  T.eq(moved[1] > 0 and moved[2] > 0, true, "rows 1 and 2 moved")
  T.eq(moved[3] + moved[4] + moved[5], 0, "rows 3, 4 and the padding row 5 did not")
end)

T.test("the errors name the layer and the values", function()
  local x = dlt.randn(3)
  T.raises(function() nn.CELU(0) end, "CELU: alpha cannot be 0")
  T.raises(function() F.celu(x, 0) end, "celu: alpha cannot be 0")
  T.raises(function() nn.Hardtanh(1, -1) end, "Hardtanh: max_val (-1) must be greater than min_val (1)")
  T.raises(function() F.hardtanh(x, 1, -1) end, "hardtanh: min_val")
  T.raises(function() F.softplus(x, true) end, "softplus: beta must be a number, got boolean")
  T.raises(function() F.elu(x, { alpah = 1 }) end, "elu: unknown option 'alpah'")
  T.raises(function() nn.ELU({ alpah = 1 }) end, "ELU: unknown option 'alpah'")
  T.raises(function() nn.ELU(1, 2, 3) end, "ELU: expected at most 1 positional argument, got 3")
  T.raises(function() nn.Softplus({ inplace = true }) end, "Softplus: unknown option 'inplace'")
  T.raises(function() nn.LogSoftmax() end, "LogSoftmax: dim must be an integer")
  T.raises(function() F.softmin(x) end, "softmin: dim must be an integer")
  T.raises(function() F.prelu(dlt.randn(2, 3), dlt.ones(2)) end,
    "prelu: weight has 2 values; expected 1 or the 3 channels of the input")
  T.raises(function() nn.PReLU(0) end, "PReLU: num_parameters must be a positive integer, got 0")
  local e = nn.Embedding(4, 2)
  T.raises(function() e(dlt.tensor({ 1, 2 })) end, "embedding: indices must be an int64 tensor (x:long()), got float32")
  T.raises(function() e(dlt.tensor({ 1, 5 }):long()) end, "embedding: index 5 is out of range for 4 embeddings")
  T.raises(function() e(dlt.tensor({ 0, 1 }):long()) end, "embedding: index 0 is out of range for 4 embeddings (indices are 1-based)")
  T.raises(function() nn.Embedding(4, 2, { padding_idx = 0 }) end, "Embedding: padding_idx must be a row 1..4")
  T.raises(function() nn.Embedding(4, 2, { padding_idx = 5 }) end, "Embedding: padding_idx must be a row 1..4")
  T.raises(function() nn.Embedding(4, 2, { sparse = true }) end, "Embedding: sparse=true is not supported")
  T.raises(function() nn.Embedding(4, 2, { scale_grad_by_freq = true }) end, "Embedding: scale_grad_by_freq=true is not supported")
  T.raises(function() nn.Embedding(0, 2) end, "Embedding: num_embeddings must be a positive integer, got 0")
  T.raises(function() nn.Embedding.from_pretrained(dlt.ones(3)) end, "Embedding.from_pretrained: embeddings must be a 2-D tensor")
end)

T.test("nn.isinstance and a Sequential know the new layers", function()
  local net = nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.PReLU(), nn.Linear(4, 2), nn.LogSoftmax(2))
  T.eq(nn.isinstance(net[2], nn.ELU), true, "isinstance")
  local y = net(dlt.randn(5, 3))
  T.close(y:exp():sum(2), dlt.ones(5), 1e-6, 1e-6, "log-probabilities")
  T.eq(#net:parameters(), 5, "Linear, PReLU, Linear parameters")
end)

T.run()
