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

T.test("a tensor as a condition: t:is_true() and t:item()", function()
  local t = dlt.tensor({ -1, 2 })
  T.eq(t:gt(0):any():is_true(), true, "any")
  T.eq(t:gt(0):all():is_true(), false, "all")
  T.eq(dlt.tensor(0.5):is_true(), true, "a nonzero number")
  T.eq(t:lt(0):all():item(), false, "item of a bool tensor is a boolean")
  T.raises(function() t:is_true() end, "is_true: the tensor has 2 elements", "two elements")
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
  T.raises(function() dlt.progress("x") end, "progress: expected a count, a list or a DataLoader")
end)

T.run()
