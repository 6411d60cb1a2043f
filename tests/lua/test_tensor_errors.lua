-- test_tensor_errors.lua: bad input to the tensor API is a Lua error naming the function
-- and the values, never a crash: sizes, ragged tables, indices, views, types, options.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

T.test("negative, fractional and overflowing sizes", function()
  T.raises(function() dlt.zeros(-3) end, "zeros: invalid size -3")
  T.raises(function() dlt.ones(2, -1) end, "ones: invalid size -1")
  T.raises(function() dlt.zeros({ 2, 2.5 }) end, "zeros: invalid size 2.5")
  T.raises(function() dlt.empty(2 ^ 60) end, "empty: invalid size")
  T.raises(function() dlt.zeros(1e7, 1e7) end, "cannot allocate")
  T.raises(function() dlt.zeros(4e9, 4e9) end, "cannot allocate")
  T.raises(function() dlt.zeros(1, 1, 1, 1, 1, 1, 1, 1, 1) end, "zeros: 9 dimensions")
  T.raises(function() dlt.zeros("3") end, "zeros: expected a size, got string")
  T.raises(function() dlt.eye(-2) end, "eye: invalid size -2")
  T.raises(function() dlt.linspace(0, 1, -5) end, "linspace: invalid size -5")
  T.raises(function() dlt.randperm(-1) end, "randperm: invalid size -1")
end)

T.test("ragged and non-numeric nested tables", function()
  T.raises(function() dlt.tensor({ { 1, 2 }, { 3, 4, 5 } }) end,
    "tensor: ragged nested table at depth 2: 3 elements, expected 2")
  T.raises(function() dlt.tensor({ { 1, 2 }, 3 }) end, "tensor: ragged nested table at depth 1: element 2 is a number")
  T.raises(function() dlt.tensor({ 1, "a" }) end, "tensor: element 2 at depth 1 is a string, expected a number")
  T.raises(function() dlt.tensor("abc") end, "tensor: expected a tensor, number or table, got string")
  T.raises(function() dlt.tensor({ 1 }, 2) end, "tensor: unexpected argument #2")
end)

T.test("unknown option keys and bad option values", function()
  T.raises(function() dlt.zeros(3, { dtpye = "float64" }) end, "zeros: unknown option 'dtpye'")
  T.raises(function() dlt.tensor({ 1 }, { requires_gard = true }) end, "tensor: unknown option 'requires_gard'")
  T.raises(function() dlt.ones(2, { dtype = "int32" }) end, "ones: unknown dtype 'int32'")
  T.raises(function() dlt.zeros(2, { requires_grad = 1 }) end, "option 'requires_grad': expected a boolean, got number")
  T.raises(function() dlt.ones(2):var({ unbiased = "yes" }) end, "var: option 'unbiased': expected a boolean, got string")
  T.raises(function() dlt.meshgrid(dlt.ones(2), dlt.ones(2), { indexing = 1 }) end,
    "meshgrid: option 'indexing': expected a string, got number")
  T.raises(function() dlt.ones(3):var(1, false, { unbiassed = false }) end, "var: unknown option 'unbiassed'")
  T.raises(function() dlt.meshgrid(dlt.ones(2), dlt.ones(2), { indexing = "xz" }) end, "meshgrid: indexing must be")
  T.raises(function() dlt.set_default_dtype("half") end, "set_default_dtype: unknown dtype 'half'")
end)

T.test("a shape table with options in it is an error, not a float32 tensor", function()
  T.raises(function() dlt.randn({ 2, dtype = "float64" }) end,
    "randn: the shape table has the key 'dtype' (a shape holds only sizes; options go in a table of their own after it)")
  T.raises(function() dlt.zeros({ 2, 3, requires_grad = true }) end, "zeros: the shape table has the key 'requires_grad'")
  T.raises(function() dlt.ones({ 2, 3, [5] = 4 }) end, "ones: the shape table has an entry at 5, beyond its 2 sizes")
  T.raises(function() dlt.randn(6):view({ 2, 3, foo = 1 }) end, "view: the shape table has the key 'foo'")
  T.eq(dlt.randn({ 2 }, { dtype = "float64" }).dtype, "float64", "options in their own table")
end)

T.test("an engine error that names no function gets the Lua function's name", function()
  -- the storage's "cannot allocate" knows no caller; 40 TB is past any machine's memory
  T.raises(function() dlt.zeros(1e6, 1e7) end, "zeros: cannot allocate 40000000000000 bytes")
  T.raises(function() dlt.randn({ 1e7, 1e7 }, { dtype = "float64" }) end, "randn: cannot allocate 800000000000000 bytes")
end)

