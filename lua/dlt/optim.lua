-- optim.lua: the optimizers of dlt.optim, as torch.optim: parameter groups with their
-- own options, lazily created state, state_dict/load_state_dict. Each step reads the
-- group's values afresh (schedulers and users change them) and runs one fused C
-- kernel (src/optim) per parameter tensor.
local dlt = require "dlt"
local K = require "dlt.optim_kernels"

local optim = dlt.optim

local function num(v)
  if v ~= v then return "nan" end
  return string.format("%.10g", v)
end

-- keys a group table may carry besides the options: written by schedulers
local scheduler_keys = {
  initial_lr = true, max_lr = true, min_lr = true, max_momentum = true, base_momentum = true,
  swa_lr = true,
}

-- PyTorch's implementation options: dlt has one implementation, a fused C loop per
-- tensor, whose update is the same whether or not foreach is asked for; the others
-- would change what a step is (differentiable) or need CUDA (capturable, fused), so
-- only their false value is accepted
local impl_refusals = {
  capturable = "it is for CUDA graphs, and dlt steps on the CPU",
  differentiable = "dlt's optimizer steps are not recorded by autograd",
  fused = "PyTorch 1.13's fused kernels are CUDA-only (dlt's steps are fused C loops already)",
}

-- nil when value is accepted for implementation option key, else the error
local function impl_problem(name, key, v)
  if type(v) ~= "boolean" then
    return string.format("%s: option '%s' must be a boolean, got %s", name, key, type(v))
  end
  if v and impl_refusals[key] then
    return string.format("%s: %s=true is not supported: %s (leave it false)", name, key,
      impl_refusals[key])
  end
end

local Optimizer = {}
Optimizer.__index = Optimizer
local classes = {}

-- true for an instance of any optimizer class
function optim.is_optimizer(x)
  return type(x) == "table" and classes[getmetatable(x)] == true
end
-- the classes themselves (a set), for lua/dlt/methods.lua's checks of self
optim._classes = classes

-- opt.state: per-parameter state keyed by the tensor's identity, so that
-- opt.state[p] finds it from any userdata of p
local state_mt = {
  __index = function(t, k)
    if type(k) == "userdata" and K.param_problem(k) ~= "is not a tensor" then
      return rawget(t, K.id(k))
    end
  end,
  -- opt.state[p] = st replaces p's state (not a second entry that step never reads)
  __newindex = function(t, k, v)
    if type(k) == "userdata" and K.param_problem(k) ~= "is not a tensor" then k = K.id(k) end
    rawset(t, k, v)
  end,
}

