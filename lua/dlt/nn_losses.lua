-- nn_losses.lua: the losses of dlt.nn beyond the C kernels' plain cases, composed of
-- differentiable tensor ops as PyTorch 1.13 composes them (so values and gradients match
-- to rounding): CrossEntropyLoss and NLLLoss with weight, ignore_index, label_smoothing
-- and K-dimensional input (N,C,d1,...); BCELoss with weight; BCEWithLogitsLoss with
-- weight and pos_weight; SmoothL1Loss, HuberLoss, KLDivLoss; and their functional forms.
-- The plain cases still run the fused C losses (one node, the same numbers as before).
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional
local Module = nn.Module

local C = {  -- the C losses, called for the plain cases
  CrossEntropyLoss = nn.CrossEntropyLoss, NLLLoss = nn.NLLLoss, BCELoss = nn.BCELoss,
  BCEWithLogitsLoss = nn.BCEWithLogitsLoss,
  cross_entropy = F.cross_entropy, nll_loss = F.nll_loss,
  binary_cross_entropy = F.binary_cross_entropy,
  binary_cross_entropy_with_logits = F.binary_cross_entropy_with_logits,
}

local function fail(msg) error(msg, 0) end

-- re-raises what an API function's pcall caught at the user's line that called it; a
-- position inside dlt that the message already carries (lauxlib's argument errors give
-- the line in this file that called the C loss: "[dlt]/nn_losses.lua:224: ") is dropped
local rethrow = require("dlt.argcheck").raise

local function shape_str(t) return "{" .. table.concat(t.shape, ",") .. "}" end

-- opts checked against allowed (key -> default), filled
local function options(name, opts, allowed)
  if opts ~= nil and type(opts) ~= "table" then
    fail(name .. ": options must be a table, got " .. type(opts))
  end
  local out = {}
  for k, v in pairs(opts or {}) do
    if allowed[k] == nil then fail(string.format("%s: unknown option '%s'", name, tostring(k))) end
    out[k] = v
  end
  for k, v in pairs(allowed) do
    if out[k] == nil and v ~= false then out[k] = v end
  end
  local r = out.reduction
  if r ~= "mean" and r ~= "sum" and r ~= "none" and not (r == "batchmean" and allowed.log_target ~= nil) then
    fail(string.format("%s: reduction must be 'mean', 'sum' or 'none'%s, got %s", name,
      allowed.log_target ~= nil and " or 'batchmean'" or "", tostring(r)))
  end
  return out
end

local function check_tensor(name, what, v)
  if v ~= nil and not dlt.is_tensor(v) then
    fail(string.format("%s: %s must be a tensor, got %s", name, what, type(v)))
  end
end

local function reduce(loss, reduction)
  if reduction == "sum" then return loss:sum() end
  if reduction == "mean" then return loss:mean() end
  return loss
end

