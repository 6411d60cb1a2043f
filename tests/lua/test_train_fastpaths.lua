-- test_train_fastpaths.lua: the one-call paths of a training step give exactly what the
-- general paths give: Adam/AdamW's group update (K.adam_group) against the
-- per-parameter loop, including the parameters it leaves to that loop; DataLoader's
-- batches against TensorDataset:batch / index_select; and a loop of small results
-- stays bounded in memory (the collector is told about each tensor's header).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, optim, data = dlt.nn, dlt.optim, dlt.data

local function same(a, b, what)
  T.eq(#a, #b, what .. ": length")
  for i = 1, #a do
    if a[i] ~= b[i] and not (a[i] ~= a[i] and b[i] ~= b[i]) then
      error(string.format("%s: element %d differs: %.17g vs %.17g", what, i, a[i], b[i]), 2)
    end
  end
end

local function flat(t) return t:flatten():totable() end

-- n steps of opt on a small network with fixed data; returns the parameters' values
local function run(make_opt, fast, n, tweak)
  dlt.manual_seed(7)
  local model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
  local x, y = dlt.randn(16, 3), dlt.rand(16, 1):gt(0.5)
  local opt = make_opt(model:parameters())
  local cls = getmetatable(opt)
  local saved = cls.update_group
  if not fast then cls.update_group = nil end
  local ok, err = pcall(function()
    for s = 1, n do
      opt:zero_grad()
      nn.BCEWithLogitsLoss()(model(x), y):backward()
      opt:step()
      if tweak then tweak(opt, s) end
    end
  end)
  cls.update_group = saved
  if not ok then error(err, 0) end
  local out = {}
  for _, p in ipairs(model:parameters()) do
    for _, v in ipairs(flat(p)) do out[#out + 1] = v end
  end
  return out, opt
end

local makers = {
  Adam = function(ps) return optim.Adam(ps, { lr = 0.01 }) end,
  AdamW = function(ps) return optim.AdamW(ps, { lr = 0.01, weight_decay = 0.05 }) end,
  ["Adam amsgrad maximize"] = function(ps)
    return optim.Adam(ps, { lr = 0.01, amsgrad = true, maximize = true, weight_decay = 0.1 })
  end,
  ["AdamW two groups"] = function(ps)
    return optim.AdamW({ { params = { ps[1], ps[2] } }, { params = { ps[3], ps[4], ps[5], ps[6] }, lr = 0.002 } },
      { lr = 0.01 })
  end,
}

for name, make in pairs(makers) do
  T.test("Adam group step equals the per-parameter step: " .. name, function()
    local a = run(make, true, 12)
    local b = run(make, false, 12)
    same(a, b, name)
  end)
end

T.test("Adam group step leaves odd state to the per-parameter path", function()
  -- a float step count, a missing exp_avg_sq and a parameter without a gradient
  local function tweak(opt, s)
    local ps = opt.param_groups[1].params
    if s == 3 then opt.state[ps[1]].step = 3.0 end
    if s == 5 then opt.state[ps[2]].exp_avg_sq = nil end
    if s == 7 then ps[3].grad = nil end
  end
  local a = run(makers.Adam, true, 10, tweak)
  local b = run(makers.Adam, false, 10, tweak)
  same(a, b, "tweaked state")
end)

T.test("Adam group step leaves groups with unusual values to hyper and the loop", function()
  -- betas read through a metatable: valid for the step's check, not a plain table
  local function tweak(opt, s)
    if s == 2 then opt.param_groups[1].betas = setmetatable({}, { __index = { 0.9, 0.999 } }) end
  end
  local a = run(makers.AdamW, true, 6, tweak)
  local b = run(makers.AdamW, false, 6, tweak)
  same(a, b, "betas with a metatable")
  T.raises(function()
    run(makers.AdamW, true, 3, function(opt) opt.param_groups[1].lr = "0.1" end)
  end, "param_groups[1].lr must be a number, got string", "the step's own message")
end)

T.test("Adam group step: state counts steps as the per-parameter path does", function()
  local _, opt = run(makers.AdamW, true, 5)
  for _, p in ipairs(opt.param_groups[1].params) do
    T.eq(opt.state[p].step, 5, "step")
    T.eq(math.type(opt.state[p].step), "integer", "step type")
  end
end)

T.test("zero_grad of the optimizer zeroes every .grad in place (or drops them)", function()
  local p = dlt.randn(4, 3)
  p.requires_grad = true
  local q = dlt.randn(2)
  q.requires_grad = true
  local opt = optim.SGD({ p, q }, { lr = 0.1 })
  p.grad = dlt.ones(4, 3)
  local g = p.grad
  opt:zero_grad()
  same(flat(p.grad), flat(dlt.zeros(4, 3)), "zeroed")
  T.eq(q.grad, nil, "q without a gradient keeps none")
  p.grad = dlt.ones(4, 3)
  opt:zero_grad(true)
  T.eq(p.grad, nil, "set_to_none")
  T.eq(g:sum():item(), 0, "the old gradient was zeroed in place")
end)

T.test("DataLoader batches are index_select's rows, shuffled or not", function()
  local X = dlt.randn(37, 3)
  local y = dlt.arange(1, 38, 1)
  local ds = data.TensorDataset(X, y)
  for _, shuffle in ipairs({ false, true }) do
    dlt.manual_seed(3)
    local loader = data.DataLoader(ds, { batch_size = 8, shuffle = shuffle })
    local batches = {}
    for xb, yb in loader:iter() do batches[#batches + 1] = { xb, yb } end
    T.eq(#batches, 5, "batches")
    dlt.manual_seed(3)
    local order = shuffle and dlt.randperm(37, { dtype = "float64" }) or dlt.arange(1, 38, 1, { dtype = "float64" })
    for b, pair in ipairs(batches) do
      local start = (b - 1) * 8 + 1
      local idx = order:narrow(1, start, math.min(8, 37 - start + 1))
      local xb, yb = ds:batch(idx)
      same(flat(pair[1]), flat(xb), "x batch " .. b)
      same(flat(pair[2]), flat(yb), "y batch " .. b)
      T.eq(table.concat(pair[1].shape, ","), table.concat(xb.shape, ","), "shape")
    end
  end
end)

T.test("DataLoader batches of a tensor that requires grad carry its graph", function()
  local X = dlt.randn(10, 2)
  X.requires_grad = true
  local loader = data.DataLoader(data.TensorDataset(X), { batch_size = 4 })
  local it = loader:iter()
  local xb = it()
  T.eq(xb.grad_fn, "IndexSelectBackward", "grad_fn")
  xb:sum():backward()
  same(flat(X.grad), { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "gradient rows")
end)

-- resident memory in KB (Linux), or nil elsewhere and under AddressSanitizer (whose
-- quarantine holds freed memory)
local function rss_kb()
  local maps = io.open("/proc/self/maps")
  local sanitized = maps and maps:read("a"):find("libasan", 1, true)
  if maps then maps:close() end
  if sanitized then return nil end
  local f = io.open("/proc/self/statm")
  if not f then return nil end
  local pages = f:read("*n") and f:read("*n")
  f:close()
  return pages and pages * 4
end

T.test("randperm draws the permutations it always drew (Fisher-Yates, rejection sampling)", function()
  dlt.manual_seed(5)
  same(dlt.randperm(10):totable(), { 5, 3, 10, 4, 8, 2, 9, 7, 1, 6 }, "randperm(10)")
  dlt.manual_seed(123)
  local s = 0
  for i, v in ipairs(dlt.randperm(5000, { dtype = "float64" }):totable()) do s = s + v * i * i end
  T.eq(s, 103356277398875, "randperm(5000)")
  -- and leaves the generator where it left it
  T.eq(string.format("%.14g", dlt.rand(1):item()), "0.65754705667496", "the next draw")
  T.eq(dlt.randperm(0):numel(), 0, "randperm(0)")
  same(dlt.randperm(1):totable(), { 1 }, "randperm(1)")
end)

T.test("train() and eval() reach every module of C trees and of mixed ones", function()
  local inner = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5))
  local Wrap = nn.Module:extend("Wrap")
  function Wrap:init() self.d = nn.Dropout(0.2) end
  function Wrap:forward(x) return self.d(x) end
  local w = Wrap()
  local c = nn.Sequential(nn.Linear(3, 3), inner, nn.BatchNorm1d(3))
  local mixed = nn.Sequential(nn.Linear(3, 3), w, nn.Sequential(nn.ReLU()))
  for _, mode in ipairs({ false, true, false }) do
    for _, root in ipairs({ c, mixed }) do
      root:train(mode)
      for _, m in ipairs(root:modules()) do T.eq(m.training, mode, "training of " .. tostring(m)) end
    end
  end
  local loop = nn.Sequential(nn.ReLU())
  loop:append(loop)
  T.raises(function() loop:eval() end, "nested more than 100 deep")
end)

T.test("fused batch norm, ReLU and dropout keep a NaN where the modules one by one do", function()
  local s = nn.Sequential(nn.BatchNorm1d(3), nn.ReLU(), nn.Dropout(0.5))
  local x = dlt.randn(16, 3)
  x[{ 4, 2 }] = 0 / 0  -- channel 2's statistics become NaN
  dlt.manual_seed(11)
  local fused = flat(s(x))
  dlt.manual_seed(11)
  local h = x
  for i = 1, #s do h = s[i](h) end
  same(fused, flat(h), "outputs")
end)

T.test("eval batch norm with its ReLU fused gives the modules' bits, in place or not", function()
  dlt.manual_seed(4)
  local s = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.3),
    nn.BatchNorm1d(6), nn.ReLU())
  s:train()
  s(dlt.randn(64, 3))  -- running stats away from 0 and 1
  s:eval()
  local x = dlt.randn(37, 3)
  x[{ 5, 1 }] = 0 / 0
  for _, grad in ipairs({ false, true }) do
    local fused, h
    local function run()
      fused = flat(s(x))
      h = x
      for i = 1, #s do h = s[i](h) end
    end
    if grad then run() else dlt.no_grad(run) end
    same(fused, flat(h), grad and "grad mode" or "no_grad (in place)")
  end
  -- and a batch norm's own output (no intermediate to overwrite)
  local bn, relu = s[2], nn.ReLU()
  dlt.no_grad(function()
    same(flat(nn.Sequential(bn, relu)(x:narrow(2, 1, 1):expand(37, 6):contiguous())),
      flat(relu(bn(x:narrow(2, 1, 1):expand(37, 6):contiguous()))), "input held by the caller")
  end)
end)

T.test("Sequential's cached children follow appends, collections and Lua children", function()
  dlt.manual_seed(6)
  local x = dlt.randn(4, 3)
  local s = nn.Sequential(nn.Linear(3, 3))
  local y1 = s(x)
  s:append(nn.ReLU())
  same(flat(s(x)), flat(y1:relu()), "the appended ReLU runs")
  -- a Lua child that appends to its own Sequential: this call runs the first two only
  local Grow = nn.Module:extend("Grow")
  function Grow:forward(v) s:append(nn.Tanh()); return v end
  s:append(Grow())
  local n = #s
  local before = flat(s(x))
  T.eq(#s, n + 1, "appended during forward")
  same(before, flat(y1:relu()), "output of the first children")
  -- a child freed by hand: an error, not a crash
  local d = nn.Dropout(0.5)
  local t = nn.Sequential(nn.Linear(3, 3), d)
  t(x)
  getmetatable(d).__gc(d)
  T.raises(function() t(x) end, "")
  -- empty and nested
  T.eq(nn.Sequential()(x), x, "an empty Sequential")
  local inner = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
  local outer = nn.Sequential(inner, inner)
  same(flat(outer(x)), flat(inner(inner(x))), "the same Sequential twice")
end)

T.test("a loop of small results stays bounded in memory", function()
  local x = dlt.randn(32, 1)
  collectgarbage()
  local before = rss_kb()
  if not before then return end
  for _ = 1, 300000 do local _ = x:sigmoid():sum() end
  local grew = rss_kb() - before
  -- 600000 dead tensors of about 300 bytes each would be 180 MB
  if grew > 40000 then error(string.format("resident memory grew by %d KB", grew)) end
end)

T.run()