T.test("an error from a binding that dlt's own Lua code called points at the user's line, not into dlt", function()
  local function err(f)
    local ok, e = pcall(f)
    T.eq(ok, false, "raises")
    return e
  end
  for what, f in pairs({
    ["flatten: dimension 5"] = function() local y = dlt.nn.Flatten(5)(dlt.randn(2, 3)); return y end,
    ["cross_entropy: target 0"] = function()
      local l = dlt.nn.functional.cross_entropy(dlt.randn(2, 3), dlt.tensor({ 0, 1 }, { dtype = dlt.int64 }))
      return l
    end,
    ["plot: x and y must have the same length"] = function() local l = dlt.plot.plot({ 1, 2 }, { 1 }); return l end,
    -- lauxlib-style argument errors of the Axes methods that pyplot's functions call
    ["bad argument #1 to 'set_title' (string expected, got no value)"] = function() dlt.plot.title() end,
    ["bad argument #1 to 'set_xlim' (number expected, got string)"] = function() dlt.plot.xlim("a", 1) end,
    ["bad argument #1 to 'set_xlabel' (string expected, got table)"] = function() dlt.plot.xlabel({}) end,
    -- the layers written in Lua (nn_conv.lua), called directly and from a Sequential
    ["Conv2d: expected input with 1 channel, got 3"] = function() dlt.nn.Conv2d(1, 2, 3)(dlt.randn(1, 3, 4, 4)) end,
    ["Conv2d: kernel_size must be an integer"] = function() dlt.nn.Conv2d(1, 2, "a") end,
    ["MaxPool2d: expected a tensor input, got number"] = function()
      dlt.nn.Sequential(dlt.nn.MaxPool2d(2))(5)
    end,
    ["MaxPool2d: input of shape {1,1,2,2} is too small"] = function() dlt.nn.MaxPool2d(5)(dlt.randn(1, 1, 2, 2)) end,
    ["Flatten: expected a tensor input, got number"] = function() dlt.nn.Flatten()(5) end,
    ["Dropout2d: expected 3-D (unbatched) or 4-D (batched) input"] = function()
      dlt.nn.Sequential(dlt.nn.Dropout2d(0.5))(dlt.randn(2))
    end,
    ["AdaptiveAvgPool2d: expected a tensor input, got number"] = function() dlt.nn.AdaptiveAvgPool2d(2)(5) end,
    -- an int64 image named by the layer, not "bad argument #1 to '?'" (and Dropout2d
    -- refuses it instead of scaling integers)
    ["Conv2d: expected a floating-point input, got int64"] = function()
      dlt.nn.Conv2d(3, 2, 2)(dlt.ones(1, 3, 4, 4, { dtype = "int64" }))
    end,
    ["MaxPool2d: expected a floating-point input, got int64"] = function()
      dlt.nn.MaxPool2d(2)(dlt.ones(1, 3, 4, 4, { dtype = "int64" }))
    end,
    ["AdaptiveAvgPool2d: expected a floating-point input, got int64"] = function()
      dlt.nn.AdaptiveAvgPool2d(2)(dlt.ones(1, 3, 4, 4, { dtype = "int64" }))
    end,
    ["Dropout2d: expected a floating-point input, got int64"] = function()
      dlt.nn.Dropout2d(0.5)(dlt.ones(1, 3, 4, 4, { dtype = "int64" }))
    end,
    ["conv2d: expected a floating-point weight, got int64"] = function()
      dlt.nn.functional.conv2d(dlt.randn(1, 3, 4, 4), dlt.ones(2, 3, 2, 2, { dtype = "int64" }))
    end,
    -- the other Lua-written parts: schedulers, early stopping, transforms, modules
    ["OneCycleLR: max_lr must be a number or a list of numbers"] = function()
      local opt = dlt.optim.SGD(dlt.nn.Linear(2, 2):parameters(), { lr = 0.1 })
      dlt.optim.lr_scheduler.OneCycleLR(opt, { max_lr = "a", total_steps = 10 })
    end,
    ["EarlyStopping: patience must be a non-negative integer, got -1"] = function() dlt.EarlyStopping { patience = -1 } end,
    ["Normalize: mean must be a number or a list of numbers"] = function() dlt.data.transforms.Normalize("a", 1) end,
    ["RandomCrop: size must be a positive integer"] = function() dlt.data.transforms.RandomCrop(-1) end,
    ["ModuleList: expected a list of modules, got number"] = function() dlt.nn.ModuleList(5) end,
    -- the shared checkers of argcheck.lua, through a constructor called as DataLoader(...)
    ["DataLoader: batch_size must be at least 1, got 0"] = function()
      local l = dlt.data.DataLoader(dlt.data.TensorDataset(dlt.randn(4, 2)), { batch_size = 0 })
      return l
    end,
    ["ELU: expected a tensor input, got number"] = function() dlt.nn.Sequential(dlt.nn.ELU())(5) end,
    ["CELU: alpha cannot be 0"] = function() dlt.nn.CELU({ alpha = 0 }) end,
    ["load_state_dict: size mismatch for weight"] = function()
      dlt.nn.Linear(2, 2):load_state_dict({ weight = dlt.randn(3, 3), bias = dlt.randn(2) })
    end,
  }) do
    local e = err(f)
    T.eq(e:find("[dlt]", 1, true), nil, what .. ": no position inside dlt in '" .. e .. "'")
    T.eq(e:match("test_tensor_errors%.lua:%d+: " .. what:gsub("%p", "%%%0")) ~= nil, true, what .. ": the test's line in '" .. e .. "'")
  end
end)

