-- test_traps.lua: the Lua traps a PyTorch user meets, each made to work or to say what
-- to write: shapes print as torch.Size does, state_dicts list keys with shapes,
-- nn.summary and num_parameters, every loop form over a DataLoader or dataset, a tensor
-- as a condition (Tensor:is_true), and dlt.progress as a loop.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local nn, data = dlt.nn, dlt.data

T.test("t.shape and t:size() print as (4, 2), index from 1, have a length and compare by value", function()
  local t = dlt.zeros(4, 2)
  T.eq(tostring(t.shape), "(4, 2)", "2-D")
  T.eq(tostring(t:size()), "(4, 2)", "size()")
  T.eq(tostring(dlt.zeros(3).shape), "(3,)", "1-D, as a Python tuple")
  T.eq(tostring(dlt.tensor(5).shape), "()", "0-dim")
  T.eq(t.shape[1], 4, "dim 1")
  T.eq(t.shape[2], 2, "dim 2")
  T.eq(#t.shape, 2, "length")
  T.eq(t.shape == dlt.ones(4, 2).shape, true, "equal shapes")
  T.eq(t.shape == dlt.ones(2, 4).shape, false, "different shapes")
  T.eq(t.shape == t:t():contiguous():t().shape, true, "same sizes, other strides")
  -- still a plain list to pass on
  T.eq(dlt.zeros(t.shape):numel(), 8, "a shape creates a tensor")
  T.eq(dlt.randn(2, 3):view(t:size(1) // 2, -1).shape == dlt.zeros(2, 3).shape, true, "view")
end)

T.test("a state_dict prints its keys with shapes and dtypes, in module order", function()
  local m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
  local sd = m:state_dict()
  T.eq(tostring(sd), "state_dict({\n  1.bias: (3,) float32\n  1.weight: (3, 2) float32\n"
    .. "  3.bias: (1,) float32\n  3.weight: (1, 3) float32\n})", "printout")
  m:load_state_dict(sd)  -- still a plain table of tensors
  local n = 0
  for _ in pairs(sd) do n = n + 1 end
  T.eq(n, 4, "entries")
  local many = {}
  for i = 1, 11 do many[i] = nn.Linear(1, 1) end
  local s = tostring(nn.Sequential(table.unpack(many)):state_dict())
  assert(s:find("2.weight", 1, true) < s:find("10.bias", 1, true), "natural order: " .. s)
end)

T.test("model:num_parameters() counts elements; nn.summary prints torchinfo's table", function()
  local model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
  T.eq(model:num_parameters(), 2 * 16 + 16 + 16 + 1, "total")
  model[3]:requires_grad_(false)
  T.eq(model:num_parameters({ trainable = true }), 48, "trainable")
  local out = {}
  local real_print = print
  print = function(s) out[#out + 1] = s end  -- luacheck: ignore
  local ok, text = pcall(nn.summary, model, { 64, 2 })
  print = real_print  -- luacheck: ignore
  assert(ok, text)
  T.eq(out[1], text, "printed and returned")
  local lines = {}
  for l in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  T.eq(lines[2], "Layer (type:depth-idx)                   Output Shape              Param #", "header")
  T.eq(lines[4], "Sequential                               [64, 1]                   --", "the model")
  T.eq(lines[5], "├─Linear: 1-1                            [64, 16]                  48", "layer 1")
  T.eq(lines[6], "├─ReLU: 1-2                              [64, 16]                  --", "layer 2")
  T.eq(lines[7], "├─Linear: 1-3                            [64, 1]                   17", "layer 3")
  T.eq(lines[9], "Total params: 65", "total")
  T.eq(lines[10], "Trainable params: 48", "trainable")
  T.eq(lines[11], "Non-trainable params: 17", "frozen")
  T.eq(model.training, true, "the model is left in training mode")
  T.raises(function() nn.summary(model) end, "input_shape must be a list of sizes", "no shape")
  T.raises(function() nn.summary({}, { 1, 2 }) end, "summary: expected a module", "not a module")
end)

T.test("every loop form over a loader or dataset works or says how to loop", function()
  local ds = data.TensorDataset(dlt.arange(5), dlt.arange(5) * 10)
  local loader = data.DataLoader(ds, { batch_size = 2 })
  local n = 0
  for xb, yb in loader:iter() do n = n + xb:numel() + yb:numel() end
  T.eq(n, 10, "loader:iter()")
  local rows = 0
  for i, row in pairs(ds) do rows = rows + 1; T.eq(row[2], 10.0 * (i - 1), "row " .. i) end
  T.eq(rows, 5, "pairs(ds)")
  rows = 0
  local err = T.raises(function() for _ in ipairs(ds) do rows = rows + 1 end end,
    "index 6 out of range 1..5; loop over the rows with `for i, row in pairs(ds) do`", "ipairs(ds)")
  T.eq(rows, 5, "ipairs(ds) saw every row before it said how to loop")
  local how = "loop with `for xb, yb in loader:iter() do`"
  T.raises(function() for _ in ipairs(loader) do end end, how, "ipairs(loader)")
  T.raises(function() for _ in loader do end end, how, "for b in loader")
  T.raises(function() for _ in ds do end end, "for i, row in pairs(ds) do", "for r in ds")
  T.raises(function() for _ in pairs(loader) do end end,
    "pairs(loader) would list the loader's fields, not batches; " .. how, "pairs(loader)")
  err = T.raises(function() return ds[7] end, "index 7 out of range 1..5", "still checked")
  T.eq(err:find("loop over", 1, true), nil, "only one past the end mentions loops")
  local b = 0
  for i, xb, yb in dlt.progress(loader) do b = i; T.eq(xb:numel(), yb:numel(), "fields") end
  T.eq(b, 3, "dlt.progress(loader)")
end)

T.test("Subset and the image data sets loop as a TensorDataset does", function()
  local sub = data.Subset(data.TensorDataset(dlt.arange(5) * 10), { 5, 1, 3 })
  local got = {}
  for i, row in pairs(sub) do got[#got + 1] = i .. ":" .. row[1] end
  T.eq(table.concat(got, ","), "1:40.0,2:0.0,3:20.0", "pairs(subset)")
  local n = 0
  T.raises(function() for _ in ipairs(sub) do n = n + 1 end end,
    "Subset: index 4 out of range 1..3; loop over the rows with `for i, row in pairs(ds) do`", "ipairs(subset)")
  T.eq(n, 3, "ipairs(subset) saw every row first")
  T.raises(function() for _ in sub do end end, "Subset: a dataset is not an iterator", "for r in subset")
  local ok, fm = pcall(data.FashionMNIST, { train = false })
  if not ok then return end  -- the data set is not installed here
  n = 0
  for i, row in pairs(fm) do
    n = i
    T.eq(tostring(row[1].shape), "(1, 28, 28)", "an image row")
    if i == 2 then break end
  end
  T.eq(n, 2, "pairs(FashionMNIST)")
  T.raises(function() for _ in fm do end end, "FashionMNIST: a dataset is not an iterator", "for r in fm")
  T.raises(function() return fm[#fm + 1] end, "index 10001 out of range 1..10000; loop over the rows",
    "one past the end says how to loop")
end)

T.test("a method called with '.' instead of ':' says to call it as obj:method()", function()
  local model = nn.Sequential(nn.Linear(2, 1))
  local Net = nn.Module:extend("Net")
  function Net:init() self.fc = nn.Linear(2, 1) end
  function Net:forward(x) return self.fc(x) end
  local net = Net()
  local opt = dlt.optim.SGD(model:parameters(), { lr = 0.1 })
  local lbfgs = dlt.optim.LBFGS(net:parameters())
  local sched = dlt.optim.lr_scheduler
  local x = dlt.randn(4, 2)
  local loader = data.DataLoader(data.TensorDataset(x), { batch_size = 2 })
  local fig, ax = dlt.plot.subplots()
  local bar = dlt.progress.bar(3)
  local cases = {
    { function() opt.step() end, "step is a method: call it as opt:step(...), with ':' (a '.' call passes no optimizer)" },
    { function() opt.zero_grad() end, "zero_grad is a method: call it as opt:zero_grad(...)" },
    { function() lbfgs.step(function() return 0 end) end,
      "step is a method: call it as opt:step(...), with ':' (got a function instead of the optimizer)" },
    { function() model.train() end, "train is a method: call it as model:train(...)" },
    { function() net.parameters() end, "parameters is a method: call it as model:parameters(...)" },
    { function() model.to(dlt.float64) end, "to is a method: call it as model:to(...), with ':' (got a string" },
    { function() model.forward(x) end, "forward: expected a module, got a tensor; call it as model:forward(...)" },
    { function() sched.StepLR(opt, { step_size = 1 }).step() end, "step is a method: call it as scheduler:step(...)" },
    { function() sched.OneCycleLR(opt, { max_lr = 1, total_steps = 5 }).step() end, "call it as scheduler:step(...)" },
    { function() sched.MultiplicativeLR(opt, { lr_lambda = function() return 1 end }).step() end, "scheduler:step(...)" },
    { function() sched.ReduceLROnPlateau(opt).step(1.5) end, "got a number instead of the scheduler" },
    { function() loader.iter() end, "iter is a method: call it as loader:iter(...)" },
    { function() bar.update(1) end, "update is a method: call it as bar:update(...)" },
    { function() x.sum() end, "bad argument #1 to 'sum' (tensor expected, got no value; call a method with ':', as t:sum(...))" },
    { function() x.view(8) end, "(tensor expected, got number; call a method with ':', as t:view(...))" },
    { function() x.add(x) end, "add: expected a tensor or number, got nil; call a method with ':', as t:add(other)" },
    { function() x.backward() end, "call a method with ':', as t:backward(...)" },
    { function() ax.plot({ 1, 2 }) end, "(dlt.plot.Axes expected, got table; call a method with ':', as ax:plot(...))" },
    { function() fig.savefig("x.png") end, "call a method with ':', as fig:savefig(...)" },
  }
  for i, c in ipairs(cases) do
    local err = T.raises(c[1], c[2], "case " .. i)
    assert(err:find("test_traps.lua:%d+:"), "case " .. i .. " names the caller's line: " .. err)
  end
  dlt.plot.close(fig)
  -- the right calls work as before, and errors inside still name the caller's line
  opt:zero_grad()
  T.eq(#model:parameters(), 2, "model:parameters()")
  local err = T.raises(function() model:to("int8") end, "to:")
  assert(err:find("test_traps.lua:%d+:"), err)
  -- an operator with a missing operand is not a method call
  err = T.raises(function() return x + nil end, "add: expected a tensor or number, got nil")
  T.eq(err:find("call a method", 1, true), nil, "no hint for an operator")
end)

T.test("a tensor as a condition: t:is_true() and t:item()", function()
  local t = dlt.tensor({ -1, 2 })
  T.eq(t:gt(0):any():is_true(), true, "any")
  T.eq(t:gt(0):all():is_true(), false, "all")
  T.eq(dlt.tensor(0.5):is_true(), true, "a nonzero number")
  T.eq(t:lt(0):all():item(), false, "item of a bool tensor is a boolean")
  T.raises(function() t:is_true() end, "is_true: the tensor has 2 elements", "two elements")
  for _, f in ipairs({ function() return t > 0 end, function() return t < t end,
    function() return 0 >= t end, function() return t <= 1 end }) do
    local err = T.raises(f, "tensors: <, <=, >, >= give one Lua boolean, not a tensor; compare "
      .. "elementwise with a:lt(b), a:le(b), a:gt(b), a:ge(b)", "an operator")
    assert(err:find("test_traps.lua:%d+:"), "names the caller's line: " .. err)
  end
end)

T.test("dlt.progress loops over a count, a list and a loader, counting from 1", function()
  local got = {}
  for i in dlt.progress(3) do got[#got + 1] = i end
  T.eq(table.concat(got, ","), "1,2,3", "count")
  got = {}
  for i, v in dlt.progress({ "a", "b" }) do got[#got + 1] = i .. v end
  T.eq(table.concat(got, ","), "1a,2b", "list")
  for _ in dlt.progress({}) do error("an empty list runs no iteration") end
  local bar = dlt.progress(10, { desc = "x" })   -- the manual form still works
  bar:update(5, { loss = 0.5 })
  bar:close()
  T.raises(function() dlt.progress("x") end, "progress: expected a count, a list, a DataLoader or an iterator function")
end)

T.test("dlt.progress wraps any iterator function, as tqdm wraps any iterable", function()
  local words, k = { "a", "b", "c" }, 0
  local got = {}
  for i, w in dlt.progress(function() k = k + 1; return words[k] end) do got[#got + 1] = i .. w end
  T.eq(table.concat(got, ","), "1a,2b,3c", "a closure")
  local loader = data.DataLoader(data.TensorDataset(dlt.arange(5)), { batch_size = 2 })
  local n = 0
  for i, xb in dlt.progress(loader:iter(), { desc = "batches" }) do n = n + xb:numel(); T.eq(i <= 3, true, "count") end
  T.eq(n, 5, "loader:iter() as an iterator")
  -- the bar of an unknown length shows the count and the rate, as tqdm's does
  local bar = dlt.progress.bar(function() end, { desc = "read" })
  bar:update(5)
  T.eq(bar:line(bar.start + 2), "read 5 it [2.0s, 2.5 it/s]", "no total")
  bar = dlt.progress.bar(function() end, { total = 10 })
  bar:update(5)
  T.eq(bar:line(bar.start + 2):match("^5/10 %["), "5/10 [", "total given")
  T.raises(function() dlt.progress(function() end, { total = -1 }) end, "progress: total must be a count")
end)

T.run()
