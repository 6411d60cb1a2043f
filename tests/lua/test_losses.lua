-- test_losses.lua: the losses with their PyTorch options against PyTorch 1.13
-- (tests/fixtures/losses.lua from tests/golden/gen_losses.py): value and input gradient,
-- float64 to 1e-9 relative (1e-12 absolute), float32 to 1e-5; functional and module
-- forms; class targets as tensors and as Lua tables; the errors.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional
local CASES = dofile("tests/fixtures/losses.lua")

local MODULES = {
  cross_entropy = "CrossEntropyLoss", nll_loss = "NLLLoss", binary_cross_entropy = "BCELoss",
  binary_cross_entropy_with_logits = "BCEWithLogitsLoss", smooth_l1_loss = "SmoothL1Loss",
  huber_loss = "HuberLoss", kl_div = "KLDivLoss",
}

local function tensor(e, dtype, grad)
  local t = dlt.tensor(e.values, { dtype = dtype })
  if #e.shape == 0 then t = t:reshape({}) else t = t:reshape(e.shape) end
  if grad then t.requires_grad = true end
  return t
end

local function describe(c)
  local parts = {}
  for k, v in pairs(c.opts) do
    parts[#parts + 1] = k .. "=" .. (type(v) == "table" and "{...}" or tostring(v))
  end
  table.sort(parts)
  return string.format("%s(%s) %s input %s", c.name, table.concat(parts, " "), c.dtype,
    table.concat(c.x.shape, "x"))
end

local function opts_of(c)
  local o = {}
  for k, v in pairs(c.opts) do
    if k == "weight" or k == "pos_weight" then o[k] = dlt.tensor(v, { dtype = c.dtype }) else o[k] = v end
  end
  return o
end

local function run(c, call, target)
  local x = tensor(c.x, c.dtype, true)
  local out = call(x, target)
  local rtol, atol = 1e-9, 1e-12
  if c.dtype == "float32" then rtol, atol = 1e-5, 1e-6 end
  T.close(out, c.out.values, rtol, atol, "value")
  local n = #c.out.values
  local g
  if #c.out.shape == 0 then
    g = dlt.tensor(1.0, { dtype = c.dtype })
  else
    local gv = {}
    for i = 0, n - 1 do gv[i + 1] = math.cos(i) end
    g = dlt.tensor(gv, { dtype = c.dtype }):reshape(c.out.shape)
  end
  ;(out * g):sum():backward()
  T.close(x.grad, c.dx, rtol, atol, "input gradient")
end

local function class_target(c, as_table)
  if as_table and #c.target.shape <= 1 then
    if #c.target.shape == 0 then return c.target.values[1] end
    return c.target.values
  end
  return tensor(c.target, "float64")
end

for ci, c in ipairs(CASES) do
  local name = string.format("#%d %s", ci, describe(c))
  T.test(name .. " matches PyTorch (functional)", function()
    local target = c.class_target and class_target(c, false) or tensor(c.target, c.dtype)
    run(c, function(x, t) return F[c.fn](x, t, opts_of(c)) end, target)
  end)
  T.test(name .. " matches PyTorch (module)", function()
    local target = c.class_target and class_target(c, true) or tensor(c.target, c.dtype)
    local m = nn[MODULES[c.fn]](opts_of(c))
    run(c, function(x, t) return m(x, t) end, target)
  end)
end

T.test("loss modules print as PyTorch's, keep weight as a buffer and are their class", function()
  local w = dlt.tensor({ 1, 2, 3 })
  local ce = nn.CrossEntropyLoss({ weight = w, label_smoothing = 0.1 })
  T.eq(tostring(ce), "CrossEntropyLoss()", "printout")
  T.eq(rawequal(ce:state_dict().weight ~= nil, true), true, "weight in state_dict")
  T.eq(nn.isinstance(ce, nn.CrossEntropyLoss), true, "isinstance")
  T.eq(nn.isinstance(nn.CrossEntropyLoss(), nn.CrossEntropyLoss), true, "isinstance plain")
  T.eq(tostring(nn.BCEWithLogitsLoss({ pos_weight = w })), "BCEWithLogitsLoss()", "printout")
  T.eq(tostring(nn.HuberLoss({ delta = 2 })), "HuberLoss()", "printout")
  T.eq(ce.label_smoothing, 0.1, "options are fields")
end)

T.test("class targets: out of range and bad options are named errors", function()
  local x = dlt.randn(3, 4)
  T.raises(function() F.cross_entropy(x, { 1, 5, 2 }, { label_smoothing = 0.1 }) end,
    "cross_entropy: target 5 at element 2 is out of range: classes are 1..4")
  T.raises(function() nn.CrossEntropyLoss({ weight = dlt.ones(4) })(x, { 1, 0, 2 }) end,
    "CrossEntropyLoss: target 0 at element 2 is out of range: classes are 1..4")
  T.raises(function() nn.CrossEntropyLoss({ weight = dlt.ones(3) })(x, { 1, 1, 2 }) end,
    "CrossEntropyLoss: weight must have 4 elements (one per class), got shape {3}")
  T.raises(function() F.cross_entropy(x, { 1, 2 }, { weight = dlt.ones(4) }) end,
    "cross_entropy: expected 3 targets for input of shape {3,4}, got 2")
  T.raises(function() nn.CrossEntropyLoss({ label_smoothing = 1.5 })(x, { 1, 1, 1 }) end,
    "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: 1.5")
  T.raises(function() nn.CrossEntropyLoss({ smoothing = 0.1 }) end,
    "CrossEntropyLoss: unknown option 'smoothing'")
  T.raises(function() nn.KLDivLoss({ reduction = "avg" }) end,
    "KLDivLoss: reduction must be 'mean', 'sum' or 'none' or 'batchmean', got avg")
  T.raises(function() nn.HuberLoss({ delta = 0 })(x, x) end,
    "HuberLoss: huber_loss does not support non-positive values for delta")
  T.raises(function() nn.SmoothL1Loss()(x, dlt.randn(4, 3)) end,
    "SmoothL1Loss: input shape {3,4} and target shape {4,3} differ")
  -- the default ignore_index -100 is honoured without the option
  local y = F.cross_entropy(x, { 1, -100, 2 })
  local z = F.cross_entropy(x:index_select(1, dlt.tensor({ 1, 3 })), { 1, 2 })
  T.close(y, z:item(), 1e-6, 0, "an ignored row drops out of the mean")
end)

T.test("CrossEntropyLoss's plain case still runs the fused C loss (bit-identical)", function()
  local x = dlt.randn(6, 5)
  local t = { 1, 2, 3, 4, 5, 1 }
  T.eq(nn.CrossEntropyLoss()(x, t):item(), F.cross_entropy(x, t):item(), "same value")
  T.eq(tostring(nn.CrossEntropyLoss()(x, t).grad_fn), tostring(F.cross_entropy(x, t).grad_fn), "same node")
end)

T.run()
