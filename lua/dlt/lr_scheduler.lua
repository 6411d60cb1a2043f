-- lr_scheduler.lua: dlt.optim.lr_scheduler, torch.optim.lr_scheduler's schedulers with
-- their recursive ("chainable") forms, so the learning rates equal PyTorch's to the
-- rounding, epoch by epoch. A scheduler writes opt.param_groups[i].lr on each step().
local dlt = require "dlt"
-- errors are raised at the user's line, past dlt's own frames
local raise = require("dlt.argcheck").raise

local optim = dlt.optim
local M = {}

local REQUIRED = {}

local function num(v)
  if v ~= v then return "nan" end
  return string.format("%.10g", v)
end

-- Checks opts against spec (key -> default, or REQUIRED) and returns the filled table.
-- Every scheduler also takes last_epoch (-1) and verbose (false).
local function options(name, opts, spec)
  if opts ~= nil and type(opts) ~= "table" then
    raise(name .. ": options must be a table, got " .. type(opts))
  end
  opts = opts or {}
  local out = { last_epoch = -1, verbose = false }
  for k, v in pairs(opts) do
    if spec[k] == nil and out[k] == nil then
      raise(string.format("%s: unknown option '%s'", name, tostring(k)))
    end
    out[k] = v
  end
  for k, v in pairs(spec) do
    if out[k] == nil then
      if v == REQUIRED then raise(string.format("%s: missing option '%s'", name, k)) end
      out[k] = v
    end
  end
  return out
end

local function check_optimizer(name, opt)
  if not optim.is_optimizer(opt) then
    local what = type(opt) == "table" and "a table" or type(opt)
    raise(string.format("%s: %s is not an Optimizer", name, what))
  end
end

local function expect(cond, name, msg)
  if not cond then raise(name .. ": " .. msg) end
end

local function is_int(v)
  return math.type(v) == "integer" or (type(v) == "number" and v == math.floor(v) and
    v == v and v ~= math.huge and v ~= -math.huge)
end

-- an epoch as PyTorch's verbose messages print it
local function epoch_str(epoch)
  if math.type(epoch) == "integer" then return string.format("%05d", epoch) end
  return string.format("%.2f", epoch)
end

local function group_lrs(opt)
  local out = {}
  for i, g in ipairs(opt.param_groups) do out[i] = g.lr end
  return out
end

-- lrs with each entry multiplied by f, in place
local function scaled(lrs, f)
  for i in ipairs(lrs) do lrs[i] = lrs[i] * f end
  return lrs
end

-- a new list: each base lr times f (the closed forms whose factor is the same for all groups)
local function base_times(self, f)
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * f end
  return out
end