-- class targets as a flat Lua list (a tensor of any dtype, a number or a nested table)
local function target_list(name, target)
  if dlt.is_tensor(target) then return target:reshape(-1):totable(), target.shape end
  if type(target) == "number" then return { target }, {} end
  if type(target) == "table" then
    local out = {}
    local function walk(t)
      for _, v in ipairs(t) do
        if type(v) == "table" then walk(v) else out[#out + 1] = v end
      end
    end
    walk(target)
    return out, { #out }
  end
  fail(name .. ": target must be a tensor or a table of class indices, got " .. type(target))
end

-- logp (N,C,d1,...) or (C) as rows (M,C), the class dim last
local function rows(logp)
  local nd = logp:dim()
  if nd == 1 then return logp:reshape(1, -1) end
  if nd == 2 then return logp end
  local perm = { 1 }
  for d = 3, nd do perm[#perm + 1] = d end
  perm[#perm + 1] = 2
  return logp:permute(table.unpack(perm)):reshape(-1, logp.shape[2])
end

-- the output shape of reduction "none": the input's without the class dim
local function none_shape(input)
  local s = input.shape
  if #s == 1 then return {} end
  table.remove(s, 2)
  return s
end

-- NLL of log-probabilities logp (N,C,d1,...) against 1-based class targets, with
-- per-class weight and ignore_index, as nll_loss_nd; also returns what label smoothing
-- needs: the rows, the keep mask, the targets' total weight and count (ignored left out)
local function nll_parts(name, logp, target, weight, ignore_index, reduction)
  local nd = logp:dim()
  if nd < 1 then fail(name .. ": input must have at least one dimension") end
  local Cn = nd == 1 and logp.shape[1] or logp.shape[2]
  local want = none_shape(logp)
  local t = target_list(name, target)
  local M = 1
  for _, n in ipairs(want) do M = M * n end
  if #t ~= M then
    fail(string.format("%s: expected %d targets for input of shape %s, got %d", name, M,
      shape_str(logp), #t))
  end
  if weight ~= nil and (weight:dim() ~= 1 or weight.shape[1] ~= Cn) then
    fail(string.format("%s: weight must have %d elements (one per class), got shape %s", name, Cn,
      shape_str(weight)))
  end
  local w = weight and weight:totable()
  local idx, wl, keep = {}, {}, {}
  local total, kept = 0, 0
  for i, c in ipairs(t) do
    if c == ignore_index then
      idx[i], wl[i], keep[i] = (i - 1) * Cn + 1, 0, 0
    else
      if c ~= math.floor(c) or c < 1 or c > Cn then
        fail(string.format("%s: target %s at element %d is out of range: classes are 1..%d", name,
          tostring(c), i, Cn))
      end
      idx[i] = (i - 1) * Cn + math.tointeger(c)
      wl[i] = w and w[math.tointeger(c)] or 1
      keep[i] = 1
      kept = kept + 1
      total = total + wl[i]
    end
  end
  local r = rows(logp)
  local dt = { dtype = logp.dtype }
  local picked = r:reshape(-1):index_select(1, dlt.tensor(idx))
  local wt = dlt.tensor(wl, dt)
  local losses = -(picked * wt)
  local out
  if reduction == "none" then out = losses:reshape(want)
  elseif reduction == "sum" then out = losses:sum()
  else out = losses:sum() / total end
  return out, r, dlt.tensor(keep, dt), total, kept
end

local function is_probs(input, target)
  return dlt.is_tensor(target) and shape_str(target) == shape_str(input)
end

-- cross entropy with class probabilities (PyTorch's prob-target form)
local function ce_probs(input, target, weight, reduction, ls)
  local nd = input:dim()
  local cdim = nd == 1 and 1 or 2
  local Cn = input.shape[cdim]
  if ls > 0 then target = target * (1 - ls) + ls / Cn end
  local logp = F.log_softmax(input, cdim)
  local prod = logp * target
  if weight ~= nil then
    local s = {}
    for d = 1, nd do s[d] = 1 end
    s[cdim] = Cn
    prod = prod * weight:reshape(s)
  end
  if reduction == "mean" then return -prod:sum() / (input:numel() / Cn) end
  if reduction == "sum" then return -prod:sum() end
  return -prod:sum(cdim)
end

-- F.cross_entropy(input, target, {weight, ignore_index=-100, reduction, label_smoothing=0})
local function cross_entropy(name, input, target, o)
  check_tensor(name, "input", input)
  check_tensor(name, "weight", o.weight)
  local ls = o.label_smoothing
  if type(ls) ~= "number" or ls < 0 or ls > 1 then
    fail(string.format("%s: label_smoothing must be between 0.0 and 1.0. Got: %s", name, tostring(ls)))
  end
  if is_probs(input, target) then return ce_probs(input, target, o.weight, o.reduction, ls) end
  local cdim = input:dim() == 1 and 1 or 2
  local logp = F.log_softmax(input, cdim)
  local nll, r, keep, total, kept = nll_parts(name, logp, target, o.weight, o.ignore_index, o.reduction)
  if ls == 0 then return nll end
  local Cn = r.shape[2]
  local lw = r
  if o.weight then lw = r * o.weight:reshape(1, Cn) end
  local smooth = -lw:sum(2) * keep
  local red
  if o.reduction == "mean" then
    -- normalized as nll_loss_nd: by the weights of the targets, or their count
    red = smooth:sum() / (o.weight and total or kept)
  elseif o.reduction == "sum" then
    red = smooth:sum()
  else
    red = smooth:reshape(none_shape(logp))
  end
  return nll * (1 - ls) + red * (ls / Cn)
end

-- whether a class loss needs the composed path (else the C loss does it)
local function class_needs_lua(o, input, target)
  if o.weight ~= nil or (o.label_smoothing or 0) ~= 0 then return true end
  if not dlt.is_tensor(input) then return false end
  if input:dim() > 2 then return true end
  if o.ignore_index_given then return true end
  -- PyTorch's default ignore_index -100 among the targets
  if dlt.is_tensor(target) and target:dim() > 0 and shape_str(target) ~= shape_str(input) then
    return target:eq(o.ignore_index):any():item()
  elseif type(target) == "table" then
    for _, v in ipairs(target) do if v == o.ignore_index then return true end end
  end
  return false
end

local CE_OPTS = { weight = false, ignore_index = -100, reduction = "mean", label_smoothing = 0.0 }
local NLL_OPTS = { weight = false, ignore_index = -100, reduction = "mean" }

local function class_opts(name, opts, allowed)
  local o = options(name, opts, allowed)
  o.ignore_index_given = opts ~= nil and opts.ignore_index ~= nil
  if type(o.ignore_index) ~= "number" then fail(name .. ": ignore_index must be a number") end
  return o
end

local function c_opts(o) return { reduction = o.reduction } end

function F.cross_entropy(input, target, opts)
  local ok, res = pcall(function()
    local o = class_opts("cross_entropy", opts, CE_OPTS)
    if not class_needs_lua(o, input, target) then return C.cross_entropy(input, target, c_opts(o)) end
    return cross_entropy("cross_entropy", input, target, o)
  end)
  if not ok then rethrow(res) end
  return res
end

function F.nll_loss(input, target, opts)
  local ok, res = pcall(function()
    local o = class_opts("nll_loss", opts, NLL_OPTS)
    if not class_needs_lua(o, input, target) then return C.nll_loss(input, target, c_opts(o)) end
    check_tensor("nll_loss", "input", input)
    check_tensor("nll_loss", "weight", o.weight)
    return (nll_parts("nll_loss", input, target, o.weight, o.ignore_index, o.reduction))
  end)
  if not ok then rethrow(res) end
  return res
end

local function check_same(name, input, target)
  check_tensor(name, "input", input)
  check_tensor(name, "target", target)
  if shape_str(input) ~= shape_str(target) then
    fail(string.format("%s: input shape %s and target shape %s differ", name, shape_str(input),
      shape_str(target)))
  end
end

-- BCE with a weight broadcast over the elementwise losses
local function bce(name, input, target, o)
  if o.weight == nil then return C.binary_cross_entropy(input, target, c_opts(o)) end
  check_tensor(name, "weight", o.weight)
  return reduce(C.binary_cross_entropy(input, target, { reduction = "none" }) * o.weight, o.reduction)
end

-- PyTorch 1.13's binary_cross_entropy_with_logits, op for op
local function bce_logits(name, input, target, o)
  if o.weight == nil and o.pos_weight == nil then
    return C.binary_cross_entropy_with_logits(input, target, c_opts(o))
  end
  check_same(name, input, target)
  check_tensor(name, "weight", o.weight)
  check_tensor(name, "pos_weight", o.pos_weight)
  local max_val = (-input):clamp(0, nil)
  local loss
  if o.pos_weight ~= nil then
    local log_weight = (o.pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * (((-max_val):exp() + (-input - max_val):exp()):log() + max_val)
  else
    loss = (1 - target) * input + max_val + ((-max_val):exp() + (-input - max_val):exp()):log()
  end
  if o.weight ~= nil then loss = loss * o.weight end
  return reduce(loss, o.reduction)
end

local BCE_OPTS = { weight = false, reduction = "mean" }
local BCEL_OPTS = { weight = false, pos_weight = false, reduction = "mean" }

function F.binary_cross_entropy(input, target, opts)
  local ok, res = pcall(function()
    return bce("binary_cross_entropy", input, target, options("binary_cross_entropy", opts, BCE_OPTS))
  end)
  if not ok then rethrow(res) end
  return res
end

function F.binary_cross_entropy_with_logits(input, target, opts)
  local ok, res = pcall(function()
    local name = "binary_cross_entropy_with_logits"
    return bce_logits(name, input, target, options(name, opts, BCEL_OPTS))
  end)
  if not ok then rethrow(res) end
  return res
end

-- |x-y| < beta: 0.5 (x-y)^2 / beta, else |x-y| - 0.5 beta (beta 0: L1)
local function smooth_l1(name, input, target, o)
  check_same(name, input, target)
  if type(o.beta) ~= "number" or o.beta < 0 then
    fail(name .. ": smooth_l1_loss does not support negative values for beta")
  end
  local z = (input - target):abs()
  if o.beta == 0 then return reduce(z, o.reduction) end
  return reduce(dlt.where(z:lt(o.beta), z * 0.5 * z / o.beta, z - 0.5 * o.beta), o.reduction)
end

-- |x-y| < delta: 0.5 (x-y)^2, else delta (|x-y| - 0.5 delta)
local function huber(name, input, target, o)
  check_same(name, input, target)
  if type(o.delta) ~= "number" or o.delta <= 0 then
    fail(name .. ": huber_loss does not support non-positive values for delta")
  end
  local z = (input - target):abs()
  return reduce(dlt.where(z:lt(o.delta), z * 0.5 * z, (z - 0.5 * o.delta) * o.delta), o.reduction)
end

-- KL(target || input) with input log-probabilities: target (log target - input), 0
-- where target is 0 (xlogy); log_target: exp(target) (target - input)
local function kl_div(name, input, target, o)
  check_same(name, input, target)
  local loss
  if o.log_target then
    loss = target:exp() * (target - input)
  else
    local zero = target:eq(0)
    local safe = dlt.where(zero, target + 1, target)   -- log(1) = 0 where target is 0
    loss = dlt.where(zero, target * 0, target * safe:log()) - target * input
  end
  if o.reduction == "batchmean" then
    if input:dim() == 0 then return loss:sum() end
    return loss:sum() / input.shape[1]
  end
  return reduce(loss, o.reduction)
end

local SL1_OPTS = { reduction = "mean", beta = 1.0 }
local HUBER_OPTS = { reduction = "mean", delta = 1.0 }
local KL_OPTS = { reduction = "mean", log_target = false }

local function functional(fname, fn, allowed)
  F[fname] = function(input, target, opts)
    local ok, res = pcall(function() return fn(fname, input, target, options(fname, opts, allowed)) end)
    if not ok then rethrow(res) end
    return res
  end
end
functional("smooth_l1_loss", smooth_l1, SL1_OPTS)
functional("huber_loss", huber, HUBER_OPTS)
functional("kl_div", kl_div, KL_OPTS)

-- ---- the modules ----

-- a loss module class name(opts): its options are fields (weight and pos_weight
-- buffers, as in PyTorch's state_dict); forward(input, target) calls fn
local function loss_class(name, allowed, fn, extra)
  local cls = Module:extend(name)
  function cls:init(opts)
    local o = options(name, opts, allowed)
    if o.ignore_index ~= nil then
      o.ignore_index_given = opts ~= nil and opts.ignore_index ~= nil
      if type(o.ignore_index) ~= "number" then fail(name .. ": ignore_index must be a number") end
    end
    for _, k in ipairs({ "weight", "pos_weight" }) do
      if o[k] ~= nil then
        check_tensor(name, k, o[k])
        self:register_buffer(k, o[k])
      end
    end
    rawset(self, "_o", o)
    for k, v in pairs(o) do
      if k ~= "weight" and k ~= "pos_weight" and k ~= "ignore_index_given" then rawset(self, k, v) end
    end
    if extra then extra(self, o) end
  end
  function cls:forward(input, target)
    local o = rawget(self, "_o")
    -- read the fields afresh (a script may change loss.reduction)
    for k in pairs(allowed) do
      local v = rawget(self, k)
      if v ~= nil then o[k] = v end
    end
    local ok, res = pcall(fn, self, name, input, target, o)
    if not ok then rethrow(res) end
    return res
  end
  nn[name] = function(opts)
    local ok, res = pcall(cls, opts)
    if not ok then rethrow(res) end
    return res
  end
  return cls
end

-- the C module of the plain case, made again when the reduction changed
local function plain(self, ctor, o)
  local c = rawget(self, "_c")
  if not c or c.reduction ~= o.reduction then
    c = ctor({ reduction = o.reduction })
    rawset(self, "_c", c)
  end
  return c
end

loss_class("CrossEntropyLoss", CE_OPTS, function(self, name, input, target, o)
  if not class_needs_lua(o, input, target) then return plain(self, C.CrossEntropyLoss, o)(input, target) end
  return cross_entropy(name, input, target, o)
end)

loss_class("NLLLoss", NLL_OPTS, function(self, name, input, target, o)
  if not class_needs_lua(o, input, target) then return plain(self, C.NLLLoss, o)(input, target) end
  check_tensor(name, "input", input)
  return (nll_parts(name, input, target, o.weight, o.ignore_index, o.reduction))
end)

-- BCELoss and BCEWithLogitsLoss stay the C modules unless given a weight
local BCELossW = loss_class("BCELoss", BCE_OPTS, function(_, name, input, target, o)
  return bce(name, input, target, o)
end)
local BCEL = loss_class("BCEWithLogitsLoss", BCEL_OPTS, function(_, name, input, target, o)
  return bce_logits(name, input, target, o)
end)
nn.BCELoss = function(opts)
  if opts == nil or type(opts) ~= "table" or opts.weight == nil then return C.BCELoss(opts) end
  local ok, res = pcall(BCELossW, opts)
  if not ok then rethrow(res) end
  return res
end
nn.BCEWithLogitsLoss = function(opts)
  if opts == nil or type(opts) ~= "table" or (opts.weight == nil and opts.pos_weight == nil) then
    return C.BCEWithLogitsLoss(opts)
  end
  local ok, res = pcall(BCEL, opts)
  if not ok then rethrow(res) end
  return res
end

loss_class("SmoothL1Loss", SL1_OPTS, function(_, name, input, target, o)
  return smooth_l1(name, input, target, o)
end)
loss_class("HuberLoss", HUBER_OPTS, function(_, name, input, target, o)
  return huber(name, input, target, o)
end)
loss_class("KLDivLoss", KL_OPTS, function(_, name, input, target, o)
  return kl_div(name, input, target, o)
end)

return nn
