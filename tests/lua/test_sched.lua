-- test_sched.lua: every scheduler's learning rates (and OneCycleLR's momentum) over
-- 100 epochs against PyTorch's (tests/fixtures/sched.lua from tests/golden/gen_sched.py)
-- to 1e-9 relative, two param groups each; plus the notebook's warmup-then-cosine.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local optim = dlt.optim
local S = optim.lr_scheduler
local F = dofile("tests/fixtures/sched.lua")

-- the generator's named lambdas
local LAMBDAS = {
  exp095 = function(e) return 0.95 ^ e end,
  warmup_cosine = function(e)
    if e < 10 then return e / 10 end
    return 0.5 * (1 + math.cos(math.pi * (e - 10) / 90))
  end,
  step_half = function(e) return 0.5 ^ (e // 25) end,
  mult097 = function() return 0.97 end,
  cycle_sqrt = function(c) return 1 / math.sqrt(c) end,
  iter_decay = function(t) return 1 / (1 + 0.02 * t) end,
}

local function make_opt(kind)
  local a = dlt.zeros(2, { requires_grad = true })
  local b = dlt.zeros(3, { requires_grad = true })
  if kind == "Adam" then
    return optim.Adam({ { params = { a } }, { params = { b }, lr = 0.05 } }, { lr = 0.1 })
  end
  return optim.SGD({ { params = { a } }, { params = { b }, lr = 0.05 } },
    { lr = 0.1, momentum = 0.9 })
end

local function build(opt, name, opts)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  if name == "LambdaLR" or name == "MultiplicativeLR" then
    if type(o.lr_lambda) == "table" then
      local fs = {}
      for i, n in ipairs(o.lr_lambda) do fs[i] = LAMBDAS[n] end
      o.lr_lambda = fs
    else
      o.lr_lambda = LAMBDAS[o.lr_lambda]
    end
  elseif name == "CyclicLR" and o.scale_fn then
    o.scale_fn = LAMBDAS[o.scale_fn]
  elseif name == "SequentialLR" then
    local list = {}
    for i, s in ipairs(o.schedulers) do list[i] = build(opt, s.name, s.opts) end
    o.schedulers = list
  end
  return S[name](opt, o)
end

local function describe(c)
  local parts = {}
  for k, v in pairs(c.opts) do
    if type(v) ~= "table" then parts[#parts + 1] = k .. "=" .. tostring(v) end
  end
  table.sort(parts)
  return c.sched .. "(" .. table.concat(parts, " ") .. ") on " .. c.optim
end

for ci, c in ipairs(F.cases) do
  T.test(string.format("#%d %s matches PyTorch for %d epochs", ci, describe(c), F.epochs),
    function()
      local opt = make_opt(c.optim)
      local sched = build(opt, c.sched, c.opts)
      for e = 1, F.epochs do
        local lrs, moms = {}, {}
        for i, g in ipairs(opt.param_groups) do
          lrs[i] = g.lr
          moms[i] = c.optim == "Adam" and g.betas[1] or g.momentum
        end
        T.close(lrs, c.lr[e], 1e-9, 0, "lr at epoch " .. e)
        T.close(sched:get_last_lr(), c.last[e], 1e-9, 0, "get_last_lr at epoch " .. e)
        T.close(moms, c.momentum[e], 1e-9, 0, "momentum at epoch " .. e)
        if c.sched == "ReduceLROnPlateau" then sched:step(F.metrics[e]) else sched:step() end
      end
    end)
end

T.test("the notebook's warmup-then-cosine is LambdaLR and SequentialLR", function()
  local function warmup_cosine_schedule(epoch, warmup, total, max_lr)
    if epoch < warmup then return max_lr * (epoch / warmup) end
    local progress = (epoch - warmup) / (total - warmup)
    return max_lr * 0.5 * (1 + math.cos(math.pi * progress))
  end
  local x = dlt.zeros(1, { requires_grad = true })
  local opt = optim.SGD({ x }, { lr = 0.1 })
  local sched = S.LambdaLR(opt, { lr_lambda = function(e)
    return warmup_cosine_schedule(e, 10, 100, 1.0)
  end })
  for e = 0, 99 do
    T.close(opt.param_groups[1].lr, warmup_cosine_schedule(e, 10, 100, 0.1), 1e-12, 1e-15,
      "LambdaLR epoch " .. e)
    sched:step()
  end
  -- with SequentialLR: linear warmup from lr/10, then cosine over the rest
  local opt2 = optim.SGD({ dlt.zeros(1, { requires_grad = true }) }, { lr = 0.1 })
  local seq = S.SequentialLR(opt2, {
    schedulers = { S.LinearLR(opt2, { start_factor = 0.1, total_iters = 10 }),
      S.CosineAnnealingLR(opt2, { T_max = 90 }) },
    milestones = { 10 } })
  for e = 0, 99 do
    local want = e < 10 and 0.1 * (0.1 + 0.9 * e / 10)
      or 0.1 * 0.5 * (1 + math.cos(math.pi * (e - 10) / 90))
    T.close(opt2.param_groups[1].lr, want, 1e-9, 1e-15, "SequentialLR epoch " .. e)
    seq:step()
  end
end)

T.test("OneCycleLR stepped past total_steps is an error with PyTorch's count", function()
  local opt = make_opt("SGD")
  local sched = S.OneCycleLR(opt, { max_lr = 0.1, total_steps = 10 })
  for _ = 1, 10 do sched:step() end
  local err = T.raises(function() sched:step() end, "tried to step 12 times")
  T.eq(err:find("total steps is 10", 1, true) ~= nil, true, "names total_steps")
  T.eq(F.onecycle_error:lower():find("tried to step 12 times", 1, true) ~= nil, true,
    "PyTorch's count")
end)

T.test("scheduler state_dict/load_state_dict resumes the schedule", function()
  local opt = make_opt("SGD")
  local sched = S.CosineAnnealingLR(opt, { T_max = 20, eta_min = 0.001 })
  for _ = 1, 7 do sched:step() end
  local sd, osd = sched:state_dict(), opt:state_dict()
  local ref = {}
  for e = 1, 30 do sched:step(); ref[e] = sched:get_last_lr() end
  local opt2 = make_opt("SGD")
  opt2:load_state_dict(osd)
  local sched2 = S.CosineAnnealingLR(opt2, { T_max = 20, eta_min = 0.001 })
  sched2:load_state_dict(sd)
  for _, g in ipairs(opt2.param_groups) do g.lr = g.lr end
  for e = 1, 30 do
    sched2:step()
    T.close(sched2:get_last_lr(), ref[e], 1e-12, 0, "resumed epoch " .. e)
  end
end)

T.test("ReduceLROnPlateau accepts a one-element tensor metric", function()
  local opt = make_opt("SGD")
  local sched = S.ReduceLROnPlateau(opt, { patience = 0 })
  sched:step(dlt.tensor(1.0))
  sched:step(dlt.tensor(2.0))
  T.close(sched:get_last_lr(), { 0.01, 0.005 }, 1e-12)
end)

T.test("ChainedScheduler steps every scheduler each epoch", function()
  local opt = make_opt("SGD")
  local chained = S.ChainedScheduler({ S.ExponentialLR(opt, { gamma = 0.9 }),
    S.StepLR(opt, { step_size = 3, gamma = 0.5 }) })
  for e = 1, 9 do
    chained:step()
    local want = 0.1 * 0.9 ^ e * 0.5 ^ (e // 3)
    T.close(chained:get_last_lr()[1], want, 1e-12, 0, "epoch " .. e)
  end
end)

for _, c in ipairs({
  { "CyclicLR", { base_lr = 0.01, max_lr = 0.1, step_size_up = 8, step_size_down = 12,
    mode = "triangular2" } },
  { "SWALR", { swa_lr = 0.02, anneal_epochs = 20 } },
  { "PolynomialLR", { total_iters = 40, power = 2.0 } },
}) do
  T.test(c[1] .. " resumed from its state_dict at epoch 13 continues the schedule", function()
    local opt = make_opt("SGD")
    local sched = S[c[1]](opt, c[2])
    for _ = 1, 13 do sched:step() end
    local sd, osd = sched:state_dict(), opt:state_dict()
    local ref, mom = {}, {}
    for e = 1, 40 do
      sched:step()
      ref[e], mom[e] = sched:get_last_lr(), opt.param_groups[1].momentum
    end
    local opt2 = make_opt("SGD")
    local sched2 = S[c[1]](opt2, c[2])
    opt2:load_state_dict(osd)
    sched2:load_state_dict(sd)
    for e = 1, 40 do
      sched2:step()
      T.close(sched2:get_last_lr(), ref[e], 1e-12, 0, "resumed epoch " .. e)
      T.close(opt2.param_groups[1].momentum, mom[e], 1e-12, 0, "momentum at resumed epoch " .. e)
    end
  end)
end

T.test("ChainedScheduler or ReduceLROnPlateau inside SequentialLR is a named error", function()
  local opt = make_opt("SGD")
  local chained = S.ChainedScheduler({ S.ExponentialLR(opt, { gamma = 0.9 }),
    S.StepLR(opt, { step_size = 3 }) })
  T.raises(function()
    S.SequentialLR(opt, { schedulers = { S.LinearLR(opt), chained }, milestones = { 5 } })
  end, "SequentialLR: scheduler 2 is a ChainedScheduler, which SequentialLR cannot run")
  T.raises(function()
    S.SequentialLR(opt, { schedulers = { S.ReduceLROnPlateau(opt), S.LinearLR(opt) },
      milestones = { 5 } })
  end, "SequentialLR: scheduler 1 is a ReduceLROnPlateau")
end)

T.test("CyclicLR and SWALR check their options by name", function()
  local opt = make_opt("SGD")
  T.raises(function() S.CyclicLR(opt, { max_lr = 0.1 }) end, "CyclicLR: missing option 'base_lr'")
  T.raises(function() S.CyclicLR(opt, { base_lr = 0.1, max_lr = 1, mode = "tri" }) end,
    "CyclicLR: mode is invalid and scale_fn is None")
  T.raises(function() S.CyclicLR(opt, { base_lr = { 0.1 }, max_lr = 1 }) end,
    "CyclicLR: expected 2 values for base_lr, got 1")
  local ada = optim.Adagrad({ dlt.zeros(2, { requires_grad = true }) })
  T.raises(function() S.CyclicLR(ada, { base_lr = 0.1, max_lr = 1 }) end,
    "CyclicLR: optimizer must support momentum with `cycle_momentum` option enabled")
  S.CyclicLR(ada, { base_lr = 0.1, max_lr = 1, cycle_momentum = false })
  T.raises(function()
    S.CyclicLR(make_opt("SGD"), { base_lr = 0.1, max_lr = 1, scale_fn = function() return "x" end })
  end, "CyclicLR: scale_fn returned string")
  T.raises(function() S.SWALR(opt, { swa_lr = 0.1, anneal_strategy = "exp" }) end,
    "SWALR: anneal_strategy must by one of 'cos' or 'linear', instead got exp")
  T.raises(function() S.SWALR(opt, { swa_lr = 0.1, anneal_epochs = 1.5 }) end,
    "SWALR: anneal_epochs must be equal or greater than 0, got 1.5")
  T.raises(function() S.SWALR(opt, { swa_lr = { 1, 2, 3 } }) end,
    "SWALR: swa_lr must have the same length as optimizer.param_groups")
  T.eq(optim.swa_utils.SWALR, S.SWALR, "SWALR also in swa_utils")
end)

T.test("junk written into a scheduler or its optimizer after many steps is named at the next step", function()
  -- the checks are paid once and then only for what changed (lr_scheduler.lua's noted
  -- state): each kind of change is still found after the steps that noted it
  local function stepped(make)
    local opt = optim.SGD({ dlt.randn(2):requires_grad_() }, { lr = 0.1 })
    local s = make(opt)
    for _ = 1, 5 do s:step() end
    return s, opt
  end
  local cases = {
    { function(s) s.gamma = "x" end, "StepLR.step: field 'gamma' must be a number, got string" },
    { function(s) s.last_epoch = nil end, "StepLR.step: field 'last_epoch' must be a number, got nil" },
    { function(s) s.base_lrs = "x" end, "StepLR.step: field 'base_lrs' must be a table, got string" },
    { function(s) s.base_lrs[1] = "x" end, "StepLR.step: base_lrs[1] must be a number, got string" },
    { function(s) s.verbose = 1 end, "StepLR.step: field 'verbose' must be a boolean, got number" },
    { function(s) s.optimizer = {} end, "StepLR.step: field 'optimizer' must be an Optimizer, got table" },
    { function(_, opt) opt.param_groups[1].lr = "x" end,
      "StepLR.step: optimizer.param_groups[1].lr must be a number, got string" },
    { function(_, opt) opt.param_groups[1] = { lr = {} } end,
      "StepLR.step: optimizer.param_groups[1].lr must be a number, got table" },
    { function(_, opt) opt.param_groups[2] = { lr = "y", params = {} } end,
      "StepLR.step: optimizer.param_groups[2].lr must be a number, got string" },
  }
  for i, c in ipairs(cases) do
    local s, opt = stepped(function(opt) return S.StepLR(opt, { step_size = 2 }) end)
    c[1](s, opt)
    T.raises(function() s:step() end, c[2], "case " .. i)
  end
  -- and a scheduler left alone keeps stepping as before
  local s, opt = stepped(function(opt) return S.StepLR(opt, { step_size = 2, gamma = 0.5 }) end)
  s:step()
  T.close(opt.param_groups[1].lr, 0.1 * 0.5 ^ 3, 1e-12, 0, "lr after 7 steps")
  -- a loaded state_dict's fields are checked whole at the next step
  s:load_state_dict({ last_epoch = "x" })
  T.raises(function() s:step() end, "StepLR.step: field 'last_epoch' must be a number, got string")
end)

T.test("junk written into an optimizer's lists after many steps is named at the next step", function()
  local function stepped()
    local p = dlt.randn(3):requires_grad_()
    local opt = optim.AdamW({ p }, { lr = 0.1 })
    for _ = 1, 5 do
      p.grad = nil
      p:sum():backward()
      opt:step()
    end
    return opt
  end
  local cases = {
    { function(opt) opt.param_groups = 5 end, "AdamW.step: param_groups must be a list of groups, got number" },
    { function(opt) opt.state = 5 end, "AdamW.step: state must be a table, got number" },
    { function(opt) opt.param_groups[1].params = nil end,
      "AdamW.step: param_groups[1].params must be a list of tensors, got nil" },
    { function(opt) opt.param_groups[2] = 7 end, "AdamW.step: param_groups[2] must be a table, got number" },
    { function(opt) opt.param_groups[1] = { params = 3, lr = 0.1 } end,
      "AdamW.step: param_groups[1].params must be a list of tensors, got number" },
  }
  for i, c in ipairs(cases) do
    local opt = stepped()
    c[1](opt)
    T.raises(function() opt:step() end, c[2], "case " .. i)
  end
end)

T.run()
