-- lbfgs.lua: optim.LBFGS, torch.optim.LBFGS (PyTorch 1.13): limited-memory BFGS over all
-- parameters as one flat vector, with a fixed step or the strong-Wolfe line search
-- (minFunc's, as PyTorch ports it). step(closure) re-evaluates the model as often as the
-- search needs. Returns a function that defines the class with optim.lua's define.
local dlt = require "dlt"

-- the minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped
-- to bounds (default the interval); the middle of the bounds when it has none
local function cubic_interpolate(x1, f1, g1, x2, f2, g2, lo, hi)
  if lo == nil then
    if x1 <= x2 then lo, hi = x1, x2 else lo, hi = x2, x1 end
  end
  local d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
  local d2_square = d1 ^ 2 - g1 * g2
  if d2_square >= 0 then
    local d2 = math.sqrt(d2_square)
    local min_pos
    if x1 <= x2 then
      min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else
      min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    end
    return math.min(math.max(min_pos, lo), hi)
  end
  return (lo + hi) / 2.
end

local function dot(a, b) return a:dot(b):item() end
local function absmax(a) return a:abs():max():item() end

-- the strong-Wolfe line search along d from x (f, g its loss and flat gradient, gtd
-- the slope g.d): returns the new loss, gradient, step and evaluation count
local function strong_wolfe(obj_func, x, t, d, f, g, gtd, tolerance_change)
  local c1, c2, max_ls = 1e-4, 0.9, 25
  local d_norm = absmax(d)
  g = g:clone()
  local f_new, g_new = obj_func(x, t, d)
  local ls_func_evals = 1
  local gtd_new = dot(g_new, d)
  local t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
  local done = false
  local ls_iter = 0
  local bracket, bracket_f, bracket_g, bracket_gtd
  while ls_iter < max_ls do
    if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev) then
      bracket, bracket_f = { t_prev, t }, { f_prev, f_new }
      bracket_g, bracket_gtd = { g_prev, g_new:clone() }, { gtd_prev, gtd_new }
      break
    end
    if math.abs(gtd_new) <= -c2 * gtd then
      bracket, bracket_f, bracket_g = { t }, { f_new }, { g_new }
      done = true
      break
    end
    if gtd_new >= 0 then
      bracket, bracket_f = { t_prev, t }, { f_prev, f_new }
      bracket_g, bracket_gtd = { g_prev, g_new:clone() }, { gtd_prev, gtd_new }
      break
    end
    -- interpolate, extrapolating at most 10x
    local min_step = t + 0.01 * (t - t_prev)
    local max_step = t * 10
    local tmp = t
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step)
    t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new:clone(), gtd_new
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = ls_func_evals + 1
    gtd_new = dot(g_new, d)
    ls_iter = ls_iter + 1
  end
  if ls_iter == max_ls then
    bracket, bracket_f, bracket_g = { 0, t }, { f, f_new }, { g, g_new }
  end
  -- zoom: shrink the bracket until a point meets the conditions
  local insuf_progress = false
  local low, high = 1, 2
  if not (bracket_f[1] <= bracket_f[#bracket_f]) then low, high = 2, 1 end
  while not done and ls_iter < max_ls do
    if math.abs(bracket[2] - bracket[1]) * d_norm < tolerance_change then break end
    t = cubic_interpolate(bracket[1], bracket_f[1], bracket_gtd[1], bracket[2], bracket_f[2],
      bracket_gtd[2])
    -- a point too close to an end moves 0.1 of the bracket inside it
    local bmax, bmin = math.max(bracket[1], bracket[2]), math.min(bracket[1], bracket[2])
    local eps = 0.1 * (bmax - bmin)
    if math.min(bmax - t, t - bmin) < eps then
      if insuf_progress or t >= bmax or t <= bmin then
        if math.abs(t - bmax) < math.abs(t - bmin) then t = bmax - eps else t = bmin + eps end
        insuf_progress = false
      else
        insuf_progress = true
      end
    else
      insuf_progress = false
    end
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = ls_func_evals + 1
    gtd_new = dot(g_new, d)
    ls_iter = ls_iter + 1
    if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low] then
      bracket[high], bracket_f[high] = t, f_new
      bracket_g[high], bracket_gtd[high] = g_new:clone(), gtd_new
      if bracket_f[1] <= bracket_f[2] then low, high = 1, 2 else low, high = 2, 1 end
    else
      if math.abs(gtd_new) <= -c2 * gtd then
        done = true
      elseif gtd_new * (bracket[high] - bracket[low]) >= 0 then
        bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
        bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
      end
      bracket[low], bracket_f[low] = t, f_new
      bracket_g[low], bracket_gtd[low] = g_new:clone(), gtd_new
    end
  end
  return bracket_f[low], bracket_g[low], bracket[low], ls_func_evals
end

-- all gradients as one flat vector (zeros for a parameter without one)
local function gather_flat_grad(params)
  local views = {}
  for i, p in ipairs(params) do
    local g = p.grad
    views[i] = g and g:reshape(-1) or dlt.zeros(p:numel(), { dtype = p.dtype })
  end
  return dlt.cat(views, 1)
end

-- p += step * update[the slice of p], for every parameter
local function add_grad(params, step, update)
  local offset = 0
  dlt.no_grad(function()
    for _, p in ipairs(params) do
      local n = p:numel()
      p:add_(update:narrow(1, offset + 1, n):reshape(p.shape) * step)
      offset = offset + n
    end
  end)
end

local function loss_value(v)
  if type(v) == "number" then return v end
  if dlt.is_tensor(v) then return v:item() end
  error("LBFGS.step: the closure must return the loss (a number or a one-element tensor), got " ..
    type(v), 0)
end

-- the L-BFGS two-loop recursion: the direction -H g from the stored pairs
local function direction(state, flat_grad)
  local old_dirs, old_stps, ro = state.old_dirs, state.old_stps, state.ro
  local num_old = #old_dirs
  state.al = state.al or {}
  local al = state.al
  local q = -flat_grad
  for i = num_old, 1, -1 do
    al[i] = dot(old_stps[i], q) * ro[i]
    q:add_(old_dirs[i] * -al[i])
  end
  local r = q * state.H_diag
  for i = 1, num_old do
    local be_i = dot(old_dirs[i], r) * ro[i]
    r:add_(old_stps[i] * (al[i] - be_i))
  end
  return r
end

local function lbfgs_step(self, closure)
  local name = "LBFGS.step"
  if type(closure) ~= "function" then
    error(name .. ": a closure is required (it zeroes the gradients, computes the loss, " ..
      "calls backward and returns the loss), got " .. type(closure), 2)
  end
  -- what a script may have written over is named, never a Lua internal
  local group = type(self.param_groups) == "table" and self.param_groups[1]
  if type(group) ~= "table" then error(name .. ": param_groups[1] must be a table, got " .. type(group), 2) end
  local params = group.params
  if type(params) ~= "table" or #params == 0 then
    error(name .. ": param_groups[1].params must be a list of tensors, got " .. type(params), 2)
  end
  for i = 1, #params do
    if not dlt.is_tensor(params[i]) then
      error(string.format("%s: param_groups[1].params[%d] must be a tensor, got %s", name, i, type(params[i])), 2)
    end
  end
  for _, k in ipairs({ "lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size" }) do
    if type(group[k]) ~= "number" then
      error(string.format("%s: param_groups[1].%s must be a number, got %s", name, k, type(group[k])), 2)
    end
  end
  if type(self.state) ~= "table" then error(name .. ": state must be a table, got " .. type(self.state), 2) end
  local lr, max_iter, max_eval = group.lr, group.max_iter, group.max_eval
  local tolerance_grad, tolerance_change = group.tolerance_grad, group.tolerance_change
  local line_search_fn, history_size = group.line_search_fn, group.history_size
  -- LBFGS's state is global; it lives with the first parameter, as in PyTorch
  local K = self._kernels
  local state = rawget(self.state, K.id(params[1]))
  if not state then
    state = { func_evals = 0, n_iter = 0 }
    self.state[K.id(params[1])] = state
  end
  if type(state) ~= "table" or type(state.func_evals) ~= "number" or type(state.n_iter) ~= "number" then
    error(name .. ": the state of param_groups[1].params[1] must be a table with the counts func_evals " ..
      "and n_iter (junk written into opt.state?)", 2)
  end
  local function evaluate()
    local ok, v = pcall(closure)
    if not ok then error(v, 0) end
    return v
  end
  local orig_loss = evaluate()
  local loss = loss_value(orig_loss)
  local current_evals = 1
  state.func_evals = state.func_evals + 1
  local flat_grad = gather_flat_grad(params)
  if absmax(flat_grad) <= tolerance_grad then return orig_loss end

  local d, t = state.d, state.t
  local prev_flat_grad, prev_loss = state.prev_flat_grad, state.prev_loss
  local n_iter = 0
  while n_iter < max_iter do
    n_iter = n_iter + 1
    state.n_iter = state.n_iter + 1
    if state.n_iter == 1 then
      d = -flat_grad
      state.old_dirs, state.old_stps, state.ro, state.H_diag = {}, {}, {}, 1
    else
      local y = flat_grad - prev_flat_grad
      local s = d * t
      local ys = dot(y, s)
      if ys > 1e-10 then
        if #state.old_dirs == history_size then
          table.remove(state.old_dirs, 1)
          table.remove(state.old_stps, 1)
          table.remove(state.ro, 1)
        end
        local k = #state.old_dirs + 1
        state.old_dirs[k], state.old_stps[k], state.ro[k] = y, s, 1. / ys
        state.H_diag = ys / dot(y, y)
      end
      d = direction(state, flat_grad)
    end
    prev_flat_grad = flat_grad:clone()
    prev_loss = loss
    if state.n_iter == 1 then
      t = math.min(1., 1. / flat_grad:abs():sum():item()) * lr
    else
      t = lr
    end
    local gtd = dot(flat_grad, d)
    if gtd > -tolerance_change then break end
    local ls_func_evals = 0
    local opt_cond = false
    if line_search_fn then
      local x_init = {}
      for i, p in ipairs(params) do x_init[i] = p:detach():clone() end
      local function obj_func(x, step, dir)
        add_grad(params, step, dir)
        local f = loss_value(evaluate())
        local g = gather_flat_grad(params)
        dlt.no_grad(function()
          for i, p in ipairs(params) do p:copy_(x[i]) end
        end)
        return f, g
      end
      loss, flat_grad, t, ls_func_evals = strong_wolfe(obj_func, x_init, t, d, loss, flat_grad,
        gtd, tolerance_change)
      add_grad(params, t, d)
      opt_cond = absmax(flat_grad) <= tolerance_grad
    else
      add_grad(params, t, d)
      if n_iter ~= max_iter then
        -- re-evaluated except in the last iteration, as PyTorch
        loss = loss_value(evaluate())
        flat_grad = gather_flat_grad(params)
        opt_cond = absmax(flat_grad) <= tolerance_grad
        ls_func_evals = 1
      end
    end
    current_evals = current_evals + ls_func_evals
    state.func_evals = state.func_evals + ls_func_evals
    if n_iter == max_iter then break end
    if current_evals >= max_eval then break end
    if opt_cond then break end
    if absmax(d * t) <= tolerance_change then break end
    if math.abs(loss - prev_loss) < tolerance_change then break end
  end
  state.d, state.t = d, t
  state.prev_flat_grad, state.prev_loss = prev_flat_grad, prev_loss
  return orig_loss
end

return function(define, K)
  local cls = define("LBFGS", {
    spec = { lr = "number", max_iter = "number", max_eval = "number", tolerance_grad = "number",
      tolerance_change = "number", history_size = "number", line_search_fn = "line_search" },
    defaults = { lr = 1, max_iter = 20, tolerance_grad = 1e-7, tolerance_change = 1e-9,
      history_size = 100, line_search_fn = false },
    -- max_eval defaults to max_iter * 5 // 4
    prepare = function(d)
      if d.max_eval == nil and type(d.max_iter) == "number" then d.max_eval = d.max_iter * 5 // 4 end
    end,
    check = function(g)
      for _, k in ipairs({ "max_iter", "max_eval", "history_size" }) do
        if not (g[k] >= 1 and g[k] == math.floor(g[k])) then
          return string.format("%s must be a positive integer, got %s", k, tostring(g[k]))
        end
      end
    end,
    post = function(self)
      if #self.param_groups ~= 1 then
        return "LBFGS doesn't support per-parameter options (parameter groups)"
      end
    end,
    init_state = function() return { func_evals = 0, n_iter = 0 } end,
    update = function() end,
  })
  cls._kernels = K
  cls.step = lbfgs_step
  local base_add = cls.add_param_group
  function cls:add_param_group(group)
    if #self.param_groups >= 1 then
      error("LBFGS: LBFGS doesn't support per-parameter options (parameter groups)", 2)
    end
    return base_add(self, group)
  end
  -- the state holds lists of flat tensors: copied whole, not checked against a shape
  function cls:state_dict()
    local sd = { state = {}, param_groups = {} }
    local st = rawget(self.state, K.id(self.param_groups[1].params[1]))
    if st then sd.state[1] = dlt.deepcopy(st) end
    local g = { params = {} }
    for k, v in pairs(self.param_groups[1]) do
      if k ~= "params" then g[k] = v end
    end
    for i in ipairs(self.param_groups[1].params) do g.params[i] = i end
    sd.param_groups[1] = g
    return sd
  end
  function cls:load_state_dict(sd)
    if type(sd) ~= "table" or type(sd.state) ~= "table" or type(sd.param_groups) ~= "table" or
      #sd.param_groups ~= 1 or type(sd.param_groups[1].params) ~= "table" or
      #sd.param_groups[1].params ~= #self.param_groups[1].params then
      error("LBFGS.load_state_dict: expected the state_dict of an LBFGS over as many parameters", 2)
    end
    local live = self.param_groups[1]
    for k in pairs(live) do
      if k ~= "params" then live[k] = nil end
    end
    for k, v in pairs(sd.param_groups[1]) do
      if k ~= "params" then live[k] = v end
    end
    local key = K.id(live.params[1])
    for k in pairs(self.state) do self.state[k] = nil end
    if sd.state[1] then self.state[key] = dlt.deepcopy(sd.state[1]) end
  end
  return cls
end