local function copy_value(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = x end
  return c
end

-- checks one option value's type against its spec: "number", "boolean" or "betas"
-- (a list of two numbers); raises without a position
local function check_value(cls, where, key, v)
  local kind = cls.spec[key]
  if kind == "betas" then
    if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" or #v ~= 2 then
      error(string.format("%s: option '%s' must be a list of two numbers%s", cls.name, key,
        where), 0)
    end
  elseif kind == "line_search" then
    if v ~= false and v ~= "strong_wolfe" then
      error(string.format("%s: option '%s' must be false (none) or \"strong_wolfe\"%s, got %s",
        cls.name, key, where, tostring(v)), 0)
    end
  elseif type(v) ~= kind then
    error(string.format("%s: option '%s' must be a %s%s, got %s", cls.name, key, kind, where,
      type(v)), 0)
  end
end

-- PyTorch's range checks, worded as torch.optim words them
local checks = {
  lr = function(v) if not (v >= 0) then return "invalid learning rate: " .. num(v) end end,
  eps = function(v) if not (v >= 0) then return "invalid epsilon value: " .. num(v) end end,
  weight_decay = function(v)
    if not (v >= 0) then return "invalid weight_decay value: " .. num(v) end
  end,
  momentum = function(v) if not (v >= 0) then return "invalid momentum value: " .. num(v) end end,
  alpha = function(v) if not (v >= 0) then return "invalid alpha value: " .. num(v) end end,
  lr_decay = function(v) if not (v >= 0) then return "invalid lr_decay value: " .. num(v) end end,
  initial_accumulator_value = function(v)
    if not (v >= 0) then return "invalid initial_accumulator_value value: " .. num(v) end
  end,
  momentum_decay = function(v)
    if not (v >= 0) then return "invalid momentum_decay value: " .. num(v) end
  end,
  rho = function(v) if not (v >= 0 and v <= 1) then return "invalid rho value: " .. num(v) end end,
  betas = function(v)
    for i = 1, 2 do
      if not (v[i] >= 0 and v[i] < 1) then
        return string.format("invalid beta parameter at index %d: %s", i, num(v[i]))
      end
    end
  end,
}

local function check_group(cls, group, where)
  for key in pairs(cls.spec) do
    local v = group[key]
    if v == nil then
      error(string.format("%s: parameter group%s didn't specify a value of required " ..
        "optimization parameter %s", cls.name, where, key), 0)
    end
    check_value(cls, where, key, v)
    local msg = checks[key] and checks[key](v)
    if msg then error(cls.name .. ": " .. msg .. where, 0) end
  end
  if cls.check then
    local msg = cls.check(group)
    if msg then error(cls.name .. ": " .. msg .. where, 0) end
  end
end

local function is_tensor(x)
  return type(x) == "userdata" and K.param_problem(x) ~= "is not a tensor"
end

-- adds a group; errors carry no position (the public callers add theirs)
local function add_group(self, group)
  local cls = getmetatable(self)
  if type(group) ~= "table" then
    error(cls.name .. ": a parameter group must be a table, got " .. type(group), 0)
  end
  local gi = #self.param_groups + 1
  local where = string.format(" (param_groups[%d])", gi)
  local params = group.params
  if is_tensor(params) then params = { params } end
  if type(params) ~= "table" then
    error(cls.name .. ": parameter group " .. gi .. " has no 'params' list", 0)
  end
  local g = { params = {} }
  for k, v in pairs(group) do
    if k ~= "params" and cls.impl[k] then
      local msg = impl_problem(cls.name, k, v)
      if msg then error(msg .. where, 0) end
    elseif k ~= "params" then
      if cls.spec[k] == nil and not scheduler_keys[k] then
        error(string.format("%s: unknown option '%s'%s", cls.name, tostring(k), where), 0)
      end
      g[k] = copy_value(v)
    end
  end
  for k, v in pairs(self.defaults) do
    if g[k] == nil then g[k] = copy_value(v) end
  end
  if #params == 0 then error(cls.name .. ": optimizer got an empty parameter list", 0) end
  -- {p1, nil, p2}: ipairs would stop at the hole and silently drop p2
  local count, last = 0, 0
  for k in pairs(params) do
    if math.type(k) ~= "integer" or k < 1 then
      error(string.format("%s: the parameter list of group %d has a key %s that is not a position",
        cls.name, gi, tostring(k)), 0)
    end
    count, last = count + 1, math.max(last, k)
  end
  if count ~= last then
    local hole = 1
    while rawget(params, hole) ~= nil do hole = hole + 1 end
    error(string.format("%s: parameter %d of group %d is nil (a hole in the list: %d parameters up to index %d)",
      cls.name, hole, gi, count, last), 0)
  end
  local ids = {}
  for i, p in ipairs(params) do
    local problem = K.param_problem(p)
    if problem then
      error(string.format("%s: parameter %d of group %d %s", cls.name, i, gi, problem), 0)
    end
    local id = K.id(p)
    if self._ids[id] or ids[id] then
      error(cls.name .. ": some parameters appear more than once (parameter " .. i ..
        " of group " .. gi .. ")", 0)
    end
    ids[id] = true
    g.params[i] = p
  end
  check_group(cls, g, where)
  for id in pairs(ids) do self._ids[id] = true end
  self.param_groups[gi] = g
  if cls.eager_state then
    for _, p in ipairs(g.params) do
      self.state[K.id(p)] = cls.init_state(p, g)
    end
  end
end

-- opt:add_param_group({params = tensor or list, option = value, ...}); options the
-- group lacks come from opt.defaults
function Optimizer:add_param_group(group)
  local ok, err = pcall(add_group, self, group)
  if not ok then error(err, 2) end
end

-- the group's current values, checked (users and schedulers may have changed them)
local function hyper(cls, group, gi)
  for key, kind in pairs(cls.spec) do
    local v = group[key]
    if kind == "betas" then
      if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" then
        error(string.format("%s.step: param_groups[%d].%s must be a list of two numbers",
          cls.name, gi, key), 3)
      end
    elseif kind == "line_search" then
      if v ~= false and v ~= "strong_wolfe" then
        error(string.format("%s.step: param_groups[%d].%s must be false or \"strong_wolfe\"",
          cls.name, gi, key), 3)
      end
    elseif type(v) ~= kind then
      error(string.format("%s.step: param_groups[%d].%s must be a %s, got %s", cls.name, gi,
        key, kind, type(v)), 3)
    end
  end
  return group
end

-- what a script may have written over: the group list, each group's params and the
-- state table are checked before a step, so junk there is named, not a Lua internal
-- the lists check_lists last found right, per optimizer: param_groups, state, and each
-- group with its params list (weak keys); a step whose lists are the same ones skips the
-- type() calls
local lists_ok = setmetatable({}, { __mode = "k" })

local function same_lists(self, seen)
  local groups = self.param_groups
  if groups ~= seen.groups or self.state ~= seen.state or #groups ~= #seen then return false end
  for gi = 1, #seen do
    local g = groups[gi]
    if g ~= seen[gi] or g.params ~= seen.params[gi] then return false end
  end
  return true
end

local function check_lists(cls, self)
  local seen = lists_ok[self]
  if seen and same_lists(self, seen) then return end
  if type(self.param_groups) ~= "table" then
    error(cls.name .. ".step: param_groups must be a list of groups, got " .. type(self.param_groups), 3)
  end
  if type(self.state) ~= "table" then error(cls.name .. ".step: state must be a table, got " .. type(self.state), 3) end
  for gi, group in ipairs(self.param_groups) do
    if type(group) ~= "table" then
      error(string.format("%s.step: param_groups[%d] must be a table, got %s", cls.name, gi, type(group)), 3)
    end
    if type(group.params) ~= "table" then
      error(string.format("%s.step: param_groups[%d].params must be a list of tensors, got %s", cls.name, gi,
        type(group.params)), 3)
    end
  end
  seen = { groups = self.param_groups, state = self.state, params = {} }
  for gi, group in ipairs(self.param_groups) do seen[gi], seen.params[gi] = group, group.params end
  lists_ok[self] = seen
end

-- the numbers a state may hold besides tensors (NAdam's mu_product, ASGD's eta and mu)
local state_numbers = { step = true, mu_product = true, eta = true, mu = true }

-- one parameter's state: a table whose step is a count below 2^53 (checked before the
-- kernel adds 1, so math.maxinteger cannot wrap) and whose other entries are tensors
-- what v is, as lauxlib names it ("FILE*"); a tensor box emptied by a hand-called __gc says so
local function kind_of(v)
  local mt = type(v) == "userdata" and getmetatable(v)
  local name = type(mt) == "table" and rawget(mt, "__name")
  if name == "dlt.Tensor" then return "a tensor freed by its __gc" end
  return type(name) == "string" and name or type(v)
