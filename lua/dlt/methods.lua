-- methods.lua: a method called with '.' instead of ':' (opt.step(), model.train(),
-- loader.iter()) says "call it as opt:step()" instead of failing inside the library on a
-- nil self. The public methods of modules, optimizers, schedulers, loaders, data sets,
-- progress bars and early stopping check their self first (tensor methods do it in C).
local dlt = require "dlt"

local M = {}

-- the error for a method `name` of objects usually called `var` (opt, model, ...), a `noun`
function M.fail(self, var, noun, name, level)
  local got = self == nil and string.format("a '.' call passes no %s", noun)
    or string.format("got %s instead of the %s", dlt.is_tensor(self) and "a tensor" or "a " .. type(self), noun)
  error(string.format("%s is a method: call it as %s:%s(...), with ':' (%s)", name, var, name, got), level + 1)
end

-- tbl[name] for each name: the same function behind a check that self is_self; only
-- Lua functions (a C method checks its own arguments, and names itself in its errors)
function M.guard(tbl, names, is_self, var, noun)
  for _, name in ipairs(names) do
    local f = rawget(tbl, name)
    if type(f) == "function" and debug.getinfo(f, "S").what == "Lua" then
      rawset(tbl, name, function(self, ...)
        if not is_self(self) then M.fail(self, var, noun, name, 2) end
        return f(self, ...)
      end)
    end
  end
end

-- an object whose metatable is cls or inherits from it through __index tables
local function instance_of(cls)
  return function(x)
    local mt = getmetatable(x)
    for _ = 1, 16 do
      if type(mt) ~= "table" then return false end
      local idx = rawget(mt, "__index")
      if mt == cls or idx == cls then return true end
      if type(idx) ~= "table" then return false end
      mt = getmetatable(idx)  -- the parent class's link: {__index = parent}
    end
    return false
  end
end
M.instance_of = instance_of

-- the class an object's methods come from, found through a sample instance
local function class_of(obj)
  local mt = getmetatable(obj)
  return type(mt) == "table" and rawget(mt, "__index") or nil
end

-- the methods of every module, C or Lua: wrapped once, the same function in both tables
local nn = dlt.nn
do
  local names = {}
  for k, v in pairs(nn._cmethods) do
    -- forward: the C modules' own check says it (nn.c); extra_repr: called by the printout
    if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "function" and k ~= "forward"
      and k ~= "extra_repr" then
      names[#names + 1] = k
    end
  end
  table.sort(names)
  local before = {}
  for _, k in ipairs(names) do before[k] = rawget(nn.Module, k) == rawget(nn._cmethods, k) end
  M.guard(nn._cmethods, names, nn.is_module, "model", "module")
  for _, k in ipairs(names) do
    if before[k] then rawset(nn.Module, k, rawget(nn._cmethods, k)) end
  end
  M.guard(nn.Module, { "register_buffer", "add_module" }, nn.is_module, "model", "module")
  M.guard(nn.ModuleList, { "append" }, nn.is_module, "model", "module")
end

-- optimizers: the base class and every class's own step (LBFGS guards its own as it
-- loads); schedulers: the base class and every class with its own methods. The classes
-- come from the modules' lists, not from sample objects (making one of each cost more
-- than the rest of start-up). Called when init.lua loads dlt.optim (on first use).
function M.guard_optimizers(optim)
  local base
  for cls in pairs(optim._classes) do
    M.guard(cls, { "step" }, optim.is_optimizer, "opt", "optimizer")
    base = base or getmetatable(cls).__index
  end
  M.guard(base, { "step", "zero_grad", "state_dict", "load_state_dict", "add_param_group" },
    optim.is_optimizer, "opt", "optimizer")
end

-- the schedulers' methods, guarded when init.lua loads dlt.optim.lr_scheduler (on first use)
function M.guard_schedulers(sched)
  local lrs = getmetatable(sched._classes[1]).__index
  local plateau_cls
  for _, cls in ipairs(sched._classes) do
    if cls.name == "ReduceLROnPlateau" then plateau_cls = cls end
  end
  -- ReduceLROnPlateau is a class of its own, as in PyTorch 1.13
  local under_base, plateau = instance_of(lrs), instance_of(plateau_cls)
  -- every step passes here: an object of one of the classes is found in one lookup
  local known = {}
  for _, cls in ipairs(sched._classes) do known[cls] = true end
  local function is_scheduler(x)
    return known[getmetatable(x)] == true or under_base(x) or plateau(x)
  end
  local methods = { "step", "get_last_lr", "state_dict", "load_state_dict" }
  M.guard(lrs, methods, is_scheduler, "scheduler", "scheduler")
  for _, cls in ipairs(sched._classes) do M.guard(cls, methods, is_scheduler, "scheduler", "scheduler") end
end

-- loaders and data sets, guarded when init.lua loads dlt.data (on first use)
function M.guard_data(data)
  local ds = data.TensorDataset(dlt.zeros(2, 1))
  local loader = data.DataLoader(ds)
  M.guard(getmetatable(loader), { "iter" }, instance_of(getmetatable(loader)), "loader", "loader")
  M.guard(getmetatable(ds), { "batch" }, instance_of(getmetatable(ds)), "ds", "data set")
end

-- progress bars, guarded when init.lua loads dlt.progress (on first use)
function M.guard_progress(progress)
  local Bar = class_of(progress.bar(1))
  M.guard(Bar, { "update", "print", "close" }, instance_of(Bar), "bar", "progress bar")
end
-- (EarlyStopping and LBFGS, loaded on first use, guard their methods as they load)

return M
