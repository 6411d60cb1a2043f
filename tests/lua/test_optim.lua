-- test_optim.lua: every optimizer under every option against PyTorch's trajectories
-- (tests/fixtures/optim.lua from tests/golden/gen_optim.py), 40 steps on a Rosenbrock
-- chain with the gradient set in closed form: float64 to 1e-9 relative, float32 to
-- 1e-5 (its final optimizer state to 1e-4); LBFGS with its closure. Also param groups,
-- schedulers writing param_groups, step(closure), zero_grad, state_dict resumption, a
-- number as the learning rate and PyTorch's implementation options.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local optim = dlt.optim
local F = dofile("tests/fixtures/optim.lua")

-- gradient of sum_i (1 - x_i)^2 + 10 (x_{i+1} - x_i^2)^2, in the generator's order
local function rosen_grad(x)
  local g = {}
  for i = 1, #x do g[i] = 0.0 end
  for i = 1, #x - 1 do
    local a = 1 - x[i]
    local b = x[i + 1] - x[i] * x[i]
    g[i] = g[i] + (-2 * a - 40 * x[i] * b)
    g[i + 1] = g[i + 1] + 20 * b
  end
  return g
end

local function set_grad(p, sign)
  local g = rosen_grad(p:totable())
  for i = 1, #g do g[i] = (sign or 1) * g[i] end
  p.grad = dlt.tensor(g, { dtype = p.dtype })
end

local function describe(c)
  local keys = {}
  for k, v in pairs(c.opts) do
    keys[#keys + 1] = k .. "=" .. (type(v) == "table" and ("{" .. table.concat(v, ",") .. "}")
      or tostring(v))
  end
  table.sort(keys)
  return string.format("%s(%s) %s", c.optim, table.concat(keys, " "), c.dtype)
end

local function tol(dtype) return dtype == "float64" and 1e-9 or 1e-5 end