-- a per-group list from a number or a list of #groups numbers
local function per_group(name, key, opt, v)
  local n = #opt.param_groups
  if type(v) == "table" then
    expect(#v == n, name, string.format("expected %d values for %s, got %d", n, key, #v))
    local out = {}
    for i = 1, n do
      expect(type(v[i]) == "number", name, key .. " must hold numbers")
      out[i] = v[i]
    end
    return out
  end
  expect(type(v) == "number", name, key .. " must be a number or a list of numbers")
  local out = {}
  for i = 1, n do out[i] = v end
  return out
end

-- count of sorted list entries <= x (Python's bisect_right)
local function bisect_right(list, x)
  local n = 0
  for _, v in ipairs(list) do
    if v <= x then n = n + 1 end
  end
  return n
end

-- half a cosine from base at t = 0 down to eta_min at t = T:
--   eta_min + (base - eta_min) * (1 + cos(pi * t / T)) / 2
local function cosine_lr(base, eta_min, t, T)
  return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
end

-- cosine_lr for each base lr of a scheduler with an eta_min
local function cosine_lrs(self, t, T)
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = cosine_lr(base, self.eta_min, t, T) end
  return out
end

---------------------------------------------------------------------------------------
-- the base: PyTorch's _LRScheduler

local LRScheduler = {}
LRScheduler.__index = LRScheduler


-- The types each scheduler's number and table fields had when it last stepped (weak
-- keys: nothing of this is the scheduler's own state, so state_dict does not see it).
-- A field a script has since overwritten with another type is named at the next step,
-- instead of a Lua "attempt to compare string with number" deep inside.
local field_types = setmetatable({}, { __mode = "k" })
local field_counts = setmetatable({}, { __mode = "k" })  -- how many fields each records

local function check_all_fields(self, fn)
  local seen = field_types[self]
  if not seen then
    seen = {}
    field_types[self], field_counts[self] = seen, 0
  end
  -- one walk over the fields checks the recorded ones and records new ones; a recorded
  -- field set to nil is not walked over, which the count finds
  local found, count = 0, field_counts[self]
  for k, v in next, self do
    local want = seen[k]
    if want then
      if type(v) ~= want then
        raise(string.format("%s.%s: field '%s' must be a %s, got %s (written over by the script?)",
          self.name, fn, k, want, type(v)))
      end
      found = found + 1
    elseif type(k) == "string" then
      local ty = type(v)
      if ty == "number" or ty == "table" or ty == "boolean" then
        seen[k], count, found = ty, count + 1, found + 1
      end
    end
  end
  field_counts[self] = count
  if found < count then
    for k, ty in next, seen do
      if rawget(self, k) == nil then
        raise(string.format("%s.%s: field '%s' must be a %s, got nil (written over by the script?)",
          self.name, fn, k, ty))
      end
    end
  end
  local opt = rawget(self, "optimizer")
  if opt ~= nil and not optim.is_optimizer(opt) then
    raise(string.format("%s.%s: field 'optimizer' must be an Optimizer, got %s", self.name, fn, type(opt)))
  end
  if opt ~= nil and type(opt.param_groups) == "table" then
    for i, g in ipairs(opt.param_groups) do
      if type(g) ~= "table" or type(g.lr) ~= "number" then
        raise(string.format("%s.%s: optimizer.param_groups[%d].lr must be a number, got %s", self.name, fn, i,
          type(g) == "table" and type(g.lr) or type(g)))
      end
    end
  end
  local base = rawget(self, "base_lrs")
  if type(base) == "table" then
    for i, v in ipairs(base) do
      if type(v) ~= "number" then
        raise(string.format("%s.%s: base_lrs[%d] must be a number, got %s", self.name, fn, i, type(v)))
      end
    end
  end
end


-- What check_all_fields last found correct, per scheduler: the recorded fields' values,
-- the optimizer, its param_groups and their lrs, base_lrs and its entries. A step pays
-- for a type() only where a value differs from the one noted (the scheduler's own
-- last_epoch, _step_count, _last_lr, the lrs it wrote); anything else that changed (a
-- new optimizer, a group added, a base_lrs entry) runs the whole check again.
local noted = setmetatable({}, { __mode = "k" })
local walks = setmetatable({}, { __mode = "k" })  -- whole checks so far (fields appear in the first steps)

local function note(self)
  local seen = field_types[self]
  local rec = { keys = {}, types = {}, vals = {}, glist = {}, lrs = {}, bases = {} }
  for k, ty in next, seen do
    local i = #rec.keys + 1
    rec.keys[i], rec.types[i], rec.vals[i] = k, ty, rawget(self, k)
  end
  local opt = rawget(self, "optimizer")
  rec.opt = opt
  rec.groups = opt ~= nil and opt.param_groups or nil
  if type(rec.groups) == "table" then
    for i, g in ipairs(rec.groups) do rec.glist[i], rec.lrs[i] = g, g.lr end
  end
  rec.base = rawget(self, "base_lrs")
  if type(rec.base) == "table" then
    for i, v in ipairs(rec.base) do rec.bases[i] = v end
  end
  noted[self] = rec
end

-- true when nothing differs from what was noted but values of the same type (updated)
local function unchanged(self, rec)
  local keys, types, vals = rec.keys, rec.types, rec.vals
  for i = 1, #keys do
    local v = self[keys[i]]
    if v ~= vals[i] then
      v = rawget(self, keys[i])
      if type(v) ~= types[i] then return false end
      vals[i] = v
    end
  end
  local opt = rawget(self, "optimizer")
  if opt ~= rec.opt then return false end
  if opt ~= nil then
    local groups, glist, lrs = opt.param_groups, rec.glist, rec.lrs
    if groups ~= rec.groups or type(groups) ~= "table" or #groups ~= #glist then return false end
    for i = 1, #glist do
      local g = groups[i]
      if g ~= glist[i] then return false end
      local lr = g.lr
      if lr ~= lrs[i] then
        if type(lr) ~= "number" then return false end
        lrs[i] = lr
      end
    end
  end
  local base, bases = rawget(self, "base_lrs"), rec.bases
  if base ~= rec.base then return false end
  if type(base) == "table" then
    if #base ~= #bases then return false end
    for i = 1, #bases do
      if base[i] ~= bases[i] then return false end
    end
  end
  return true
end

local function check_fields(self, fn)
  if type(self) ~= "table" then return end
  local rec = noted[self]
  if rec and unchanged(self, rec) then return end
  check_all_fields(self, fn)
  local n = (walks[self] or 0) + 1
  walks[self] = n
  if n >= 2 then note(self) end
end

-- every class, in order of definition (lua/dlt/methods.lua checks their methods' self)
M._classes = {}

local function class(name, base)
  local cls = setmetatable({}, { __index = base or LRScheduler })
  cls.__index = cls
  cls.__tostring = function(self) return self.name end
  cls.name = name
  M._classes[#M._classes + 1] = cls
  return cls
end

local function init(self, opt, o)
  self.optimizer = opt
  self.verbose = o.verbose
  expect(is_int(o.last_epoch), self.name, "last_epoch must be an integer")
  if o.last_epoch == -1 then
    for _, g in ipairs(opt.param_groups) do
      if g.initial_lr == nil then g.initial_lr = g.lr end
    end
  else
    for i, g in ipairs(opt.param_groups) do
      if g.initial_lr == nil then
        raise(string.format("%s: param 'initial_lr' is not specified in param_groups[%d] " ..
          "when resuming an optimizer", self.name, i))
      end
    end
  end
  self.base_lrs = {}
  for i, g in ipairs(opt.param_groups) do self.base_lrs[i] = g.initial_lr end
  self.last_epoch = o.last_epoch
  self:_initial_step()
end

function LRScheduler:_initial_step()
  self._step_count = 0
  self:step()
end

function LRScheduler:_set_lrs(values, epoch)
  for i, g in ipairs(self.optimizer.param_groups) do
    g.lr = values[i]
    if self.verbose then
      if epoch == nil then
        print(string.format("Adjusting learning rate of group %d to %.4e.", i, values[i]))
      else
        print(string.format("Epoch %s: adjusting learning rate of group %d to %.4e.",
          epoch_str(epoch), i, values[i]))
      end
    end
  end
  self._last_lr = group_lrs(self.optimizer)
end

-- sched:step() advances one epoch; sched:step(epoch) (deprecated in PyTorch) jumps to
-- an epoch with the closed form where the scheduler has one
function LRScheduler:step(epoch)
  check_fields(self, "step")
  if epoch ~= nil and type(epoch) ~= "number" then
    raise(self.name .. ".step: epoch must be a number, got " .. type(epoch))
  end
  if epoch ~= epoch then raise(self.name .. ".step: epoch must be a number, got nan") end
  self._step_count = self._step_count + 1
  local values
  if epoch == nil then
    self.last_epoch = self.last_epoch + 1
    values = self:get_lr()
  else
    self.last_epoch = epoch
    values = self._closed_form and self:_closed_form() or self:get_lr()
  end
  self:_set_lrs(values, epoch)
end

function LRScheduler:get_last_lr()
  local out = {}
  for i, v in ipairs(self._last_lr) do out[i] = v end
  return out
end

-- every field but the optimizer and functions, copied one level deep
function LRScheduler:state_dict()
  local sd = {}
  for k, v in pairs(self) do
    if k ~= "optimizer" and type(v) ~= "function" and k ~= "_schedulers" then
      if type(v) == "table" then
        local c = {}
        for i, x in pairs(v) do
          if type(x) ~= "function" then c[i] = x end
        end
        v = c
      end
      sd[k] = v
    end
  end
  if self._schedulers then
    sd._schedulers = {}
    for i, s in ipairs(self._schedulers) do sd._schedulers[i] = s:state_dict() end
  end
  return sd
end

function LRScheduler:load_state_dict(sd)
  if type(sd) ~= "table" then
    raise(self.name .. ".load_state_dict: expected a table, got " .. type(sd))
  end
  noted[self], walks[self] = nil, nil  -- fields it brings are checked whole at the next step
  for k, v in pairs(sd) do
    if k == "_schedulers" then
      for i, s in ipairs(v) do self._schedulers[i]:load_state_dict(s) end
    elseif k == "lr_lambdas" then
      -- functions are not saved; the scheduler keeps its own
    elseif type(v) == "table" then
      local c = {}
      for i, x in pairs(v) do c[i] = x end
      self[k] = c
    else
      self[k] = v
    end
  end
end



---------------------------------------------------------------------------------------

local LambdaLR = class("LambdaLR")
local MultiplicativeLR = class("MultiplicativeLR", LambdaLR)

local function lambda_scheduler(cls, opt, opts)
  local name = cls.name
  check_optimizer(name, opt)
  local o = options(name, opts, { lr_lambda = REQUIRED })
  local self = setmetatable({}, cls)
  self.lr_lambdas = {}
  local n = #opt.param_groups
  if type(o.lr_lambda) == "table" then
    expect(#o.lr_lambda == n, name,
      string.format("expected %d lr_lambdas, but got %d", n, #o.lr_lambda))
    for i = 1, n do self.lr_lambdas[i] = o.lr_lambda[i] end
  else
    for i = 1, n do self.lr_lambdas[i] = o.lr_lambda end
  end
  for i = 1, n do
    expect(type(self.lr_lambdas[i]) == "function", name,
      "lr_lambda must be a function or a list of functions")
  end
  init(self, opt, o)
  return self
end

function M.LambdaLR(opt, opts) return lambda_scheduler(LambdaLR, opt, opts) end
function M.MultiplicativeLR(opt, opts) return lambda_scheduler(MultiplicativeLR, opt, opts) end

local function call_lambda(self, i)
  local f = self.lr_lambdas[i](self.last_epoch)
  if type(f) ~= "number" then
    raise(string.format("%s: lr_lambda returned %s for epoch %d, expected a number", self.name,
      type(f), self.last_epoch))
  end
  return f
end

function LambdaLR:get_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * call_lambda(self, i) end
  return out
end

function MultiplicativeLR:get_lr()
  local out = group_lrs(self.optimizer)
  if self.last_epoch > 0 then
    for i in ipairs(out) do out[i] = out[i] * call_lambda(self, i) end
  end
  return out
end

local StepLR = class("StepLR")
function M.StepLR(opt, opts)
  check_optimizer("StepLR", opt)
  local o = options("StepLR", opts, { step_size = REQUIRED, gamma = 0.1 })
  expect(is_int(o.step_size) and o.step_size > 0, "StepLR",
    "step_size must be a positive integer, got " .. tostring(o.step_size))
  expect(type(o.gamma) == "number", "StepLR", "gamma must be a number")
  local self = setmetatable({ step_size = math.tointeger(o.step_size), gamma = o.gamma }, StepLR)
  init(self, opt, o)
  return self
end

function StepLR:get_lr()
  local out = group_lrs(self.optimizer)
  if self.last_epoch == 0 or self.last_epoch % self.step_size ~= 0 then return out end
  return scaled(out, self.gamma)
end

function StepLR:_closed_form()
  return base_times(self, self.gamma ^ (self.last_epoch // self.step_size))
end

local MultiStepLR = class("MultiStepLR")
function M.MultiStepLR(opt, opts)
  check_optimizer("MultiStepLR", opt)
  local o = options("MultiStepLR", opts, { milestones = REQUIRED, gamma = 0.1 })
  expect(type(o.milestones) == "table", "MultiStepLR", "milestones must be a list of integers")
  expect(type(o.gamma) == "number", "MultiStepLR", "gamma must be a number")
  local counts, sorted = {}, {}
  for i, m in ipairs(o.milestones) do
    expect(is_int(m), "MultiStepLR", "milestones must be a list of integers")
    m = math.tointeger(m)
    counts[m] = (counts[m] or 0) + 1
    sorted[i] = m
  end
  table.sort(sorted)
  local self = setmetatable({ milestones = counts, sorted_milestones = sorted, gamma = o.gamma },
    MultiStepLR)
  init(self, opt, o)
  return self
end

function MultiStepLR:get_lr()
  local out = group_lrs(self.optimizer)
  local c = self.milestones[self.last_epoch]
  if not c then return out end
  return scaled(out, self.gamma ^ c)
end

function MultiStepLR:_closed_form()
  return base_times(self, self.gamma ^ bisect_right(self.sorted_milestones, self.last_epoch))
end

local ConstantLR = class("ConstantLR")
function M.ConstantLR(opt, opts)
  check_optimizer("ConstantLR", opt)
  local o = options("ConstantLR", opts, { factor = 1 / 3, total_iters = 5 })
  expect(type(o.factor) == "number" and o.factor >= 0 and o.factor <= 1, "ConstantLR",
    "constant multiplicative factor expected to be between 0 and 1")
  expect(is_int(o.total_iters), "ConstantLR", "total_iters must be an integer")
  local self = setmetatable({ factor = o.factor, total_iters = o.total_iters }, ConstantLR)
  init(self, opt, o)
  return self
end

function ConstantLR:get_lr()
  local out = group_lrs(self.optimizer)
  if self.last_epoch == 0 then return scaled(out, self.factor) end
  if self.last_epoch == self.total_iters then return scaled(out, 1.0 / self.factor) end
  return out
end

function ConstantLR:_closed_form()
  local f = self.last_epoch >= self.total_iters and 1 or 0
  return base_times(self, self.factor + f * (1 - self.factor))
end

local LinearLR = class("LinearLR")
function M.LinearLR(opt, opts)
  check_optimizer("LinearLR", opt)
  local o = options("LinearLR", opts, { start_factor = 1 / 3, end_factor = 1.0, total_iters = 5 })
  expect(type(o.start_factor) == "number" and o.start_factor > 0 and o.start_factor <= 1,
    "LinearLR", "starting multiplicative factor expected to be greater than 0 and less or " ..
    "equal to 1, got " .. tostring(o.start_factor))
  expect(type(o.end_factor) == "number" and o.end_factor >= 0 and o.end_factor <= 1, "LinearLR",
    "ending multiplicative factor expected to be between 0 and 1, got " .. tostring(o.end_factor))
  expect(is_int(o.total_iters) and o.total_iters > 0, "LinearLR",
    "total_iters must be a positive integer")
  local self = setmetatable({ start_factor = o.start_factor, end_factor = o.end_factor,
    total_iters = o.total_iters }, LinearLR)
  init(self, opt, o)
  return self
end

function LinearLR:get_lr()
  local out = group_lrs(self.optimizer)
  local s, e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
  if t == 0 then return scaled(out, s) end
  if t <= n then return scaled(out, 1. + (e - s) / (n * s + (t - 1) * (e - s))) end
  return out
end

function LinearLR:_closed_form()
  local s, e, n = self.start_factor, self.end_factor, self.total_iters
  return base_times(self, s + (e - s) * math.min(n, self.last_epoch) / n)
end

local ExponentialLR = class("ExponentialLR")
function M.ExponentialLR(opt, opts)
  check_optimizer("ExponentialLR", opt)
  local o = options("ExponentialLR", opts, { gamma = REQUIRED })
  expect(type(o.gamma) == "number", "ExponentialLR", "gamma must be a number")
  local self = setmetatable({ gamma = o.gamma }, ExponentialLR)
  init(self, opt, o)
  return self
end

function ExponentialLR:get_lr()
  local out = group_lrs(self.optimizer)
  if self.last_epoch == 0 then return out end
  return scaled(out, self.gamma)
end

function ExponentialLR:_closed_form()
  return base_times(self, self.gamma ^ self.last_epoch)
end

local CosineAnnealingLR = class("CosineAnnealingLR")
function M.CosineAnnealingLR(opt, opts)
  check_optimizer("CosineAnnealingLR", opt)
  local o = options("CosineAnnealingLR", opts, { T_max = REQUIRED, eta_min = 0 })
  expect(type(o.T_max) == "number" and o.T_max > 0, "CosineAnnealingLR",
    "T_max must be a positive number, got " .. tostring(o.T_max))
  expect(type(o.eta_min) == "number", "CosineAnnealingLR", "eta_min must be a number")
  local self = setmetatable({ T_max = o.T_max, eta_min = o.eta_min }, CosineAnnealingLR)
  init(self, opt, o)
  return self
end

-- PyTorch's recursive form: each lr follows from the previous one
function CosineAnnealingLR:get_lr()
  local out = group_lrs(self.optimizer)
  local t, T, emin, pi = self.last_epoch, self.T_max, self.eta_min, math.pi
  if t == 0 then return out end
  for i, lr in ipairs(out) do
    local base = self.base_lrs[i]
    if self._step_count == 1 and t > 0 then
      out[i] = cosine_lr(base, emin, t, T)
    elseif (t - 1 - T) % (2 * T) == 0 then
      out[i] = lr + (base - emin) * (1 - math.cos(pi / T)) / 2
    else
      out[i] = (1 + math.cos(pi * t / T)) / (1 + math.cos(pi * (t - 1) / T)) * (lr - emin) + emin
    end
  end
  return out
end

function CosineAnnealingLR:_closed_form()
  return cosine_lrs(self, self.last_epoch, self.T_max)
end

local WarmRestarts = class("CosineAnnealingWarmRestarts")
function M.CosineAnnealingWarmRestarts(opt, opts)
  local name = "CosineAnnealingWarmRestarts"
  check_optimizer(name, opt)
  local o = options(name, opts, { T_0 = REQUIRED, T_mult = 1, eta_min = 0 })
  expect(is_int(o.T_0) and o.T_0 > 0, name,
    "expected positive integer T_0, but got " .. tostring(o.T_0))
  expect(is_int(o.T_mult) and o.T_mult >= 1, name,
    "expected integer T_mult >= 1, but got " .. tostring(o.T_mult))
  expect(type(o.eta_min) == "number", name, "eta_min must be a number")
  local self = setmetatable({ T_0 = math.tointeger(o.T_0), T_i = math.tointeger(o.T_0),
    T_mult = math.tointeger(o.T_mult), eta_min = o.eta_min, T_cur = o.last_epoch }, WarmRestarts)
  init(self, opt, o)
  return self
end

function WarmRestarts:get_lr()
  return cosine_lrs(self, self.T_cur, self.T_i)
end

-- step() advances one epoch; step(epoch) accepts fractional epochs, as PyTorch's
function WarmRestarts:step(epoch)
  check_fields(self, "step")
  if epoch ~= nil and type(epoch) ~= "number" then
    raise(self.name .. ".step: epoch must be a number, got " .. type(epoch))
  end
  if epoch ~= nil and (epoch ~= epoch or epoch == math.huge) then
    raise(self.name .. ".step: epoch must be finite, got " .. num(epoch))
  end
  if epoch == nil and self.last_epoch < 0 then epoch = 0 end
  if epoch == nil then
    epoch = self.last_epoch + 1
    self.T_cur = self.T_cur + 1
    if self.T_cur >= self.T_i then
      self.T_cur = self.T_cur - self.T_i
      self.T_i = self.T_i * self.T_mult
    end
  else
    if epoch < 0 then
      raise(self.name .. ".step: expected non-negative epoch, but got " .. num(epoch))
    end
    if epoch >= self.T_0 then
      if self.T_mult == 1 then
        self.T_cur = math.fmod(epoch, self.T_0)
      else
        local n = math.floor(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
        self.T_cur = epoch - self.T_0 * (self.T_mult ^ n - 1) / (self.T_mult - 1)
        -- T_mult^n past 2^63 (a huge epoch) stays a float, as Python's int would be exact
        local grown = self.T_mult ^ n
        self.T_i = self.T_0 * (math.tointeger(grown) or grown)
      end
    else
      self.T_i = self.T_0
      self.T_cur = epoch
    end
  end
  self._step_count = (self._step_count or 0) + 1
  self.last_epoch = math.floor(epoch)
  self:_set_lrs(self:get_lr(), nil)
end

-- OneCycleLR and CyclicLR: cycle_momentum needs an optimizer with momentum or betas
local function check_cycle_momentum(name, opt)
  local d = opt.defaults
  expect(d.momentum ~= nil or d.betas ~= nil, name,
    "optimizer must support momentum with `cycle_momentum` option enabled")
  return d
end

-- sets a group's momentum: beta1 for Adam-like optimizers (use_beta1), else momentum
local function set_momentum(g, use_beta1, m)
  if use_beta1 then g.betas = { m, g.betas[2] } else g.momentum = m end
end

-- LRScheduler.step with its errors (a step past total_steps, a scale_fn that fails)
-- at the caller's position
local function step_at_caller(self, epoch)
  local ok, err = pcall(LRScheduler.step, self, epoch)
  if not ok then error(err, 2) end
end

local OneCycleLR = class("OneCycleLR")
function M.OneCycleLR(opt, opts)
  local name = "OneCycleLR"
  check_optimizer(name, opt)
  local o = options(name, opts, { max_lr = REQUIRED, total_steps = false, epochs = false,
    steps_per_epoch = false, pct_start = 0.3, anneal_strategy = "cos", cycle_momentum = true,
    base_momentum = 0.85, max_momentum = 0.95, div_factor = 25., final_div_factor = 1e4,
    three_phase = false })
  local self = setmetatable({}, OneCycleLR)
  if o.total_steps then
    expect(is_int(o.total_steps) and o.total_steps > 0, name,
      "expected positive integer total_steps, but got " .. tostring(o.total_steps))
    self.total_steps = math.tointeger(o.total_steps)
  elseif o.epochs or o.steps_per_epoch then
    expect(is_int(o.epochs) and o.epochs > 0, name,
      "expected positive integer epochs, but got " .. tostring(o.epochs))
    expect(is_int(o.steps_per_epoch) and o.steps_per_epoch > 0, name,
      "expected positive integer steps_per_epoch, but got " .. tostring(o.steps_per_epoch))
    self.total_steps = math.tointeger(o.epochs * o.steps_per_epoch)
  else
    raise(name .. ": you must define either total_steps OR (epochs AND steps_per_epoch)")
  end
  local n, pct = self.total_steps, o.pct_start
  expect(type(pct) == "number" and pct >= 0 and pct <= 1, name,
    "expected pct_start between 0 and 1, but got " .. tostring(pct))
  if o.three_phase then
    self._phases = {
      { end_step = pct * n - 1, start_lr = "initial_lr", end_lr = "max_lr",
        start_momentum = "max_momentum", end_momentum = "base_momentum" },
      { end_step = 2 * pct * n - 2, start_lr = "max_lr", end_lr = "initial_lr",
        start_momentum = "base_momentum", end_momentum = "max_momentum" },
      { end_step = n - 1, start_lr = "initial_lr", end_lr = "min_lr",
        start_momentum = "max_momentum", end_momentum = "max_momentum" },
    }
  else
    self._phases = {
      { end_step = pct * n - 1, start_lr = "initial_lr", end_lr = "max_lr",
        start_momentum = "max_momentum", end_momentum = "base_momentum" },
      { end_step = n - 1, start_lr = "max_lr", end_lr = "min_lr",
        start_momentum = "base_momentum", end_momentum = "max_momentum" },
    }
  end
  expect(o.anneal_strategy == "cos" or o.anneal_strategy == "linear", name,
    "anneal_strategy must be one of 'cos' or 'linear', instead got " .. tostring(o.anneal_strategy))
  self.anneal_strategy = o.anneal_strategy
  expect(type(o.div_factor) == "number" and type(o.final_div_factor) == "number", name,
    "div_factor and final_div_factor must be numbers")
  -- initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor
  expect(o.div_factor > 0 and o.div_factor < math.huge and o.final_div_factor > 0 and o.final_div_factor < math.huge,
    name, string.format("div_factor and final_div_factor must be positive and finite, got %s and %s",
      tostring(o.div_factor), tostring(o.final_div_factor)))
  local max_lrs = per_group(name, "max_lr", opt, o.max_lr)
  if o.last_epoch == -1 then
    for i, g in ipairs(opt.param_groups) do
      g.initial_lr = max_lrs[i] / o.div_factor
      g.max_lr = max_lrs[i]
      g.min_lr = g.initial_lr / o.final_div_factor
    end
  end
  self.cycle_momentum = o.cycle_momentum
  if o.cycle_momentum then
    local d = check_cycle_momentum(name, opt)
    self.use_beta1 = d.betas ~= nil
    local maxm = per_group(name, "max_momentum", opt, o.max_momentum)
    local basem = per_group(name, "base_momentum", opt, o.base_momentum)
    if o.last_epoch == -1 then
      for i, g in ipairs(opt.param_groups) do
        set_momentum(g, self.use_beta1, maxm[i])
        g.max_momentum = maxm[i]
        g.base_momentum = basem[i]
      end
    end
  end
  init(self, opt, o)
  return self
end

function OneCycleLR:_anneal(start, stop, pct)
  if self.anneal_strategy == "cos" then
    return stop + (start - stop) / 2.0 * (math.cos(math.pi * pct) + 1)
  end
  return (stop - start) * pct + start
end

function OneCycleLR:get_lr()
  local step = self.last_epoch
  if step > self.total_steps then
    raise(string.format("OneCycleLR: tried to step %d times; the specified number of total " ..
      "steps is %d", step + 1, self.total_steps))
  end
  local out = {}
  for gi, g in ipairs(self.optimizer.param_groups) do
    local start_step, lr, mom = 0, nil, nil
    for i, ph in ipairs(self._phases) do
      if step <= ph.end_step or i == #self._phases then
        local pct = (step - start_step) / (ph.end_step - start_step)
        lr = self:_anneal(g[ph.start_lr], g[ph.end_lr], pct)
        if self.cycle_momentum then
          mom = self:_anneal(g[ph.start_momentum], g[ph.end_momentum], pct)
        end
        break
      end
      start_step = ph.end_step
    end
    out[gi] = lr
    if self.cycle_momentum then
      set_momentum(g, self.use_beta1, mom)
    end
  end
  return out
end

OneCycleLR.step = step_at_caller

local PolynomialLR = class("PolynomialLR")
function M.PolynomialLR(opt, opts)
  check_optimizer("PolynomialLR", opt)
  local o = options("PolynomialLR", opts, { total_iters = 5, power = 1.0 })
  expect(type(o.total_iters) == "number" and o.total_iters > 0, "PolynomialLR",
    "total_iters must be a positive number, got " .. tostring(o.total_iters))
  expect(type(o.power) == "number", "PolynomialLR", "power must be a number")
  local self = setmetatable({ total_iters = o.total_iters, power = o.power }, PolynomialLR)
  init(self, opt, o)
  return self
end

-- recursive form: lr_t = lr_{t-1} * ((1 - t/T) / (1 - (t-1)/T))^power
function PolynomialLR:get_lr()
  local out = group_lrs(self.optimizer)
  local t, n = self.last_epoch, self.total_iters
  if t == 0 or t > n then return out end
  return scaled(out, ((1.0 - t / n) / (1.0 - (t - 1) / n)) ^ self.power)
end

function PolynomialLR:_closed_form()
  local n = self.total_iters
  return base_times(self, (1.0 - math.min(n, self.last_epoch) / n) ^ self.power)
end

-- CyclicLR: the rate runs from base_lr up to max_lr in step_size_up steps and back
-- in step_size_down, its height scaled by scale_fn(cycle) or scale_fn(step). Meant to
-- be stepped after every batch.
local CyclicLR = class("CyclicLR")
function M.CyclicLR(opt, opts)
  local name = "CyclicLR"
  check_optimizer(name, opt)
  local o = options(name, opts, { base_lr = REQUIRED, max_lr = REQUIRED, step_size_up = 2000,
    step_size_down = false, mode = "triangular", gamma = 1.0, scale_fn = false,
    scale_mode = "cycle", cycle_momentum = true, base_momentum = 0.8, max_momentum = 0.9 })
  local base_lrs = per_group(name, "base_lr", opt, o.base_lr)
  if o.last_epoch == -1 then
    for i, g in ipairs(opt.param_groups) do g.lr = base_lrs[i] end
  end
  local self = setmetatable({}, CyclicLR)
  self.max_lrs = per_group(name, "max_lr", opt, o.max_lr)
  expect(type(o.step_size_up) == "number" and o.step_size_up > 0, name,
    "step_size_up must be a positive number, got " .. tostring(o.step_size_up))
  local down = o.step_size_down or o.step_size_up
  expect(type(down) == "number" and down >= 0, name,
    "step_size_down must be a non-negative number, got " .. tostring(down))
  self.total_size = o.step_size_up + down + 0.0
  self.step_ratio = o.step_size_up / self.total_size
  expect(type(o.gamma) == "number", name, "gamma must be a number")
  self.mode, self.gamma = o.mode, o.gamma
  if o.scale_fn then
    expect(type(o.scale_fn) == "function", name, "scale_fn must be a function")
    expect(o.scale_mode == "cycle" or o.scale_mode == "iterations", name,
      "scale_mode must be 'cycle' or 'iterations', got " .. tostring(o.scale_mode))
    self._scale_fn_custom = o.scale_fn
    self.scale_mode = o.scale_mode
  else
    expect(o.mode == "triangular" or o.mode == "triangular2" or o.mode == "exp_range", name,
      "mode is invalid and scale_fn is None (mode " .. tostring(o.mode) ..
      "; expected 'triangular', 'triangular2' or 'exp_range', or a scale_fn)")
    self.scale_mode = o.mode == "exp_range" and "iterations" or "cycle"
  end
  self.cycle_momentum = o.cycle_momentum
  if o.cycle_momentum then
    local d = check_cycle_momentum(name, opt)
    -- Adam-like optimizers cycle beta1 (as PyTorch 2's CyclicLR; 1.13 refuses them)
    self.use_beta1 = d.momentum == nil
    local basem = per_group(name, "base_momentum", opt, o.base_momentum)
    if o.last_epoch == -1 then
      for i, g in ipairs(opt.param_groups) do
        set_momentum(g, self.use_beta1, basem[i])
      end
    end
    self.base_momentums = {}
    for i, g in ipairs(opt.param_groups) do
      self.base_momentums[i] = self.use_beta1 and g.betas[1] or g.momentum
    end
    self.max_momentums = per_group(name, "max_momentum", opt, o.max_momentum)
  end
  init(self, opt, o)
  self.base_lrs = base_lrs
  return self
end

function CyclicLR:scale_fn(x)
  if self._scale_fn_custom then
    local v = self._scale_fn_custom(x)
    if type(v) ~= "number" then
      raise(string.format("CyclicLR: scale_fn returned %s for %s, expected a number", type(v),
        num(x)))
    end
    return v
  elseif self.mode == "triangular2" then
    return 1 / (2. ^ (x - 1))
  elseif self.mode == "exp_range" then
    return self.gamma ^ x
  end
  return 1.
end

function CyclicLR:get_lr()
  local cycle = math.floor(1 + self.last_epoch / self.total_size)
  local x = 1. + self.last_epoch / self.total_size - cycle
  local scale_factor
  if x <= self.step_ratio then
    scale_factor = x / self.step_ratio
  else
    scale_factor = (x - 1) / (self.step_ratio - 1)
  end
  local s = self:scale_fn(self.scale_mode == "cycle" and cycle or self.last_epoch)
  local lrs = {}
  for i, base in ipairs(self.base_lrs) do
    lrs[i] = base + (self.max_lrs[i] - base) * scale_factor * s
  end
  if self.cycle_momentum then
    for i, g in ipairs(self.optimizer.param_groups) do
      local maxm = self.max_momentums[i]
      local m = maxm - (maxm - self.base_momentums[i]) * scale_factor * s
      set_momentum(g, self.use_beta1, m)
    end
  end
  return lrs
end

CyclicLR.step = step_at_caller

-- SWALR: anneals each group's lr to swa_lr over anneal_epochs ("cos" or "linear"),
-- then holds it (torch.optim.swa_utils.SWALR)
local SWALR = class("SWALR")
function M.SWALR(opt, opts)
  local name = "SWALR"
  check_optimizer(name, opt)
  local o = options(name, opts, { swa_lr = REQUIRED, anneal_epochs = 10,
    anneal_strategy = "cos" })
  local n = #opt.param_groups
  if type(o.swa_lr) == "table" then
    expect(#o.swa_lr == n, name, string.format("swa_lr must have the same length as " ..
      "optimizer.param_groups: swa_lr has %d, optimizer.param_groups has %d", #o.swa_lr, n))
  end
  local swa_lrs = per_group(name, "swa_lr", opt, o.swa_lr)
  for i, g in ipairs(opt.param_groups) do g.swa_lr = swa_lrs[i] end
  expect(o.anneal_strategy == "cos" or o.anneal_strategy == "linear", name,
    "anneal_strategy must by one of 'cos' or 'linear', instead got " ..
    tostring(o.anneal_strategy))
  expect(math.type(o.anneal_epochs) == "integer" and o.anneal_epochs >= 0, name,
    "anneal_epochs must be equal or greater than 0, got " .. tostring(o.anneal_epochs))
  local self = setmetatable({ anneal_epochs = o.anneal_epochs,
    anneal_strategy = o.anneal_strategy }, SWALR)
  init(self, opt, o)
  return self
end

function SWALR:_anneal(t)
  if self.anneal_strategy == "linear" then return t end
  return (1 - math.cos(math.pi * t)) / 2
end

local function swa_initial_lr(lr, swa_lr, alpha)
  if alpha == 1 then return swa_lr end
  return (lr - alpha * swa_lr) / (1 - alpha)
end

function SWALR:get_lr()
  local step = self._step_count - 1
  if self.anneal_epochs == 0 then step = math.max(1, step) end
  local span = math.max(1, self.anneal_epochs)
  local prev_alpha = self:_anneal(math.max(0, math.min(1, (step - 1) / span)))
  local alpha = self:_anneal(math.max(0, math.min(1, step / span)))
  local out = {}
  for i, g in ipairs(self.optimizer.param_groups) do
    local prev = swa_initial_lr(g.lr, g.swa_lr, prev_alpha)
    out[i] = g.swa_lr * alpha + prev * (1 - alpha)
  end
  return out
end

-- declared here: SequentialLR refuses them by class
local ChainedScheduler = class("ChainedScheduler")
local Plateau = class("ReduceLROnPlateau")
local SequentialLR = class("SequentialLR")
function M.SequentialLR(opt, opts)
  local name = "SequentialLR"
  check_optimizer(name, opt)
  local o = options(name, opts, { schedulers = REQUIRED, milestones = REQUIRED })
  local scheds, ms = o.schedulers, o.milestones
  expect(type(scheds) == "table" and #scheds > 0, name, "schedulers must be a list of schedulers")
  expect(type(ms) == "table", name, "milestones must be a list of integers")
  for i, s in ipairs(scheds) do
    expect(getmetatable(s) ~= ChainedScheduler, name, string.format("scheduler %d is a " ..
      "ChainedScheduler, which SequentialLR cannot run (it has no epoch count to rewind; " ..
      "PyTorch 1.13 fails on it too): put its schedulers in the SequentialLR's list or chain " ..
      "SequentialLRs instead", i))
    expect(getmetatable(s) ~= Plateau, name, string.format("scheduler %d is a " ..
      "ReduceLROnPlateau, which is stepped with a metric and cannot run inside SequentialLR", i))
    expect(type(s) == "table" and s.optimizer == opt, name, "Sequential Schedulers expects all " ..
      "schedulers to belong to the same optimizer, but got scheduler " .. i ..
      " to be different than the optimizer passed in")
  end
  expect(#ms == #scheds - 1, name, string.format("Sequential Schedulers expects number of " ..
    "schedulers provided to be one more than the number of milestone points, but got number " ..
    "of schedulers %d and the number of milestones to be equal to %d", #scheds, #ms))
  for _, m in ipairs(ms) do expect(is_int(m), name, "milestones must be a list of integers") end
  local self = setmetatable({ optimizer = opt, _schedulers = {}, _milestones = {} }, SequentialLR)
  for i, s in ipairs(scheds) do self._schedulers[i] = s end
  for i, m in ipairs(ms) do self._milestones[i] = m end
  self.last_epoch = o.last_epoch + 1
  for _, g in ipairs(opt.param_groups) do g.lr = g.initial_lr end
  for _, s in ipairs(self._schedulers) do s.last_epoch = s.last_epoch - 1 end
  self._schedulers[1]:_initial_step()
  self._last_lr = self._schedulers[1]:get_last_lr()
  return self
end

function SequentialLR:step()
  check_fields(self, "step")
  self.last_epoch = self.last_epoch + 1
  local idx = bisect_right(self._milestones, self.last_epoch)
  local s = self._schedulers[idx + 1]
  if idx > 0 and self._milestones[idx] == self.last_epoch then
    s:step(0)
  else
    s:step()
  end
  self._last_lr = s:get_last_lr()
end

function M.ChainedScheduler(schedulers)
  expect(type(schedulers) == "table" and #schedulers > 0, "ChainedScheduler",
    "expected a list of schedulers")
  local self = setmetatable({ _schedulers = {} }, ChainedScheduler)
  for i, s in ipairs(schedulers) do
    expect(type(s) == "table" and s.optimizer ~= nil, "ChainedScheduler",
      "element " .. i .. " is not a scheduler")
    self._schedulers[i] = s
  end
  self.optimizer = schedulers[1].optimizer
  self._last_lr = group_lrs(self.optimizer)
  return self
end

function ChainedScheduler:step()
  check_fields(self, "step")
  for _, s in ipairs(self._schedulers) do s:step() end
  self._last_lr = group_lrs(self.optimizer)
end

---------------------------------------------------------------------------------------

function M.ReduceLROnPlateau(opt, opts)
  local name = "ReduceLROnPlateau"
  local o = options(name, opts, { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4,
    threshold_mode = "rel", cooldown = 0, min_lr = 0, eps = 1e-8 })
  expect(type(o.factor) == "number" and o.factor < 1.0, name, "factor should be < 1.0")
  check_optimizer(name, opt)
  expect(o.mode == "min" or o.mode == "max", name, "mode " .. tostring(o.mode) .. " is unknown!")
  expect(o.threshold_mode == "rel" or o.threshold_mode == "abs", name,
    "threshold mode " .. tostring(o.threshold_mode) .. " is unknown!")
  for _, k in ipairs({ "patience", "threshold", "cooldown", "eps" }) do
    expect(type(o[k]) == "number", name, k .. " must be a number")
  end
  local self = setmetatable({ optimizer = opt, factor = o.factor, patience = o.patience,
    verbose = o.verbose, cooldown = o.cooldown, cooldown_counter = 0, mode = o.mode,
    threshold = o.threshold, threshold_mode = o.threshold_mode, eps = o.eps, last_epoch = 0,
    min_lrs = per_group(name, "min_lr", opt, o.min_lr) }, Plateau)
  self.mode_worse = o.mode == "min" and math.huge or -math.huge
  self.best = self.mode_worse
  self.num_bad_epochs = 0
  self._last_lr = group_lrs(opt)
  check_fields(self, "step")  -- notes the fields' types: junk written before the first step is named
  return self
end

function Plateau:is_better(a, best)
  if self.mode == "min" and self.threshold_mode == "rel" then
    return a < best * (1. - self.threshold)
  elseif self.mode == "min" then
    return a < best - self.threshold
  elseif self.threshold_mode == "rel" then
    return a > best * (self.threshold + 1.)
  end
  return a > best + self.threshold
end

-- sched:step(metric): metric is a number or a one-element tensor
function Plateau:step(metric, epoch)
  check_fields(self, "step")
  if type(metric) == "userdata" and metric.item then metric = metric:item() end
  if type(metric) ~= "number" then
    raise("ReduceLROnPlateau.step: metric must be a number, got " .. type(metric))
  end
  epoch = epoch or self.last_epoch + 1
  self.last_epoch = epoch
  if self:is_better(metric, self.best) then
    self.best = metric
    self.num_bad_epochs = 0
  else
    self.num_bad_epochs = self.num_bad_epochs + 1
  end
  if self.cooldown_counter > 0 then
    self.cooldown_counter = self.cooldown_counter - 1
    self.num_bad_epochs = 0
  end
  if self.num_bad_epochs > self.patience then
    for i, g in ipairs(self.optimizer.param_groups) do
      local old = g.lr
      local new = math.max(old * self.factor, self.min_lrs[i])
      if old - new > self.eps then
        g.lr = new
        if self.verbose then
          print(string.format("Epoch %s: reducing learning rate of group %d to %.4e.",
            epoch_str(epoch), i, new))
        end
      end
    end
    self.cooldown_counter = self.cooldown
    self.num_bad_epochs = 0
  end
  self._last_lr = group_lrs(self.optimizer)
end

return M
