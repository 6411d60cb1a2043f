-- test_nn.lua: dlt.nn's module API: the notebook's network written with
-- nn.Module:extend, its printout, parameters, state_dict, train/eval, dropout, init,
-- clipping, functional forms and the error messages for bad input.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn
local F = nn.functional

-- the notebook's BestPracticesNetwork, as scripts/pipeline.lua defines it (required as a
-- module, pipeline.lua defines its pieces and runs nothing)
package.path = "scripts/?.lua;" .. package.path
local Net = require("pipeline").BestPracticesNetwork

local PRINTOUT = [[
BestPracticesNetwork(
  (network): Sequential(
    (1): Linear(in_features=2, out_features=64, bias=True)
    (2): BatchNorm1d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (3): ReLU()
    (4): Dropout(p=0.3, inplace=False)
    (5): Linear(in_features=64, out_features=32, bias=True)
    (6): BatchNorm1d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (7): ReLU()
    (8): Dropout(p=0.3, inplace=False)
    (9): Linear(in_features=32, out_features=1, bias=True)
  )
)]]

T.test("the notebook's network prints as PyTorch's, children numbered from 1", function()
  T.eq(tostring(Net(2, { 64, 32 }, 1, 0.3)), PRINTOUT)
end)

T.test("every layer prints its PyTorch repr", function()
  local cases = {
    { nn.Linear(3, 4, { bias = false }), "Linear(in_features=3, out_features=4, bias=False)" },
    { nn.LayerNorm(10), "LayerNorm((10,), eps=1e-05, elementwise_affine=True)" },
    { nn.LayerNorm({ 2, 3 }), "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)" },
    { nn.GroupNorm(2, 4), "GroupNorm(2, 4, eps=1e-05, affine=True)" },
    { nn.InstanceNorm1d(4), "InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)" },
    { nn.Dropout(), "Dropout(p=0.5, inplace=False)" },
    { nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)" },
    { nn.Tanh(), "Tanh()" }, { nn.Sigmoid(), "Sigmoid()" }, { nn.GELU(), "GELU(approximate='none')" },
    { nn.SiLU(), "SiLU()" }, { nn.Softmax(2), "Softmax(dim=2)" }, { nn.Identity(), "Identity()" },
    { nn.MSELoss(), "MSELoss()" }, { nn.CrossEntropyLoss(), "CrossEntropyLoss()" },
    { nn.Sequential(), "Sequential()" },
  }
  for _, c in ipairs(cases) do T.eq(tostring(c[1]), c[2]) end
end)