for _, c in ipairs(F.cases) do
  local name = describe(c)
  local sign = c.opts.maximize and -1 or 1
  T.test(name .. " matches PyTorch for " .. F.steps .. " steps", function()
    local x = dlt.tensor(F.x0, { dtype = c.dtype, requires_grad = true })
    local opt = optim[c.optim]({ x }, c.opts)
    for s = 1, F.steps do
      opt:zero_grad()
      set_grad(x, sign)
      opt:step()
      T.close(x, c.traj[s], tol(c.dtype), 1e-12, name .. " step " .. s)
    end
    -- the state PyTorch keeps (moments, step counts, ASGD's eta, mu and average, ...)
    local st = opt.state[x]
    for k, want in pairs(c.state) do
      local got = st[k]
      if got == nil then error(name .. ": no state '" .. k .. "'") end
      if type(got) ~= "number" then got = got:totable() end
      -- float32: the states carry PyTorch's fused multiply-add roundings forward (1e-4)
      T.close(got, want, c.dtype == "float64" and 1e-9 or 1e-4, 1e-12, name .. " state " .. k)
    end
  end)
  T.test(name .. " resumed from state_dict at step 15 continues exactly", function()
    local x = dlt.tensor(F.x0, { dtype = c.dtype, requires_grad = true })
    local opt = optim[c.optim]({ x }, c.opts)
    for _ = 1, 15 do
      opt:zero_grad()
      set_grad(x, sign)
      opt:step()
    end
    local sd = opt:state_dict()
    -- a fresh parameter and optimizer, as a new process would have
    local y = dlt.tensor(x:totable(), { dtype = c.dtype, requires_grad = true })
    local opt2 = optim[c.optim]({ y }, c.opts)
    -- keep training the first one a little: the dict must not follow it
    set_grad(x, sign)
    opt:step()
    opt2:load_state_dict(sd)
    for s = 16, F.steps do
      opt2:zero_grad()
      set_grad(y, sign)
      opt2:step()
      T.close(y, c.traj[s], tol(c.dtype), 1e-12, name .. " resumed step " .. s)
    end
  end)
end

T.test("step(closure) evaluates the closure, returns its loss and steps", function()
  local c = F.cases[2]
  local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
  local opt = optim[c.optim]({ x }, c.opts)
  for s = 1, F.steps do
    local calls = 0
    local loss = opt:step(function()
      calls = calls + 1
      opt:zero_grad()
      set_grad(x)
      return 42 + s
    end)
    T.eq(loss, 42 + s, "closure's loss")
    T.eq(calls, 1, "closure calls")
    T.close(x, c.traj[s], 1e-9, 1e-12, "closure step " .. s)
  end
end)

for _, c in ipairs(F.groups) do
  T.test(c.optim .. " with two param groups of their own options matches PyTorch", function()
    local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
    local y = dlt.tensor(F.y0, { dtype = "float64", requires_grad = true })
    local g2 = { params = { y } }
    for k, v in pairs(c.group2) do g2[k] = v end
    local opt = optim[c.optim]({ { params = { x } }, g2 }, c.opts)
    T.eq(#opt.param_groups, 2, "groups")
    T.eq(opt.param_groups[2].lr, c.group2.lr or c.opts.lr, "group 2 lr")
    T.eq(opt.param_groups[1].lr, c.opts.lr, "group 1 lr from the defaults")
    for s = 1, F.steps do
      opt:zero_grad()
      set_grad(x)
      set_grad(y)
      opt:step()
      T.close(x, c.x[s], 1e-9, 1e-12, "x step " .. s)
      T.close(y, c.y[s], 1e-9, 1e-12, "y step " .. s)
    end
  end)
end

for _, c in ipairs(F.scheduled) do
  T.test(c.optim .. " driven by " .. c.sched .. " (param_groups read each step) matches PyTorch",
    function()
      local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
      local opt = optim[c.optim]({ x }, c.opts)
      local sched = optim.lr_scheduler[c.sched](opt, c.sched_opts)
      for s = 1, F.steps do
        opt:zero_grad()
        set_grad(x)
        opt:step()
        sched:step()
        T.close(x, c.traj[s], 1e-9, 1e-12, "step " .. s)
      end
    end)
end

T.test("param_groups[1].lr written from Lua takes effect on the next step", function()
  local x = dlt.tensor({ 1.0, 2.0 }, { dtype = "float64", requires_grad = true })
  local opt = optim.SGD({ x }, { lr = 0.1 })
  x.grad = dlt.tensor({ 1.0, -1.0 }, { dtype = "float64" })
  opt:step()
  T.close(x, { 0.9, 2.1 }, 1e-15)
  opt.param_groups[1].lr = 0.5
  opt:step()
  T.close(x, { 0.4, 2.6 }, 1e-15)
  T.eq(opt.defaults.lr, 0.1, "defaults keep the constructor's value")
end)

T.test("a parameter without a gradient is skipped and gets no state", function()
  local x = dlt.tensor({ 1.0 }, { dtype = "float64", requires_grad = true })
  local y = dlt.tensor({ 2.0 }, { dtype = "float64", requires_grad = true })
  local opt = optim.Adam({ x, y }, { lr = 0.1 })
  x.grad = dlt.tensor({ 1.0 }, { dtype = "float64" })
  opt:step()
  T.close(y, { 2.0 }, 0, 0)
  T.close(x, { 1 - 0.1 / (1 + 1e-8) }, 1e-15) -- Adam's first step: lr*g/(|g| + eps)
  local sd = opt:state_dict()
  T.eq(sd.state[1].step, 1, "x's step")
  T.eq(sd.state[2], nil, "no state for y")
  T.eq(sd.param_groups[1].params[2], 2, "parameters numbered across the groups")
  T.eq(opt.state[x].step, 1, "opt.state[p] finds p's state")
  T.close(opt.state[x].exp_avg, { 0.1 }, 1e-15)
  T.eq(opt.state[y], nil, "opt.state[y]")
end)

T.test("zero_grad zeroes in place by default and drops with set_to_none", function()
  local x = dlt.tensor({ 1.0, 2.0 }, { requires_grad = true })
  local opt = optim.SGD({ x }, { lr = 0.1 })
  x.grad = dlt.tensor({ 3.0, 4.0 })
  opt:zero_grad()
  T.close(x.grad, { 0, 0 }, 0, 0)
  opt:zero_grad(true)
  T.eq(x.grad, nil, "grad after set_to_none")
  x.grad = dlt.tensor({ 3.0, 4.0 })
  opt:zero_grad({ set_to_none = true })
  T.eq(x.grad, nil, "grad after {set_to_none=true}")
end)

T.test("a strided (transposed) parameter is updated in place", function()
  local base = dlt.tensor({ { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } }, { dtype = "float64" })
  local w = base:t()
  w:requires_grad_()
  local opt = optim.SGD({ w }, { lr = 0.5, momentum = 0.9 })
  w.grad = dlt.ones(3, 2, { dtype = "float64" })
  opt:step()
  opt:step()
  -- two steps with momentum: p - 0.5*1 - 0.5*(0.9 + 1)
  T.close(base, { { 1 - 1.45, 2 - 1.45, 3 - 1.45 }, { 4 - 1.45, 5 - 1.45, 6 - 1.45 } }, 1e-15)
  T.close(w, { { 1 - 1.45, 4 - 1.45 }, { 2 - 1.45, 5 - 1.45 }, { 3 - 1.45, 6 - 1.45 } }, 1e-15)
end)

T.test("add_param_group adds a group that takes the defaults", function()
  local x = dlt.tensor({ 1.0 }, { requires_grad = true })
  local y = dlt.tensor({ 1.0 }, { requires_grad = true })
  local opt = optim.SGD({ x }, { lr = 0.1, momentum = 0.5 })
  opt:add_param_group({ params = y, lr = 0.01 })
  T.eq(#opt.param_groups, 2)
  T.eq(opt.param_groups[2].momentum, 0.5, "momentum from the defaults")
  T.eq(opt.param_groups[2].lr, 0.01)
  T.raises(function() opt:add_param_group({ params = { x } }) end, "more than once")
end)

T.test("defaults equal PyTorch's", function()
  local function d(name, opts)
    local x = dlt.tensor({ 1.0 }, { requires_grad = true })
    return optim[name]({ x }, opts).defaults
  end
  local a = d("Adam")
  T.eq(a.lr, 1e-3); T.eq(a.betas[1], 0.9); T.eq(a.betas[2], 0.999); T.eq(a.eps, 1e-8)
  T.eq(a.weight_decay, 0); T.eq(a.amsgrad, false)
  local w = d("AdamW")
  T.eq(w.weight_decay, 1e-2); T.eq(w.lr, 1e-3)
  local r = d("RMSprop")
  T.eq(r.lr, 1e-2); T.eq(r.alpha, 0.99); T.eq(r.eps, 1e-8); T.eq(r.momentum, 0)
  T.eq(r.centered, false)
  local g = d("Adagrad")
  T.eq(g.lr, 1e-2); T.eq(g.lr_decay, 0); T.eq(g.eps, 1e-10)
  local n = d("NAdam")
  T.eq(n.lr, 2e-3); T.eq(n.momentum_decay, 4e-3)
  local e = d("Adadelta")
  T.eq(e.lr, 1.0); T.eq(e.rho, 0.9); T.eq(e.eps, 1e-6)
  local s = d("SGD", { lr = 0.1 })
  T.eq(s.momentum, 0); T.eq(s.dampening, 0); T.eq(s.nesterov, false)
end)

T.test("a step allocates nothing on the Lua side once the state exists", function()
  local ps = {}
  for i = 1, 4 do
    ps[i] = dlt.zeros(16, { requires_grad = true })
    ps[i].grad = dlt.ones(16)
  end
  for _, name in ipairs({ "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "Adadelta" }) do
    local opt = optim[name](ps, { lr = 0.01, momentum = (name == "SGD" or name == "RMSprop")
      and 0.9 or nil })
    opt:step()
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 200 do opt:step() end
    local grown = collectgarbage("count") - before
    collectgarbage("restart")
    T.eq(grown < 1, true, name .. " grew the Lua heap by " .. grown .. " KB in 200 steps")
  end
end)

-- sum_i (1 - x_i)^2 + 10 (x_{i+1} - x_i^2)^2, in the generator's order
local function rosen(x)
  local f = 0.0
  for i = 1, #x - 1 do
    local a = 1 - x[i]
    local b = x[i + 1] - x[i] * x[i]
    f = f + (a * a + 10 * b * b)
  end
  return f
end

local function lbfgs_run(c, x, y, opt, from, to, calls)
  local function closure()
    calls[1] = calls[1] + 1
    opt:zero_grad()
    set_grad(x)
    set_grad(y)
    return rosen(x:totable()) + rosen(y:totable())
  end
  for s = from, to do
    local loss = opt:step(closure)
    local what = "LBFGS step " .. s
    T.close(loss, c.loss[s], 1e-9, 1e-12, what .. " loss")
    T.close(x, c.x[s], 1e-9, 1e-12, what .. " x")
    T.close(y, c.y[s], 1e-9, 1e-12, what .. " y")
    T.eq(opt.state[x].func_evals, c.func_evals[s], what .. " func_evals")
    T.eq(opt.state[x].n_iter, c.n_iter[s], what .. " n_iter")
  end
end

for _, c in ipairs(F.lbfgs) do
  local name = describe({ optim = "LBFGS", opts = c.opts, dtype = "float64" })
  T.test(name .. " with a closure matches PyTorch for " .. F.lbfgs_steps .. " steps", function()
    local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
    local y = dlt.tensor(F.y0, { dtype = "float64", requires_grad = true })
    local opt = optim.LBFGS({ x, y }, c.opts)
    local calls = { 0 }
    lbfgs_run(c, x, y, opt, 1, F.lbfgs_steps, calls)
    T.eq(calls[1], c.closure_calls, "closure calls")
  end)
  T.test(name .. " resumed from state_dict after 2 steps continues exactly", function()
    local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
    local y = dlt.tensor(F.y0, { dtype = "float64", requires_grad = true })
    local opt = optim.LBFGS({ x, y }, c.opts)
    lbfgs_run(c, x, y, opt, 1, 2, { 0 })
    local sd = opt:state_dict()
    local x2 = dlt.tensor(x:totable(), { dtype = "float64", requires_grad = true })
    local y2 = dlt.tensor(y:totable(), { dtype = "float64", requires_grad = true })
    lbfgs_run(c, x, y, opt, 3, 3, { 0 }) -- the dict must not follow the first optimizer
    local opt2 = optim.LBFGS({ x2, y2 }, c.opts)
    opt2:load_state_dict(sd)
    lbfgs_run(c, x2, y2, opt2, 3, F.lbfgs_steps, { 0 })
  end)
end

T.test("LBFGS checks its options, its closure and its single group by name", function()
  local x = dlt.tensor(F.x0, { dtype = "float64", requires_grad = true })
  T.raises(function() optim.LBFGS({ x }, { line_search_fn = "backtracking" }) end,
    "LBFGS: option 'line_search_fn' must be false (none) or \"strong_wolfe\", got backtracking")
  T.raises(function() optim.LBFGS({ x }, { history_size = 0 }) end,
    "LBFGS: history_size must be a positive integer, got 0")
  T.raises(function() optim.LBFGS({ x }):step() end, "LBFGS.step: a closure is required")
  T.raises(function() optim.LBFGS({ x }):step(function() return "a" end) end,
    "LBFGS.step: the closure must return the loss")
  local y = dlt.tensor(F.y0, { dtype = "float64", requires_grad = true })
  T.raises(function() optim.LBFGS({ { params = { x } }, { params = { y } } }) end,
    "LBFGS: LBFGS doesn't support per-parameter options (parameter groups)")
  T.raises(function() optim.LBFGS({ x }):add_param_group({ params = { y } }) end,
    "LBFGS doesn't support per-parameter options")
  T.eq(optim.LBFGS({ x }, 0.5).param_groups[1].max_eval, 25, "max_eval = max_iter * 5 // 4")
  T.raises(function() optim.LBFGS({ x }, { foreach = false }) end, "LBFGS: unknown option 'foreach'")
end)

T.test("a number as the second argument is the learning rate, for every optimizer", function()
  for _, name in ipairs({ "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam",
    "Adamax", "RAdam", "ASGD", "Rprop", "LBFGS" }) do
    local x = dlt.zeros(2, { requires_grad = true })
    T.eq(optim[name]({ x }, 0.125).param_groups[1].lr, 0.125, name .. " lr")
  end
  T.raises(function() optim.SGD({ dlt.zeros(2, { requires_grad = true }) }, "0.1") end,
    "SGD: options must be a table or a learning rate, got string")
end)

-- the implementation options and maximize in each class's signature in PyTorch 1.13
-- (inspect.signature(torch.optim.X.__init__)); the others are unknown options there
local PT_OPTIONS = {
  SGD = { "foreach", "differentiable", "maximize" },
  Adam = { "foreach", "capturable", "differentiable", "fused", "maximize" },
  AdamW = { "foreach", "capturable", "maximize" }, RMSprop = { "foreach", "differentiable", "maximize" },
  Adagrad = { "foreach", "maximize" }, Adadelta = { "foreach", "maximize" }, Adamax = { "foreach", "maximize" },
  NAdam = { "foreach" }, RAdam = { "foreach" }, ASGD = { "foreach", "maximize" }, Rprop = { "foreach", "maximize" },
  LBFGS = {},
}

T.test("every optimizer takes the implementation options of its PyTorch 1.13 class, false accepted, true refused by name", function()
  for name, keys in pairs(PT_OPTIONS) do
    local has = {}
    for _, k in ipairs(keys) do has[k] = true end
    for _, k in ipairs({ "foreach", "capturable", "differentiable", "fused", "maximize" }) do
      local x = dlt.zeros(2, { requires_grad = true })
      if has[k] then
        optim[name]({ x }, { lr = 0.1, [k] = false })
        if k == "foreach" or k == "maximize" then
          optim[name]({ x }, { lr = 0.1, [k] = true })
        else
          T.raises(function() optim[name]({ x }, { lr = 0.1, [k] = true }) end,
            name .. ": " .. k .. "=true is not supported", name .. " " .. k)
        end
      else
        T.raises(function() optim[name]({ x }, { lr = 0.1, [k] = false }) end,
          name .. ": unknown option '" .. k .. "'", name .. " " .. k)
      end
    end
  end
end)

T.test("foreach is accepted; capturable, differentiable and fused only as false", function()
  local x = dlt.zeros(2, { requires_grad = true })
  optim.Adam({ x }, { foreach = true, capturable = false, differentiable = false, fused = false })
  optim.SGD({ x }, { lr = 0.1, foreach = false, differentiable = false })
  optim.Adamax({ { params = { x }, foreach = false } })
  T.raises(function() optim.Adam({ x }, { capturable = true }) end,
    "Adam: capturable=true is not supported: it is for CUDA graphs")
  T.raises(function() optim.RMSprop({ x }, { differentiable = true }) end,
    "RMSprop: differentiable=true is not supported: dlt's optimizer steps are not recorded by autograd")
  T.raises(function() optim.Adam({ x }, { fused = true }) end, "Adam: fused=true is not supported")
  T.raises(function() optim.Adam({ x }, { foreach = 1 }) end, "Adam: option 'foreach' must be a boolean, got number")
  T.raises(function() optim.Adam({ { params = { x }, fused = true } }) end,
    "Adam: fused=true is not supported")
  -- options PyTorch 1.13 does not have for a class stay unknown
  T.raises(function() optim.NAdam({ x }, { fused = false }) end, "NAdam: unknown option 'fused'")
  T.raises(function() optim.RAdam({ x }, { maximize = true }) end, "RAdam: unknown option 'maximize'")
  T.raises(function() optim.Rprop({ x }, { etas = { 1.5, 2 } }) end, "Rprop: invalid eta values: 1.5, 2")
end)

T.run()
