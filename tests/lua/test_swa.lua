-- test_swa.lua: stochastic weight averaging against PyTorch 1.13
-- (tests/fixtures/swa.lua from tests/golden/gen_swa.py, float64, 1e-9 relative):
-- AveragedModel with the default and a custom avg_fn and with use_buffers, update_bn,
-- BatchNorm1d with momentum=false (PyTorch's None); and dlt.deepcopy.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn
local swa = dlt.optim.swa_utils
local F = dofile("tests/fixtures/swa.lua")

dlt.set_default_dtype("float64")

local function make_model()
  return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
end

-- the generator's closed-form training state k
local function set_state(model, k)
  local i = 0
  for _, p in ipairs(model:parameters()) do
    local n = p:numel()
    local v = {}
    for j = 1, n do
      v[j] = math.sin(0.7 * i + 1.3 * k) * 0.5
      i = i + 1
    end
    dlt.no_grad(function() p:copy_(dlt.tensor(v):reshape(p.shape)) end)
  end
end

local function batch(b, rows)
  rows = rows or 6
  local out = {}
  for r = 0, rows - 1 do
    out[r + 1] = {}
    for c = 0, 2 do out[r + 1][c + 1] = math.cos(r + 2 * c + b) end
  end
  return dlt.tensor(out)
end

local function flat(list)
  local out = {}
  for _, t in ipairs(list) do
    for _, v in ipairs(t:reshape(-1):totable()) do out[#out + 1] = v end
  end
  return out
end

local AVG = { ema = function(avg, p) return avg * 0.1 + p * 0.9 end }

for _, c in ipairs(F.averaged) do
  T.test(string.format("AveragedModel(avg_fn=%s, use_buffers=%s) matches PyTorch over %d updates",
    c.avg_fn, tostring(c.use_buffers), F.states), function()
    local model = make_model()
    set_state(model, 0)
    local avg = swa.AveragedModel(model, { avg_fn = AVG[c.avg_fn], use_buffers = c.use_buffers })
    for k = 0, F.states - 1 do
      set_state(model, k)
      model:train()
      model(batch(k))
      avg:update_parameters(model)
      T.close(flat(avg.module:parameters()), c.params[k + 1], 1e-9, 1e-12, "parameters after update " .. k)
      local b = flat(avg.module:buffers())
      T.close({ table.unpack(b, 1, 8) }, c.buffers[k + 1], 1e-9, 1e-12, "running stats after update " .. k)
    end
    T.eq(avg.n_averaged:item(), c.n_averaged, "n_averaged")
  end)
end

T.test("AveragedModel is a deep copy: training the model leaves it alone", function()
  local model = make_model()
  set_state(model, 1)
  local avg = swa.AveragedModel(model)
  local before = flat(avg.module:parameters())
  set_state(model, 3)
  T.close(flat(avg.module:parameters()), before, 0, 0, "copy unchanged")
  T.eq(avg(batch(0)).shape[2], 2, "forward runs the copy")
  local sd = avg:state_dict()
  T.eq(dlt.is_tensor(sd.n_averaged) and dlt.is_tensor(sd["module.1.weight"]), true, "state_dict keys")
  T.raises(function() swa.AveragedModel(model, { avg = 1 }) end, "AveragedModel: unknown option 'avg'")
  T.raises(function() avg:update_parameters(nn.Linear(3, 4)) end,
    "AveragedModel.update_parameters: the model has 2 tensors to average, the averaged model 6")
end)

T.test("update_bn recomputes the running stats as PyTorch's and restores momentum and mode", function()
  local model = make_model()
  set_state(model, 2)
  model:eval()
  local loader = {}
  for b = 0, 3 do loader[#loader + 1] = { batch(b, 5) } end
  swa.update_bn(loader, model)
  local c = F.update_bn
  local bn = model[2]
  T.close(bn.running_mean, c.running_mean, 1e-9, 1e-12, "running_mean")
  T.close(bn.running_var, c.running_var, 1e-9, 1e-12, "running_var")
  T.eq(bn.num_batches_tracked:item(), c.num_batches_tracked, "num_batches_tracked")
  T.close(bn.momentum, c.momentum, 0, 0, "momentum restored")
  T.eq(model.training, c.training, "training mode restored")
  T.close(model(batch(9, 3)), c.eval_out, 1e-9, 1e-12, "eval output")
  -- a DataLoader-like object with iter() gives the same statistics
  local model2 = make_model()
  set_state(model2, 2)
  local xs = {}
  for b = 0, 3 do xs[#xs + 1] = batch(b, 5) end
  local dl = { iter = function()
    local i = 0
    return function()
      i = i + 1
      if xs[i] then return xs[i], 0 end
    end
  end }
  swa.update_bn(dl, model2)
  T.close(model2[2].running_mean, c.running_mean, 1e-9, 1e-12, "running_mean via iter()")
end)

T.test("BatchNorm1d momentum=false is PyTorch's momentum=None (cumulative average)", function()
  local bn = nn.BatchNorm1d(3, { momentum = false })
  T.eq(tostring(bn), F.cumulative_bn.repr, "printout")
  T.eq(bn.momentum, false, "momentum field")
  for b = 0, 4 do
    bn(batch(b, 4 + b))
    T.close(bn.running_mean, F.cumulative_bn.running_mean[b + 1], 1e-9, 1e-12, "running_mean " .. b)
    T.close(bn.running_var, F.cumulative_bn.running_var[b + 1], 1e-9, 1e-12, "running_var " .. b)
  end
  bn.momentum = 0.2
  T.eq(bn.momentum, 0.2, "back to a number")
  T.raises(function() bn.momentum = "x" end, "BatchNorm1d: momentum must be a number or false")
  T.raises(function() nn.InstanceNorm1d(3).momentum = false end, "InstanceNorm1d: momentum must be a number")
end)

T.test("dlt.deepcopy copies a state_dict, a model, and keeps sharing and classes", function()
  local model = make_model()
  set_state(model, 1)
  local sd = dlt.deepcopy(model:state_dict())
  set_state(model, 4)
  local fresh = make_model()
  fresh:load_state_dict(sd)
  set_state(model, 1)
  T.close(flat(fresh:parameters()), flat(model:parameters()), 0, 0, "best state restored")
  local Net = nn.Module:extend("Net")
  function Net:init() self.a = nn.Linear(2, 2); self.b = self.a end
  function Net:forward(x) return self.b(self.a(x)) end
  local n = Net()
  local c = dlt.deepcopy(n)
  T.eq(getmetatable(c), Net, "class kept")
  T.eq(rawequal(c.a, c.b), true, "sharing kept")
  T.eq(rawequal(c.a, n.a), false, "a new module")
  T.eq(c.a.weight.requires_grad, true, "parameters stay parameters")
  local t = { x = dlt.tensor({ 1, 2 }) }
  t.self = t
  local d = dlt.deepcopy(t)
  T.eq(rawequal(d.self, d), true, "cycle kept")
  d.x:fill_(0)
  T.eq(t.x:sum():item(), 3, "tensors copied")
  T.raises(function() dlt.deepcopy({ io.stdout }) end, "deepcopy: cannot copy")
end)

T.run()