T.test("a chunk whose name holds a space ('(command line)', a path) gets one position, not two", function()
  local f = load("local dlt = require 'dlt'\nlocal y = dlt.nn.Dropout2d(0.5)(dlt.randn(3))\nreturn y", "=(command line)")
  local ok, e = pcall(f)
  T.eq(ok, false, "raises")
  T.eq(e, "(command line):2: Dropout2d: expected 3-D (unbatched) or 4-D (batched) input, got 1-D input of shape {3}",
    "the message")
end)

T.test("mismatched shapes", function()
  T.raises(function() return dlt.ones(3) + dlt.ones(4) end, "{3}")
  T.raises(function() return dlt.ones(3, 4):matmul(dlt.ones(5, 2)) end, "matmul: shapes {3,4} and {5,2} cannot be multiplied")
  T.raises(function() return dlt.ones(3):dot(dlt.ones(4)) end, "dot")
  T.raises(function() return dlt.cat({ dlt.ones(2, 3), dlt.ones(2, 4) }, 1) end, "cat")
  T.raises(function() return dlt.ones(3):masked_fill(dlt.ones(4), 0) end, "masked_fill")
  local t = dlt.ones(3)
  T.raises(function() t:copy_(dlt.ones(4)) end, "copy_")
  T.raises(function() t:add_(dlt.ones(2, 3)) end, "cannot broadcast shape {2,3} to {3}")
end)

