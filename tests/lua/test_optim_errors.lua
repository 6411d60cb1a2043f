-- test_optim_errors.lua: bad input to the optimizers and schedulers is a Lua error
-- whose message names the function and the value, worded after PyTorch's.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local optim = dlt.optim
local S = optim.lr_scheduler

local function param()
  return dlt.tensor({ 1.0, 2.0 }, { requires_grad = true })
end

T.test("a negative learning rate", function()
  T.raises(function() optim.SGD({ param() }, { lr = -1 }) end, "SGD: invalid learning rate: -1")
  T.raises(function() optim.Adam({ param() }, { lr = -0.5 }) end,
    "Adam: invalid learning rate: -0.5")
  T.raises(function() optim.RMSprop({ { params = { param() }, lr = -2 } }) end,
    "RMSprop: invalid learning rate: -2 (param_groups[1])")
end)

T.test("a negative eps", function()
  T.raises(function() optim.Adam({ param() }, { eps = -1e-8 }) end,
    "Adam: invalid epsilon value: -1e-08")
  T.raises(function() optim.Adagrad({ param() }, { eps = -1 }) end,
    "Adagrad: invalid epsilon value: -1")
end)

T.test("betas outside [0, 1)", function()
  T.raises(function() optim.Adam({ param() }, { betas = { 1.0, 0.999 } }) end,
    "Adam: invalid beta parameter at index 1: 1")
  T.raises(function() optim.AdamW({ param() }, { betas = { 0.9, -0.1 } }) end,
    "AdamW: invalid beta parameter at index 2: -0.1")
  T.raises(function() optim.NAdam({ param() }, { betas = { 0.9 } }) end,
    "NAdam: option 'betas' must be a list of two numbers")
end)

T.test("nesterov without momentum or with dampening", function()
  T.raises(function() optim.SGD({ param() }, { lr = 0.1, nesterov = true }) end,
    "SGD: Nesterov momentum requires a momentum and zero dampening")
  T.raises(function()
    optim.SGD({ param() }, { lr = 0.1, momentum = 0.9, dampening = 0.1, nesterov = true })
  end, "SGD: Nesterov momentum requires a momentum and zero dampening")
end)

T.test("other negative or out-of-range options", function()
  T.raises(function() optim.SGD({ param() }, { lr = 0.1, momentum = -1 }) end,
    "SGD: invalid momentum value: -1")
  T.raises(function() optim.SGD({ param() }, { lr = 0.1, weight_decay = -1 }) end,
    "SGD: invalid weight_decay value: -1")
  T.raises(function() optim.RMSprop({ param() }, { alpha = -1 }) end,
    "RMSprop: invalid alpha value: -1")
  T.raises(function() optim.Adagrad({ param() }, { lr_decay = -1 }) end,
    "Adagrad: invalid lr_decay value: -1")
  T.raises(function() optim.Adadelta({ param() }, { rho = 1.5 }) end,
    "Adadelta: invalid rho value: 1.5")
  T.raises(function() optim.NAdam({ param() }, { momentum_decay = -1 }) end,
    "NAdam: invalid momentum_decay value: -1")
  T.raises(function() optim.Adam({ param() }, { lr = 0 / 0 }) end,
    "Adam: invalid learning rate: nan")
end)

T.test("an unknown option key, in the options or in a group", function()
  T.raises(function() optim.Adam({ param() }, { lr = 0.1, momentum = 0.9 }) end,
    "Adam: unknown option 'momentum'")
  T.raises(function() optim.SGD({ { params = { param() }, lrr = 0.1 } }, { lr = 0.1 }) end,
    "SGD: unknown option 'lrr' (param_groups[1])")
end)