end

-- the error of check_state; the message is made only on failure (a step allocates
-- nothing on the Lua side)
local function state_fail(cls, gi, pi, fmt, ...)
  error(string.format("%s.step: state of param_groups[%d].params[%d]", cls.name, gi, pi) ..
    string.format(fmt, ...), 4)
end

local function check_state(cls, st, gi, pi, p, h)
  if type(st) ~= "table" then state_fail(cls, gi, pi, " must be a table, got %s", type(st)) end
  if st.step == nil then
    -- whether this class counts steps: a fresh state tells, once per class
    if cls.counts_steps == nil then cls.counts_steps = cls.init_state(p, h).step ~= nil end
    if cls.counts_steps then state_fail(cls, gi, pi, ": 'step' is missing") end
  end
  for k, v in next, st do
    if state_numbers[k] then
      if type(v) ~= "number" then state_fail(cls, gi, pi, ": '%s' must be a number, got %s", tostring(k), type(v)) end
      if k == "step" and math.type(v) ~= "integer" and (v ~= v or v ~= math.floor(v)) then
        error(string.format("%s.step: state step must be an integer, got %s", cls.name, num(v)), 3)
      end
      if k == "step" and (v < 0 or v >= 2 ^ 53) then
        error(string.format("%s.step: step %s + 1 is out of range [1, 2^53] (state 'step' set by hand?)",
          cls.name, math.type(v) == "integer" and v or num(v)), 3)
      end
    elseif not is_tensor(v) then
      state_fail(cls, gi, pi, ": '%s': tensor expected, got %s", tostring(k), kind_of(v))
    end
  end