T.test("out-of-range indices, dims and narrow ranges", function()
  local t = dlt.ones(2, 3)
  T.raises(function() return t[3] end, "index: index 3 is out of range for dimension 1 of size 2")
  T.raises(function() return t[0] end, "index: index 0 is out of range")
  T.raises(function() return t[{ 1, 4 }] end, "index: index 4 is out of range for dimension 2 of size 3")
  T.raises(function() return t[{ 1, 1, 1 }] end, "index: 3 indices for a 2-D tensor")
  T.raises(function() return t[1.5] end, "index: index must be an integer, got 1.5")
  T.raises(function() t[5] = 1 end, "index: index 5 is out of range")
  T.raises(function() t[1] = "x" end, "index assignment: expected a number or tensor, got string")
  T.raises(function() t[1] = dlt.ones(4) end, "")
  T.raises(function() return dlt.tensor(1)[1] end, "index: cannot index a 0-D tensor")
  T.raises(function() return t:sum(3) end, "sum: dimension 3 out of range for a 2-D tensor")
  T.raises(function() return t:sum(0) end, "sum: dimension 0 is invalid")
  T.raises(function() return t:narrow(2, 3, 2) end, "narrow: range [3, 4] is out of bounds for dimension 2 of size 3")
  T.raises(function() return t:narrow(2, 5, 1) end, "narrow: start 5 is out of range for dimension 2 of size 3")
  T.raises(function() return t:narrow(3, 1, 1) end, "narrow: dimension 3 out of range")
  T.raises(function() return t:select(1, 3) end, "select: index 3 is out of range for dimension 1 of size 2")
  T.raises(function() return t:index_select(2, { 1, 4 }) end, "index_select: index 4 is out of range for size 3")
  T.raises(function() return t:index_select(2, { 1.5 }) end, "index_select: index 1.5")
  T.raises(function() return t:transpose(1, 3) end, "transpose: dimension 3 out of range")
  T.raises(function() return t:permute(1, 1) end, "permute: dimension 1 repeats")
  T.raises(function() return t:permute(1) end, "permute: 1 dimensions given for a 2-D tensor")
  T.raises(function() return t:unsqueeze(4) end, "unsqueeze: dimension 4 out of range")
  T.raises(function() return t:size(3) end, "size: dimension 3 out of range")
  T.raises(function() return t:softmax() end, "softmax: dim is required")
  T.raises(function() return #dlt.tensor(2) end, "len: a 0-D tensor has no length")
end)

T.test("impossible views and reshapes", function()
  local t = dlt.ones(2, 3)
  T.raises(function() return t:view(4) end, "view: shape {4} is invalid for input of size 6")
  T.raises(function() return t:view(-1, -1) end, "view: only one dimension can be -1")
  T.raises(function() return t:view(-2, 3) end, "view: invalid size -2")
  T.raises(function() return t:t():view(6) end, "view: cannot view a non-contiguous tensor")
  T.raises(function() return t:reshape(5) end, "reshape: shape {5} is invalid")
  T.raises(function() return t:expand(4, 3) end, "expand: cannot expand shape {2,3} to {4,3}")
  T.raises(function() return dlt.ones(2, 2, 2):t() end, "t: expects a tensor with at most 2 dimensions")
end)

T.test("wrong argument types name the function", function()
  local t = dlt.ones(3)
  T.raises(function() return t + "a" end, "add: expected a tensor or number, got string")
  T.raises(function() return {} * t end, "mul: expected a tensor or number, got table")
  T.raises(function() return t:add(true) end, "add: expected a tensor or number, got boolean")
  T.raises(function() return t:pow("x") end, "pow: expected a tensor or number, got string")
  T.raises(function() return t:eq("x") end, "eq: expected a tensor or number, got string")
  T.raises(function() return t:matmul(3) end, "tensor expected, got number")
  T.raises(function() return t:sum("x") end, "sum: dimension must be an integer, got string")
  T.raises(function() return t:sum(1, "yes") end, "sum: keepdim must be a boolean, got string")
  T.raises(function() return dlt.cat({ t, 3 }, 1) end, "cat: element 2 is a number, expected a tensor")
  T.raises(function() return dlt.cat({}, 1) end, "cat: expected a non-empty list of tensors")
  T.raises(function() return t:fill_("x") end, "fill_: expected a tensor or number, got string")
  T.raises(function() return t:to("int8") end, "to: unknown dtype 'int8'")
  T.raises(function() return t:index_select(1, "x") end, "index_select: expected indices as a tensor or table, got string")
  T.raises(function() return dlt.where(t:gt(0), "a", t) end, "where: expected a tensor or number, got string")
  T.raises(function() t.shape = {} end, "tensor: cannot set field 'shape'")
  T.raises(function() return dlt.Tensor.sum(5) end, "tensor expected, got number")
end)

T.test("item and random argument checks", function()
  T.raises(function() return dlt.ones(3):item() end, "item: a tensor with 3 elements cannot be converted to a number")
  T.raises(function() return dlt.randint(5, 2, { 3 }) end, "randint: expects low < high, got low=5, high=2")
  T.raises(function() return dlt.ones(3):uniform_(2, 1) end, "uniform_: expects a <= b")
  T.raises(function() return dlt.ones(3):bernoulli_(1.5) end, "bernoulli_: expects 0 <= p <= 1")
  T.raises(function() return dlt.random.laplace(0, -1, { 3 }) end, "laplace: expects scale > 0")
  T.raises(function() return dlt.arange(0, 1, 0) end, "arange: invalid range start=0, stop=1, step=0")
  T.raises(function() return dlt.num_threads(0) end, "num_threads: expected 1..1024 threads, got 0")
  T.raises(function() return dlt.manual_seed(1.5) end, "manual_seed: seed must be an integer")
  T.raises(function() return dlt.polyfit({ 1, 2 }, { 1, 2 }, -1) end, "polyfit: invalid degree -1")
end)

T.test("in-place ops refuse leaves that require grad", function()
  local w = dlt.ones(3, { requires_grad = true })
  T.raises(function() w:add_(1) end, "add_")
  T.raises(function() w:fill_(0) end, "fill_")
  T.raises(function() w:uniform_() end, "uniform_")
  T.raises(function() w[1] = 5 end, "index assignment")
  dlt.no_grad(function() w:add_(1) end)
  T.close(w:detach(), { 2, 2, 2 }, 0, 0, "allowed under no_grad")
end)

T.test("errors leave the state usable (no leaks of half-built tensors)", function()
  collectgarbage()
  local before = dlt.memory_in_use()
  for _ = 1, 200 do
    pcall(dlt.tensor, { { 1, 2 }, { 3 } })
    pcall(function() return dlt.ones(100, 100) + dlt.ones(7) end)
    pcall(function() return dlt.ones(100):index_select(1, { 1, 200 }) end)
  end
  collectgarbage()
  collectgarbage()
  T.eq(dlt.memory_in_use(), before, "live tensor bytes after errors")
end)

T.test("a tensor whose __gc was called by hand is an error to use, naming that", function()
  local t = dlt.ones(3)
  local gc = getmetatable(t).__gc
  gc(t)
  gc(t)  -- twice frees nothing twice
  T.raises(function() return t:sum() end, "tensor expected, got a tensor freed by its __gc")
  -- handed another kind of userdata, a tensor's __gc leaves it alone
  local f = io.tmpfile()
  gc(f)
  T.eq(f:write("x") == f, true, "the file still works")
  f:close()
end)

T.run()