T.test("a wrongly typed option", function()
  T.raises(function() optim.SGD({ param() }, { lr = "0.1" }) end,
    "SGD: option 'lr' must be a number")
  T.raises(function() optim.Adam({ param() }, { amsgrad = 1 }) end,
    "Adam: option 'amsgrad' must be a boolean")
  -- a number is the learning rate (PyTorch's positional lr); other non-tables are errors
  T.raises(function() optim.Adam({ param() }, "0.1") end,
    "Adam: options must be a table or a learning rate, got string")
end)

T.test("SGD without a learning rate", function()
  T.raises(function() optim.SGD({ param() }) end,
    "SGD: parameter group (param_groups[1]) didn't specify a value of required " ..
    "optimization parameter lr")
end)

T.test("an empty parameter list", function()
  T.raises(function() optim.Adam({}) end, "Adam: optimizer got an empty parameter list")
  T.raises(function() optim.SGD({ { params = {} } }, { lr = 0.1 }) end,
    "SGD: optimizer got an empty parameter list")
end)

T.test("a parameter that does not require grad, or is not a leaf", function()
  local x = dlt.tensor({ 1.0, 2.0 })
  T.raises(function() optim.SGD({ param(), x }, { lr = 0.1 }) end,
    "SGD: parameter 2 of group 1 does not require grad")
  local y = param() * 2
  T.raises(function() optim.Adam({ y }) end, "Adam: parameter 1 of group 1 is not a leaf tensor")
  T.raises(function() optim.Adam({ param(), 3 }) end,
    "Adam: parameter 2 of group 1 is not a tensor")
end)

T.test("params given as a single tensor, or not a list", function()
  T.raises(function() optim.SGD(param(), { lr = 0.1 }) end,
    "SGD: params must be a list of tensors or of group tables, got a single tensor")
  T.raises(function() optim.SGD(nil, { lr = 0.1 }) end,
    "SGD: params must be a list of tensors or of group tables, got nil")
end)

T.test("the same parameter twice", function()
  local p = param()
  T.raises(function() optim.SGD({ p, p }, { lr = 0.1 }) end, "SGD: some parameters appear more than once")
  T.raises(function() optim.SGD({ { params = { p } }, { params = { p } } }, { lr = 0.1 }) end,
    "SGD: some parameters appear more than once (parameter 1 of group 2)")
end)

T.test("a group value broken from Lua fails at the next step, naming it", function()
  local p = param()
  local opt = optim.SGD({ p }, { lr = 0.1 })
  p.grad = dlt.ones(2)
  opt.param_groups[1].lr = "fast"
  T.raises(function() opt:step() end, "SGD.step: param_groups[1].lr must be a number, got string")
  local opt2 = optim.Adam({ param() })
  opt2.param_groups[1].betas = 0.9
  opt2.param_groups[1].params[1].grad = dlt.ones(2)
  T.raises(function() opt2:step() end, "Adam.step: param_groups[1].betas must be a list")
  T.raises(function() opt2:step(42) end, "Adam.step: closure must be a function, got number")
end)

T.test("load_state_dict of another optimizer's shape", function()
  local a = optim.Adam({ param() })
  local b = optim.Adam({ { params = { param() } }, { params = { param() } } })
  T.raises(function() a:load_state_dict(b:state_dict()) end,
    "Adam.load_state_dict: loaded state dict has 2 parameter groups, the optimizer has 1")
  local c = optim.Adam({ param(), param() })
  T.raises(function() a:load_state_dict(c:state_dict()) end, "doesn't match the size")
  local big = dlt.tensor({ 1.0, 2.0, 3.0 }, { requires_grad = true })
  local d = optim.Adam({ big })
  big.grad = dlt.ones(3)
  d:step()
  local e = optim.Adam({ param() })
  T.raises(function() e:load_state_dict(d:state_dict()) end, "has shape {3}, the parameter {2}")
  T.raises(function() e:load_state_dict(42) end, "Adam.load_state_dict: expected a table")
end)

T.test("a scheduler given something that is not an optimizer", function()
  T.raises(function() S.StepLR({}, { step_size = 3 }) end, "StepLR: a table is not an Optimizer")
  T.raises(function() S.CosineAnnealingLR(nil, { T_max = 3 }) end,
    "CosineAnnealingLR: nil is not an Optimizer")
  T.raises(function() S.ReduceLROnPlateau("adam") end,
    "ReduceLROnPlateau: string is not an Optimizer")
  T.raises(function() S.OneCycleLR(dlt.ones(2), { max_lr = 1, total_steps = 3 }) end,
    "OneCycleLR: userdata is not an Optimizer")
end)

T.test("scheduler options: missing, unknown, out of range", function()
  local opt = optim.SGD({ param() }, { lr = 0.1 })
  T.raises(function() S.StepLR(opt) end, "StepLR: missing option 'step_size'")
  T.raises(function() S.StepLR(opt, { step_size = 3, gama = 0.5 }) end,
    "StepLR: unknown option 'gama'")
  T.raises(function() S.StepLR(opt, { step_size = 0 }) end,
    "StepLR: step_size must be a positive integer, got 0")
  T.raises(function() S.ExponentialLR(opt) end, "ExponentialLR: missing option 'gamma'")
  T.raises(function() S.LinearLR(opt, { start_factor = 0 }) end,
    "LinearLR: starting multiplicative factor expected to be greater than 0")
  T.raises(function() S.LinearLR(opt, { end_factor = 2 }) end,
    "LinearLR: ending multiplicative factor expected to be between 0 and 1")
  T.raises(function() S.CosineAnnealingWarmRestarts(opt, { T_0 = 0 }) end,
    "CosineAnnealingWarmRestarts: expected positive integer T_0, but got 0")
  T.raises(function() S.CosineAnnealingWarmRestarts(opt, { T_0 = 2, T_mult = 0 }) end,
    "expected integer T_mult >= 1, but got 0")
  T.raises(function() S.ReduceLROnPlateau(opt, { factor = 1 }) end,
    "ReduceLROnPlateau: factor should be < 1.0")
  T.raises(function() S.ReduceLROnPlateau(opt, { mode = "up" }) end,
    "ReduceLROnPlateau: mode up is unknown!")
  T.raises(function() S.ReduceLROnPlateau(opt, { threshold_mode = "x" }) end,
    "ReduceLROnPlateau: threshold mode x is unknown!")
  T.raises(function() S.ReduceLROnPlateau(opt):step("low") end,
    "ReduceLROnPlateau.step: metric must be a number, got string")
  T.raises(function() S.OneCycleLR(opt, { max_lr = 0.1 }) end,
    "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)")
  T.raises(function() S.OneCycleLR(opt, { max_lr = 0.1, total_steps = 10,
    anneal_strategy = "exp" }) end, "anneal_strategy must be one of 'cos' or 'linear'")
  T.raises(function() S.OneCycleLR(opt, { max_lr = { 0.1, 0.2 }, total_steps = 10 }) end,
    "OneCycleLR: expected 1 values for max_lr, got 2")
  local ada = optim.Adagrad({ param() })
  T.raises(function() S.OneCycleLR(ada, { max_lr = 0.1, total_steps = 10 }) end,
    "optimizer must support momentum with `cycle_momentum` option enabled")
  T.raises(function() S.LambdaLR(opt, { lr_lambda = 3 }) end,
    "LambdaLR: lr_lambda must be a function or a list of functions")
  T.raises(function() S.LambdaLR(opt, { lr_lambda = { math.abs, math.abs } }) end,
    "LambdaLR: expected 1 lr_lambdas, but got 2")
  local bad = S.LambdaLR(opt, { lr_lambda = function(e) return e == 0 and 1 or "x" end })
  T.raises(function() bad:step() end, "LambdaLR: lr_lambda returned string for epoch 1")
  local other = optim.SGD({ param() }, { lr = 0.1 })
  T.raises(function()
    S.SequentialLR(opt, { schedulers = { S.StepLR(other, { step_size = 2 }) }, milestones = {} })
  end, "Sequential Schedulers expects all schedulers to belong to the same optimizer")
  T.raises(function()
    S.SequentialLR(opt, { schedulers = { S.StepLR(opt, { step_size = 2 }) }, milestones = { 3 } })
  end, "number of schedulers 1 and the number of milestones to be equal to 1")
end)

T.run()