end

-- opt:step([closure]): closure re-evaluates the model and returns the loss
function Optimizer:step(closure)
  local cls = getmetatable(self)
  local loss
  if closure ~= nil then
    if type(closure) ~= "function" then
      error(cls.name .. ".step: closure must be a function, got " .. type(closure), 2)
    end
    loss = closure()
  end
  local fast = cls.update_group
  check_lists(cls, self)
  for gi, group in ipairs(self.param_groups) do
    local params, quick, h = group.params, fast, nil
    if not quick then h = hyper(cls, group, gi) end
    local i, n = 1, #params
    while i <= n do
      -- the class's one-call loop does what it can, reading the group's values itself;
      -- it leaves parameters without state (or with state it does not know) to the
      -- per-parameter path below, and all of them (returning 0) when the group's values
      -- are not plain ones, which hyper then checks
      if quick then
        i = quick(params, self.state, i, group) or n + 1
        if i == 0 then i, quick = 1, nil end
      end
      if i <= n then
        h = h or hyper(cls, group, gi)
        local p = params[i]
        if not is_tensor(p) then
          error(string.format("%s.step: param_groups[%d].params[%d] must be a tensor, got %s", cls.name, gi, i,
            type(p)), 2)
        end
        if K.has_grad(p) then
          local id = K.id(p)
          local st = rawget(self.state, id)
          if st == nil then
            st = cls.init_state(p, h)
            self.state[id] = st
          end
          check_state(cls, st, gi, i, p, h)
          cls.update(p, st, h)
        end
        i = i + 1
      end
    end
  end
  return loss
end

-- opt:zero_grad([set_to_none]): zeroes every gradient in place (PyTorch 1.13's
-- default), or drops them with set_to_none = true (also as {set_to_none = true})
function Optimizer:zero_grad(set_to_none)
  if type(set_to_none) == "table" then set_to_none = set_to_none.set_to_none end
  for _, group in ipairs(self.param_groups) do K.zero_grad_all(group.params, set_to_none) end
end

-- {state = {[i] = {step = n, exp_avg = tensor, ...}}, param_groups = {{lr = ...,
-- params = {i, ...}}}} with parameters numbered 1.. across the groups; tensors are
-- copies, so the dict keeps this moment however training goes on.
function Optimizer:state_dict()
  local state, groups, index = {}, {}, 0
  for gi, group in ipairs(self.param_groups) do
    local g = { params = {} }
    for k, v in pairs(group) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    for pi, p in ipairs(group.params) do
      index = index + 1
      g.params[pi] = index
      local st = rawget(self.state, K.id(p))
      if st then
        local s = {}
        for k, v in pairs(st) do
          s[k] = type(v) == "userdata" and K.clone(v) or v
        end
        state[index] = s
      end
    end
    groups[gi] = g
  end
  return { state = state, param_groups = groups }