T.test("parameters are found recursively in assignment order", function()
  local m = Net(2, { 64, 32 }, 1, 0.3)
  local ps, n = m:parameters(), 0
  T.eq(#ps, 10, "parameter tensors")
  for _, p in ipairs(ps) do n = n + p:numel() end
  T.eq(n, 2497, "the notebook's 'Total parameters'")
  T.eq(ps[1], m.network[1].weight, "first is the first Linear's weight (same object)")
  T.eq(ps[3], m.network[2].weight, "then BatchNorm's weight")
  local names = {}
  for name, p in m:named_parameters() do
    names[#names + 1] = name
    T.eq(p.requires_grad, true, name .. " requires grad")
  end
  T.eq(table.concat(names, " "), "network.1.weight network.1.bias network.2.weight network.2.bias "
    .. "network.5.weight network.5.bias network.6.weight network.6.bias network.9.weight network.9.bias")
  -- a Lua module's own parameter comes before its children's, as in PyTorch
  local Scaled = nn.Module:extend("Scaled")
  function Scaled:init() self.inner = nn.Linear(2, 2); self.scale = nn.Parameter(dlt.ones(1)) end
  function Scaled:forward(x) return self.inner(x) * self.scale end
  local s = Scaled()
  local sn = {}
  for name in s:named_parameters() do sn[#sn + 1] = name end
  T.eq(table.concat(sn, " "), "scale inner.weight inner.bias")
  T.eq(tostring(s), "Scaled(\n  (inner): Linear(in_features=2, out_features=2, bias=True)\n)")
end)

T.test("state_dict has dotted keys with running stats; load_state_dict restores them", function()
  local a, b = Net(2, { 8 }, 1, 0.3), Net(2, { 8 }, 1, 0.3)
  a(dlt.randn(16, 2))  -- moves a's running stats
  local sd = a:state_dict()
  for _, k in ipairs({ "network.1.weight", "network.2.running_mean", "network.2.running_var",
    "network.2.num_batches_tracked", "network.5.bias" }) do
    T.eq(sd[k] ~= nil, true, "has " .. k)
  end
  T.eq(sd["network.2.num_batches_tracked"]:item(), 1, "one batch tracked")
  b:load_state_dict(sd)
  local sb = b:state_dict()
  for k, v in pairs(sd) do T.close(sb[k], v, 0, 0, k) end
  b:eval(); a:eval()
  local x = dlt.randn(5, 2)
  T.close(b(x), a(x), 0, 0, "same outputs after loading")
end)

T.test("load_state_dict names a missing, mis-shaped or unexpected key and changes nothing", function()
  local m = Net(2, { 8 }, 1, 0.3)
  local before = m.network[1].weight:clone()
  local sd = m:state_dict()
  local other = {}
  for k, v in pairs(sd) do other[k] = v:clone() end
  other["network.1.weight"] = dlt.zeros(8, 2)
  other["network.2.running_var"] = nil
  T.raises(function() m:load_state_dict(other) end, "load_state_dict: missing key 'network.2.running_var'")
  other["network.2.running_var"] = dlt.ones(8)
  other["network.5.weight"] = dlt.zeros(1, 3)
  T.raises(function() m:load_state_dict(other) end,
    "load_state_dict: size mismatch for network.5.weight: copying a tensor of shape {1,3}, the model has {1,8}")
  other["network.5.weight"] = dlt.zeros(1, 8)
  other["extra.weight"] = dlt.zeros(1)
  T.raises(function() m:load_state_dict(other) end, "load_state_dict: unexpected key 'extra.weight'")
  T.close(m.network[1].weight, before, 0, 0, "weight untouched by the failed loads")
  other["extra.weight"] = nil
  m:load_state_dict(other)
  T.close(m.network[1].weight, dlt.zeros(8, 2), 0, 0, "loaded")
end)

T.test("train() and eval() reach every child, nested Lua modules included", function()
  local Outer = nn.Module:extend("Outer")
  function Outer:init() self.net = Net(2, { 4 }, 1, 0.5); self.seq = nn.Sequential(nn.Dropout(0.5), Net(2, { 4 }, 1, 0.5)) end
  local o = Outer()
  o:eval()
  for _, mod in ipairs(o:modules()) do T.eq(mod.training, false, tostring(mod):match("^[%w]+")) end
  o:train()
  for _, mod in ipairs(o:modules()) do T.eq(mod.training, true) end
end)

T.test("Dropout scales survivors by 1/(1-p) in training and is the identity in eval", function()
  dlt.manual_seed(5)
  local d = nn.Dropout(0.3)
  local x = dlt.ones(100, 100)
  local y = d(x)
  local kept = 0
  for _, row in ipairs(y:totable()) do
    for _, v in ipairs(row) do
      if v ~= 0 then
        kept = kept + 1
        T.close(v, 1 / 0.7, 1e-6, 0, "survivor")
      end
    end
  end
  -- 10000 Bernoulli(0.7) draws: 5 standard deviations is 0.023
  T.eq(math.abs(kept / 10000 - 0.7) < 0.023, true, "kept fraction " .. kept / 10000)
  d:eval()
  T.close(d(x), x, 0, 0, "eval")
  T.close(F.dropout(x, 0.3, false), x, 0, 0, "F.dropout with training=false")
  T.raises(function() nn.Dropout(1.5) end, "Dropout: dropout probability has to be between 0 and 1, but got 1.5")
  T.raises(function() nn.Dropout(-0.1) end, "between 0 and 1, but got -0.1")
  T.raises(function() d.p = 2 end, "but got 2")
end)

T.test("BatchNorm1d: batch statistics in training, running stats in eval", function()
  dlt.manual_seed(42)
  local bn = nn.BatchNorm1d(4)
  local x = dlt.randn(32, 4) * 5 + 10
  local y = bn(x)
  T.close(y:mean(1), dlt.zeros(4), 0, 1e-5, "columns have mean 0")
  T.close(y:std(1, false, { unbiased = false }), dlt.ones(4), 1e-4, 0, "columns have std 1")
  T.close(bn.running_mean, x:mean(1) * 0.1, 1e-6, 1e-6, "running mean")
  T.close(bn.running_var, x:var(1) * 0.1 + 0.9, 1e-5, 0, "running var is unbiased")
  bn:eval()
  local one = dlt.randn(1, 4)
  local want = (one - bn.running_mean) / (bn.running_var + 1e-5):sqrt()
  T.close(bn(one), want, 1e-5, 1e-6, "eval on a single sample")
  bn:train()
  T.raises(function() bn(one) end,
    "BatchNorm1d: expected more than 1 value per channel when training, got input of shape {1,4}")
end)

T.test("bad input is an error naming the module and the numbers", function()
  T.raises(function() nn.Linear(2, 64)(dlt.randn(3, 5)) end, "Linear: input has 5 features, expected 2")
  T.raises(function() nn.BatchNorm1d(64)(dlt.randn(8, 5)) end, "BatchNorm1d: input has 5 features, expected 64")
  T.raises(function() nn.CrossEntropyLoss()(dlt.randn(2, 3), { 1, 4 }) end,
    "CrossEntropyLoss: target 4 at element 2 is out of range: classes are 1..3")
  T.raises(function() nn.NLLLoss()(dlt.randn(2, 3), { 0, 1 }) end, "NLLLoss: target 0 at element 1 is out of range")
  T.raises(function() nn.MSELoss()(dlt.randn(4, 1), dlt.randn(4)) end,
    "MSELoss: input shape {4,1} and target shape {4} differ")
  T.raises(function() nn.BCEWithLogitsLoss()(dlt.randn(4, 1), dlt.randn(3, 1)) end, "BCEWithLogitsLoss: input shape {4,1}")
  T.raises(function() nn.Linear(2, 3, { bais = true }) end, "Linear: unknown option 'bais'")
  T.raises(function() nn.MSELoss({ reduction = "avg" }) end, "MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'")
  T.raises(function() nn.Linear(2, 3)("x") end, "Linear: expected a tensor input, got string")
  T.raises(function() nn.GroupNorm(2, 5) end, "GroupNorm: num_channels 5 must be divisible by num_groups 2")
  T.raises(function() nn.Sequential(nn.ReLU(), 3) end, "Sequential: argument 2 is not a module (got number)")
  T.raises(function() nn.Linear(2, 3).weight = dlt.zeros(2, 2) end, "Linear: weight must be float32 of shape {3,2}")
  T.raises(function() nn.Module:extend("Bare")()(dlt.ones(1)) end, "Bare: forward is not defined")
  T.raises(function() nn.Linear(2, 3):load_state_dict({ weight = dlt.zeros(3, 2) }) end, "missing key 'bias'")
end)

T.test("class targets may be a Lua table or a tensor of either dtype", function()
  local x = dlt.randn(3, 4)
  local a = F.cross_entropy(x, { 1, 4, 2 })
  local b = F.cross_entropy(x, dlt.tensor({ 1, 4, 2 }, { dtype = "float64" }))
  local c = nn.CrossEntropyLoss()(x, dlt.tensor({ 1, 4, 2 }))
  T.close(a, b, 0, 0); T.close(a, c, 0, 0)
  T.close(F.nll_loss(F.log_softmax(x, 2), { 1, 4, 2 }), a, 1e-6, 0, "NLL of log-softmax is cross entropy")
end)

T.test("functional forms equal the modules", function()
  local x = dlt.randn(4, 5)
  T.close(F.relu(x), nn.ReLU()(x), 0, 0)
  T.close(F.leaky_relu(x, 0.2), nn.LeakyReLU(0.2)(x), 0, 0)
  T.close(F.gelu(x), nn.GELU()(x), 0, 0)
  T.close(F.silu(x), nn.SiLU()(x), 0, 0)
  T.close(F.softmax(x, 2), nn.Softmax(2)(x), 0, 0)
  T.close(F.tanh(x), x:tanh(), 1e-6, 1e-7)
  T.close(F.sigmoid(x), x:sigmoid(), 1e-6, 1e-7)
  local l = nn.Linear(5, 3)
  T.close(F.linear(x, l.weight, l.bias), l(x), 0, 0)
  local t = dlt.randn(4, 5)
  T.close(F.mse_loss(x, t), nn.MSELoss()(x, t), 0, 0)
  T.close(F.l1_loss(x, t, { reduction = "sum" }), nn.L1Loss({ reduction = "sum" })(x, t), 0, 0)
  T.close(F.layer_norm(x, 5), nn.LayerNorm(5)(x), 0, 0)
  T.close(F.batch_norm(x, nil, nil, { training = true }), nn.BatchNorm1d(5, { affine = false })(x), 0, 0)
end)

T.test("nn.init follows PyTorch's fans and gains", function()
  dlt.manual_seed(0)
  local w = dlt.empty(256, 512)
  T.eq(nn.init.xavier_normal_(w), w, "returns its tensor")
  T.close(w:std():item(), math.sqrt(2 / (256 + 512)), 0.02, 0, "xavier_normal std")
  nn.init.kaiming_normal_(w, { mode = "fan_in", nonlinearity = "relu" })
  T.close(w:std():item(), math.sqrt(2 / 512), 0.02, 0, "kaiming_normal std")
  nn.init.kaiming_normal_(w, { mode = "fan_out", nonlinearity = "relu" })
  T.close(w:std():item(), math.sqrt(2 / 256), 0.02, 0, "fan_out")
  nn.init.xavier_uniform_(w, { gain = 2 })
  local bound = 2 * math.sqrt(6 / (256 + 512))
  T.eq(w:abs():max():item() <= bound, true, "xavier_uniform bound")
  T.close(w:abs():max():item(), bound, 0.01, 0, "xavier_uniform reaches its bound")
  nn.init.kaiming_uniform_(w, { a = math.sqrt(5) })
  T.close(w:abs():max():item(), 1 / math.sqrt(512), 0.01, 0, "kaiming_uniform(a=sqrt(5)) bound 1/sqrt(fan_in)")
  T.close(nn.init.calculate_gain("leaky_relu", 0.2), math.sqrt(2 / 1.04), 1e-15)
  T.close(nn.init.calculate_gain("tanh"), 5 / 3, 1e-15)
  T.raises(function() nn.init.calculate_gain("swish") end, "unsupported nonlinearity 'swish'")
  T.raises(function() nn.init.xavier_normal_(dlt.empty(5)) end, "fewer than 2 dimensions")
  local e = nn.init.eye_(dlt.empty(2, 3))
  T.close(e, { { 1, 0, 0 }, { 0, 1, 0 } }, 0, 0)
  local q = nn.init.orthogonal_(dlt.empty(4, 6))
  T.close(q:mm(q:t()), dlt.eye(4), 0, 1e-5, "orthogonal rows")
  T.close(nn.init.constant_(dlt.empty(2), 3), { 3, 3 }, 0, 0)
  -- Linear's default: weight and bias uniform in +-1/sqrt(in_features)
  local l = nn.Linear(400, 300)
  local b = 1 / math.sqrt(400)
  T.eq(l.weight:abs():max():item() <= b and l.bias:abs():max():item() <= b, true, "within the bound")
  T.close(l.weight:abs():max():item(), b, 0.01, 0, "reaches the bound")
  T.close(l.weight:std():item(), b / math.sqrt(3), 0.02, 0, "uniform std")
end)

T.test("clip_grad_norm_ and clip_grad_value_ act on .grad", function()
  local a, b = nn.Parameter(dlt.zeros(2)), nn.Parameter(dlt.zeros(2))
  local loss = (a * dlt.tensor({ 3, 0 })):sum() + (b * dlt.tensor({ 0, 4 })):sum()
  loss:backward()
  local total = nn.utils.clip_grad_norm_({ a, b }, 1)
  T.close(total:item(), 5, 1e-7)
  T.close(a.grad, { 3 / (5 + 1e-6), 0 }, 1e-6, 0)
  T.close(b.grad, { 0, 4 / (5 + 1e-6) }, 1e-6, 0)
  nn.utils.clip_grad_value_({ a, b }, 0.5)
  T.close(b.grad, { 0, 0.5 }, 0, 0)
end)

T.test("zero_grad, dtype conversion and Sequential as a list", function()
  local s = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
  s:append(nn.Linear(4, 1))
  T.eq(#s, 3); T.eq(tostring(s[-1]), "Linear(in_features=4, out_features=1, bias=True)")
  local out = s(dlt.randn(5, 3)):sum()
  out:backward()
  T.eq(s[1].weight.grad ~= nil, true)
  s:zero_grad()
  T.close(s[1].weight.grad, dlt.zeros(4, 3), 0, 0)
  local w = s[1].weight
  s:double()
  T.eq(s[1].weight, w, "the same parameter object, as PyTorch's module.double()")
  T.eq(w.dtype, "float64"); T.eq(w.requires_grad, true); T.eq(w.grad, nil)
  T.eq(s(dlt.randn(2, 3, { dtype = "float64" })).dtype, "float64")
  T.raises(function() s(dlt.randn(2, 3)) end, "Linear: input is float32 but the weight is float64")
end)

T.test("Sequential's fused runs equal the modules run one by one", function()
  local function grads(m)
    local out = {}
    for i, p in ipairs(m:parameters()) do out[i] = p.grad:clone() end
    return out
  end
  for _, training in ipairs({ true, false }) do
    dlt.manual_seed(3)
    local s = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.4),
      nn.Linear(8, 5), nn.ReLU(), nn.Linear(5, 2))
    s:train(training)
    local x = dlt.randn(6, 3)
    dlt.manual_seed(9)
    local fused = s(x)
    fused:sum():backward()
    local g1 = grads(s)
    s:zero_grad()
    dlt.manual_seed(9)
    local h = x
    for i = 1, #s do h = s[i](h) end
    h:sum():backward()
    T.close(h, fused, 0, 0, "outputs")
    for i, g in ipairs(grads(s)) do T.close(g, g1[i], 1e-6, 1e-7, "gradient " .. i) end
  end
end)

T.test("ModuleList holds children numbered from 1; a plain table of modules is refused", function()
  local Stack = nn.Module:extend("Stack")
  function Stack:init()
    self.blocks = nn.ModuleList({ nn.Linear(2, 3), nn.Linear(3, 1) })
  end
  function Stack:forward(x)
    for _, b in ipairs(self.blocks) do x = b(x) end
    return x
  end
  local s = Stack()
  T.eq(#s:parameters(), 4)
  local names = {}
  for name in s:named_parameters() do names[#names + 1] = name end
  T.eq(table.concat(names, " "), "blocks.1.weight blocks.1.bias blocks.2.weight blocks.2.bias")
  T.eq(s(dlt.randn(5, 2)).shape[2], 1)
  T.eq(tostring(s), "Stack(\n  (blocks): ModuleList(\n    (1): Linear(in_features=2, out_features=3, bias=True)\n"
    .. "    (2): Linear(in_features=3, out_features=1, bias=True)\n  )\n)")
  local Bad = nn.Module:extend("Bad")
  function Bad:init() self.layers = { nn.Linear(2, 2) } end
  T.raises(function() Bad() end, "Bad: field 'layers' is a plain table of modules")
end)

T.test("dlt.autograd.gradcheck passes through the notebook's network in float64", function()
  dlt.manual_seed(4)
  local m = Net(3, { 5, 4 }, 2, 0):double()
  local x = dlt.randn(6, 3, { dtype = "float64", requires_grad = true })
  T.eq(dlt.autograd.gradcheck(function(xx) return m(xx) end, { x }), true, "training mode")
  m:eval()
  T.eq(dlt.autograd.gradcheck(function(xx) return m(xx) end, { x }), true, "eval mode")
  local t = dlt.tensor({ 2, 1, 2, 1, 1, 2 })
  T.eq(dlt.autograd.gradcheck(function(xx) return nn.CrossEntropyLoss()(m(xx), t) end, { x }), true, "with a loss")
end)

T.test("a Lua module inside a C Sequential trains with the rest", function()
  local Double = nn.Module:extend("Double")
  function Double:forward(x) return x * 2 end
  local s = nn.Sequential(nn.Linear(2, 2), Double(), nn.Linear(2, 1))
  T.eq(tostring(s):find("(2): Double()", 1, true) ~= nil, true)
  local x = dlt.randn(4, 2)
  local out = s(x):sum()
  out:backward()
  -- d/db of the last layer is the batch size; of the first it passes the doubling
  T.close(s[3].bias.grad, { 4 }, 1e-6)
  local w3 = s[3].weight:reshape({ -1 })
  T.close(s[1].bias.grad, (w3 * 8), 1e-5, 1e-6)
end)

T.run()