end

function Optimizer:load_state_dict(sd)
  local cls = getmetatable(self)
  local fn = cls.name .. ".load_state_dict"
  if type(sd) ~= "table" or type(sd.param_groups) ~= "table" or type(sd.state) ~= "table" then
    error(fn .. ": expected a table with 'state' and 'param_groups'", 2)
  end
  if #sd.param_groups ~= #self.param_groups then
    error(string.format("%s: loaded state dict has %d parameter groups, the optimizer has %d",
      fn, #sd.param_groups, #self.param_groups), 2)
  end
  for gi, g in ipairs(sd.param_groups) do
    if type(g.params) ~= "table" or #g.params ~= #self.param_groups[gi].params then
      error(string.format("%s: loaded state dict contains a parameter group %d that doesn't " ..
        "match the size of optimizer's group", fn, gi), 2)
    end
  end
  -- check every state tensor before changing anything
  local new_state = setmetatable({}, state_mt)
  for gi, g in ipairs(sd.param_groups) do
    for pi, index in ipairs(g.params) do
      local p = self.param_groups[gi].params[pi]
      local s = sd.state[index]
      if s ~= nil then
        local st = {}
        for k, v in pairs(s) do
          if type(v) == "userdata" then
            if not K.same_shape(v, p) then
              error(string.format("%s: state '%s' of parameter %d has shape %s, the parameter %s",
                fn, k, index, K.shape_str(v), K.shape_str(p)), 2)
            end
            st[k] = K.clone(v, p)
          else
            st[k] = copy_value(v)
          end
        end
        new_state[K.id(p)] = st
      end
    end
  end
  for gi, g in ipairs(sd.param_groups) do
    local live = self.param_groups[gi]
    for k in pairs(live) do
      if k ~= "params" then live[k] = nil end
    end
    for k, v in pairs(g) do
      if k ~= "params" then live[k] = copy_value(v) end
    end
  end
  self.state = new_state
end

local function fmt_value(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = fmt_value(x) end
    return "(" .. table.concat(parts, ", ") .. ")"
  elseif type(v) == "number" then
    return num(v)
  end
  return tostring(v)
end

-- PyTorch's printout: the class name and each group's options, sorted
function Optimizer:__tostring()
  local cls = getmetatable(self)
  local lines = { cls.name .. " (" }
  for gi, group in ipairs(self.param_groups) do
    lines[#lines + 1] = "Parameter Group " .. gi
    local keys = {}
    for k in pairs(group) do
      if k ~= "params" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do
      lines[#lines + 1] = "    " .. k .. ": " .. fmt_value(group[k])
    end
  end
  lines[#lines + 1] = ")"
  return table.concat(lines, "\n")
end

-- Defines optimizer class `name`: spec maps option -> kind, defaults option -> value
-- (nil: required), init_state(p, group) and update(p, state, group) run per tensor;
-- update_group(params, state, i, group) (optional) updates params[i..] in one call,
-- returning the index of the first one it left to update, nil, or 0 (see step).
local function define(name, def)
  local cls = setmetatable({}, { __index = Optimizer })
  cls.__index = cls
  cls.__tostring = Optimizer.__tostring
  cls.name = name
  cls.spec, cls.check = def.spec, def.check
  cls.init_state, cls.update, cls.eager_state = def.init_state, def.update, def.eager_state
  cls.update_group = def.update_group
  cls.impl = {}
  for _, k in ipairs(def.impl or {}) do cls.impl[k] = true end
  classes[cls] = true
  optim[name] = function(params, opts)
    -- optim.SGD(params, 0.1): a number is the learning rate, PyTorch's positional lr
    if type(opts) == "number" then opts = { lr = opts } end
    if opts ~= nil and type(opts) ~= "table" then
      error(name .. ": options must be a table or a learning rate, got " .. type(opts), 2)
    end
    opts = opts or {}
    local defaults = {}
    for k, v in pairs(def.defaults) do defaults[k] = copy_value(v) end
    for k, v in pairs(opts) do
      if cls.impl[k] then
        local msg = impl_problem(name, k, v)
        if msg then error(msg, 2) end
      elseif cls.spec[k] == nil then
        error(string.format("%s: unknown option '%s'", name, tostring(k)), 2)
      else
        defaults[k] = copy_value(v)
      end
    end
    if def.prepare then def.prepare(defaults) end
    local self = setmetatable({ param_groups = {}, state = setmetatable({}, state_mt),
      defaults = defaults, _ids = {} }, cls)
    -- check the options themselves, as PyTorch's constructors do
    for k, v in pairs(defaults) do
      local ok, err = pcall(check_value, cls, "", k, v)
      if not ok then error(err, 2) end
      local msg = checks[k] and checks[k](v)
      if msg then error(name .. ": " .. msg, 2) end
    end
    local msg = cls.check and cls.check(defaults)
    if msg then error(name .. ": " .. msg, 2) end
    if is_tensor(params) then
      error(name .. ": params must be a list of tensors or of group tables, got a single " ..
        "tensor (wrap it: {t})", 2)
    end
    if type(params) ~= "table" then
      error(name .. ": params must be a list of tensors or of group tables, got " ..
        type(params), 2)
    end
    if #params == 0 then error(name .. ": optimizer got an empty parameter list", 2) end
    local ok, err
    if type(params[1]) ~= "table" then
      ok, err = pcall(add_group, self, { params = params })
    else
      ok, err = pcall(function()
        for _, g in ipairs(params) do add_group(self, g) end
      end)
    end
    if not ok then error(err, 2) end
    local msg2 = def.post and def.post(self)
    if msg2 then error(name .. ": " .. msg2, 2) end
    return self
  end
  return cls
end

local function state_or_new(st, key, p, v)
  local t = st[key]
  if not t then
    t = K.state(p, v or 0)
    st[key] = t
  end
  return t
end

define("SGD", {
  impl = { "foreach", "differentiable" },
  spec = { lr = "number", momentum = "number", dampening = "number", weight_decay = "number",
    nesterov = "boolean", maximize = "boolean" },
  defaults = { momentum = 0, dampening = 0, weight_decay = 0, nesterov = false, maximize = false },
  check = function(g)
    if g.nesterov and (g.momentum <= 0 or g.dampening ~= 0) then
      return "Nesterov momentum requires a momentum and zero dampening"
    end
  end,
  init_state = function() return {} end,
  update = function(p, st, g)
    local buf, first = nil, false
    if g.momentum ~= 0 then
      buf = st.momentum_buffer
      if not buf then
        buf, first = K.state(p), true
        st.momentum_buffer = buf
      end
    end
    K.sgd(p, buf, first, g.lr, g.momentum, g.dampening, g.weight_decay, g.nesterov, g.maximize)
  end,
})

local adam_spec = { lr = "number", betas = "betas", eps = "number", weight_decay = "number",
  amsgrad = "boolean", maximize = "boolean" }

local function adam_update(decoupled)
  return function(p, st, g)
    local step = st.step + 1
    local m, v = state_or_new(st, "exp_avg", p), state_or_new(st, "exp_avg_sq", p)
    local vmax = g.amsgrad and state_or_new(st, "max_exp_avg_sq", p) or nil
    K.adam(p, m, v, vmax, step, g.lr, g.betas[1], g.betas[2], g.eps, g.weight_decay, g.amsgrad,
      g.maximize, decoupled)
    st.step = step
  end
end

-- the same for params[i], params[i+1], ... in one C call (see Optimizer:step)
local function adam_update_group(decoupled)
  return function(params, state, i, group) return K.adam_group(params, state, i, group, decoupled) end
end

local function adam_init(p, g)
  local st = { step = 0, exp_avg = K.state(p), exp_avg_sq = K.state(p) }
  if g.amsgrad then st.max_exp_avg_sq = K.state(p) end
  return st
end

define("Adam", {
  impl = { "foreach", "capturable", "differentiable", "fused" },
  spec = adam_spec,
  defaults = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0, amsgrad = false,
    maximize = false },
  init_state = adam_init,
  update = adam_update(false),
  update_group = adam_update_group(false),
})

define("AdamW", {
  impl = { "foreach", "capturable" },
  spec = adam_spec,
  defaults = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 1e-2,
    amsgrad = false, maximize = false },
  init_state = adam_init,
  update = adam_update(true),
  update_group = adam_update_group(true),
})

define("NAdam", {
  impl = { "foreach" },
  spec = { lr = "number", betas = "betas", eps = "number", weight_decay = "number",
    momentum_decay = "number" },
  defaults = { lr = 2e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0,
    momentum_decay = 4e-3 },
  init_state = function(p)
    return { step = 0, mu_product = 1.0, exp_avg = K.state(p), exp_avg_sq = K.state(p) }
  end,
  update = function(p, st, g)
    local step = st.step + 1
    local m, v = state_or_new(st, "exp_avg", p), state_or_new(st, "exp_avg_sq", p)
    st.mu_product = K.nadam(p, m, v, step, st.mu_product, g.lr, g.betas[1], g.betas[2], g.eps,
      g.weight_decay, g.momentum_decay)
    st.step = step
  end,
})

define("RMSprop", {
  impl = { "foreach", "differentiable" },
  spec = { lr = "number", alpha = "number", eps = "number", weight_decay = "number",
    momentum = "number", centered = "boolean", maximize = "boolean" },
  defaults = { lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0,
    centered = false, maximize = false },
  init_state = function(p, g)
    local st = { step = 0, square_avg = K.state(p) }
    if g.momentum > 0 then st.momentum_buffer = K.state(p) end
    if g.centered then st.grad_avg = K.state(p) end
    return st
  end,
  update = function(p, st, g)
    local s = state_or_new(st, "square_avg", p)
    local buf = g.momentum > 0 and state_or_new(st, "momentum_buffer", p) or nil
    local ga = g.centered and state_or_new(st, "grad_avg", p) or nil
    K.rmsprop(p, s, buf, ga, g.lr, g.alpha, g.eps, g.weight_decay, g.momentum, g.centered,
      g.maximize)
    st.step = st.step + 1
  end,
})

define("Adagrad", {
  impl = { "foreach" },
  spec = { lr = "number", lr_decay = "number", weight_decay = "number",
    initial_accumulator_value = "number", eps = "number", maximize = "boolean" },
  defaults = { lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0,
    eps = 1e-10, maximize = false },
  eager_state = true, -- PyTorch creates Adagrad's state in the constructor
  init_state = function(p, g)
    return { step = 0, sum = K.state(p, g.initial_accumulator_value) }
  end,
  update = function(p, st, g)
    local step = st.step + 1
    K.adagrad(p, state_or_new(st, "sum", p, g.initial_accumulator_value), step, g.lr, g.lr_decay,
      g.weight_decay, g.eps, g.maximize)
    st.step = step
  end,
})

define("Adadelta", {
  impl = { "foreach" },
  spec = { lr = "number", rho = "number", eps = "number", weight_decay = "number",
    maximize = "boolean" },
  defaults = { lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0, maximize = false },
  init_state = function(p)
    return { step = 0, square_avg = K.state(p), acc_delta = K.state(p) }
  end,
  update = function(p, st, g)
    K.adadelta(p, state_or_new(st, "square_avg", p), state_or_new(st, "acc_delta", p), g.lr,
      g.rho, g.eps, g.weight_decay, g.maximize)
    st.step = st.step + 1
  end,
})

define("Adamax", {
  impl = { "foreach" },
  spec = { lr = "number", betas = "betas", eps = "number", weight_decay = "number",
    maximize = "boolean" },
  defaults = { lr = 2e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0,
    maximize = false },
  init_state = function(p)
    return { step = 0, exp_avg = K.state(p), exp_inf = K.state(p) }
  end,
  update = function(p, st, g)
    local step = st.step + 1
    K.adamax(p, state_or_new(st, "exp_avg", p), state_or_new(st, "exp_inf", p), step, g.lr,
      g.betas[1], g.betas[2], g.eps, g.weight_decay, g.maximize)
    st.step = step
  end,
})

-- PyTorch 1.13's RAdam has no maximize option
define("RAdam", {
  impl = { "foreach" },
  spec = { lr = "number", betas = "betas", eps = "number", weight_decay = "number" },
  defaults = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 },
  init_state = function(p)
    return { step = 0, exp_avg = K.state(p), exp_avg_sq = K.state(p) }
  end,
  update = function(p, st, g)
    local step = st.step + 1
    K.radam(p, state_or_new(st, "exp_avg", p), state_or_new(st, "exp_avg_sq", p), step, g.lr,
      g.betas[1], g.betas[2], g.eps, g.weight_decay)
    st.step = step
  end,
})

define("ASGD", {
  impl = { "foreach" },
  spec = { lr = "number", lambd = "number", alpha = "number", t0 = "number",
    weight_decay = "number", maximize = "boolean" },
  defaults = { lr = 1e-2, lambd = 1e-4, alpha = 0.75, t0 = 1e6, weight_decay = 0,
    maximize = false },
  -- eta and mu are PyTorch's 0-dim tensors of the default dtype, kept as numbers
  -- rounded to it; ax is the running average of the parameter
  init_state = function(p, g)
    return { step = 0, eta = K.asgd_initial_eta(g.lr), mu = 1, ax = K.state(p) }
  end,
  update = function(p, st, g)
    local step = st.step + 1
    st.eta, st.mu = K.asgd(p, state_or_new(st, "ax", p), step, st.eta, st.mu, g.lr, g.lambd,
      g.alpha, g.t0, g.weight_decay, g.maximize)
    st.step = step
  end,
})

define("Rprop", {
  impl = { "foreach" },
  spec = { lr = "number", etas = "betas", step_sizes = "betas", maximize = "boolean" },
  defaults = { lr = 1e-2, etas = { 0.5, 1.2 }, step_sizes = { 1e-6, 50 }, maximize = false },
  check = function(g)
    if not (0.0 < g.etas[1] and g.etas[1] < 1.0 and 1.0 < g.etas[2]) then
      return string.format("invalid eta values: %s, %s", num(g.etas[1]), num(g.etas[2]))
    end
  end,
  init_state = function(p, g)
    return { step = 0, prev = K.state(p), step_size = K.state(p, g.lr) }
  end,
  update = function(p, st, g)
    K.rprop(p, state_or_new(st, "prev", p), state_or_new(st, "step_size", p, g.lr), g.etas[1],
      g.etas[2], g.step_sizes[1], g.step_sizes[2], g.maximize)
    st.step = st.step + 1
  end,
})

-- LBFGS is defined on its first use (lua/dlt/lazy.lua); its own step checks its self as
-- the other classes' do (lua/dlt/methods.lua)
require("dlt.lazy").on(optim, { "LBFGS" }, function()
  local cls = require("dlt.lbfgs")(define, K)
  require("dlt.methods").guard(cls, { "step" }, optim.is_optimizer, "opt", "optimizer")
end)

return optim
