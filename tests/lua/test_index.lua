-- test_index.lua: indexing as PyTorch users index (ranges with steps, int64 index
-- tensors, bool masks, t.T, ravel), read and assigned, against PyTorch
-- (tests/fixtures/index.lua from tests/golden/gen_index.py): values exactly, and the
-- gradient of sum(t[key] * W) (W = 1, 2, ... in the result's shape) to 1e-12; t[i] of a
-- tensor in a graph is a 0-D tensor carrying it.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local fix = dofile("tests/fixtures/index.lua")

local function X(grad) return dlt.tensor(fix.X, { dtype = dlt.float64, requires_grad = grad }) end
local function long(t) return dlt.tensor(t, { dtype = dlt.int64 }) end
local IDX, IDX2 = long({ 5, 1, 3, 3 }), long({ 4, 2 })  -- torch's [4, 0, 2, 2] and [3, 1]
local function MASK(x) return x:detach()[{ {}, 2 }]:gt(0) end  -- torch's X[:, 1] > 0

-- each mirrors the Python case of the same name: X[a:b] is X[{{a+1, b}}]
local READ = {
  rows_range = function(x) return x[{ { 1, 3 } }] end,
  column = function(x) return x[{ {}, 2 }] end,
  rows_step = function(x) return x[{ { 2, 5, 2 } }] end,
  columns_step = function(x) return x[{ {}, { 1, 4, 2 } }] end,
  rows_and_column = function(x) return x[{ { 2, 3 }, 3 }] end,
  last_rows = function(x) return x[{ { -2, -1 } }] end,
  rows_from = function(x) return x[{ { 4, -1 } }] end,
  index_rows = function(x) return x[IDX] end,
  index_columns = function(x) return x[{ {}, IDX2 }] end,
  mask_rows = function(x) return x[MASK(x)] end,
  mask_elements = function(x) return x[x:gt(0.3)] end,
  transpose = function(x) return x.T end,
  ravel = function(x) return x:ravel() end,
  range_of_transpose = function(x) return x.T[{ { 2, 3 }, { 1, -1, 2 } }] end,
  element_tensor = function(x) return x[2][3] end,
}

local ASSIGN = {
  assign_rows = function(y) y[{ { 2, 3 } }] = 0 end,
  assign_column = function(y) y[{ {}, 2 }] = dlt.tensor({ 1, 2, 3, 4, 5 }, { dtype = dlt.float64 }) end,
  assign_step = function(y) y[{ { 1, 5, 2 }, { 2, 4, 2 } }] = -3 end,
  assign_index = function(y) y[IDX2] = 5 end,
  assign_index_rows = function(y) y[IDX2] = dlt.tensor({ { 1, 2, 3, 4 } }, { dtype = dlt.float64 }) end,
  assign_mask = function(y) y[MASK(y)] = -1 end,
  assign_mask_elements = function(y) y[y:gt(0.5)] = 0 end,
  assign_mask_values = function(y)
    local m = y:lt(0)
    y[m] = dlt.arange(1, 1 + m:sum():item(), { dtype = dlt.float64 })
  end,
  assign_element = function(y) y[{ 3, 4 }] = 9 end,
}

local function weights(shape)
  local n = 1
  for _, s in ipairs(shape) do n = n * s end
  return dlt.arange(1, n + 1, { dtype = dlt.float64 }):reshape(shape)
end

local function check(got, want, what)
  T.eq(table.concat(got.shape, ","), table.concat(want.shape, ","), what .. " shape")
  T.close(got:detach():reshape(-1):totable(), want.values, 0, 0, what .. " values")
end

for name, want in pairs(fix.read) do
  T.test("reading " .. name .. " equals torch, gradient too", function()
    local x = X(true)
    local r = assert(READ[name], "no Lua case for " .. name)(x)
    check(r, want, name)
    local loss = (r * weights(r.shape)):sum()
    loss:backward()
    T.close(x.grad:reshape(-1):totable(), want.grad, 1e-12, 0, name .. " gradient")
  end)
end

for name, want in pairs(fix.assign) do
  T.test("assigning " .. name .. " equals torch", function()
    local y = X(false)
    assert(ASSIGN[name], "no Lua case for " .. name)(y)
    check(y, want, name)
  end)
  T.test("assigning " .. name .. " into a graph: values and gradient equal torch's", function()
    local x = X(true)
    local y = x * 1  -- a non-leaf, as the Python case
    ASSIGN[name](y)
    check(y, want, name)
    local loss = (y * weights(y.shape)):sum()
    loss:backward()
    T.close(x.grad:reshape(-1):totable(), want.grad, 1e-12, 0, name .. " gradient")
  end)
end

T.test("every Lua case has a fixture", function()
  for name in pairs(READ) do assert(fix.read[name], "fixture missing for " .. name) end
  for name in pairs(ASSIGN) do assert(fix.assign[name], "fixture missing for " .. name) end
end)

T.test("ranges, index tensors and masks are checked against PyTorch's gradcheck", function()
  local f = function(x)
    return x[{ { 2, 5, 2 }, { 1, -1, 2 } }]:sum() + (x[IDX] ^ 2):sum() + x[x:detach():gt(0)]:exp():sum() + x.T:ravel()[3]
  end
  T.eq(dlt.autograd.gradcheck(f, { X(true) }), true, "gradcheck")
end)

T.test("t[i] of a tensor in a graph is a 0-D tensor carrying it; a number elsewhere", function()
  local p = dlt.tensor({ 1.5, -2 }, { dtype = dlt.float64, requires_grad = true })
  local a = p[1]
  T.eq(dlt.is_tensor(a), true, "a tensor when p requires grad")
  T.eq(a:dim(), 0, "0-D")
  local loss = (p[1] - 1) ^ 2 + 3 * p[2]  -- Rosenbrock-style code as written in PyTorch
  loss:backward()
  T.close(p.grad, { 1, 3 }, 0, 0, "the graph reached p")
  T.eq(type(dlt.no_grad(function() return p[1] end)), "number", "a number under no_grad")
  T.eq(type(p:detach()[1]), "number", "a number when nothing requires grad")
  T.eq(type(dlt.tensor({ 1, 2 })[2]), "number", "a number for plain tensors")
  local w = dlt.tensor({ { 1, 2 }, { 3, 4 } }, { requires_grad = true })
  T.eq(dlt.is_tensor(w[{ 2, 1 }]), true, "t[{i, j}] too")
  T.eq(w[{ 2, 1 }]:item(), 3, "its value")
end)

T.test("reading ranges gives views; out-of-range ends clamp as Python slices do", function()
  local x = dlt.arange(10)
  local v = x[{ { 2, 8, 3 } }]
  T.close(v, { 1, 4, 7 }, 0, 0, "stepped range")
  v[1] = 100
  T.eq(x[2], 100, "a view writes through")
  T.eq(x[{ { 1, 800 } }]:numel(), 10, "x[:800] of 10 elements")
  T.eq(x[{ { 12, 20 } }]:numel(), 0, "a range past the end is empty")
  T.close(x[{ { -3 } }], { 7 }, 0, 0, "{first} keeps the dim")
end)

T.test("assignment into a leaf that requires grad is refused, as in PyTorch", function()
  local x = X(true)
  T.raises(function() x[1] = 0 end, "index assignment: a leaf tensor that requires grad is used in an in-place operation")
  dlt.no_grad(function() x[1] = 0 end)  -- allowed without recording, as under torch.no_grad()
  T.eq(x:detach()[{ 1, 1 }], 0, "written")
end)

T.test("index errors name the key", function()
  local x = dlt.zeros(3, 4)
  T.raises(function() return x[{ { 1, 2, 0 } }] end, "index: the step of a range must be positive, got 0")
  T.raises(function() return x[dlt.tensor({ 1, 2 })] end, "index: tensors used as indices must be int64 or bool, got float32 (convert with :long())")
  T.raises(function() return x[long({ 4 })] end, "index: index 4 is out of range for size 3")
  T.raises(function() return x[dlt.ones(4, { dtype = dlt.bool })] end,
    "index: a mask of shape {4} does not match the leading dimensions of a tensor of shape {3,4}")
  T.raises(function() x[{ {}, long({ 1 }) }] = dlt.ones(2) end,
    "index assignment: a value of shape {2} cannot fill a selection of shape {3,1}")
  T.raises(function() return x[{ 1, 1, 1 }] end, "index: 3 indices for a 2-D tensor")
end)

T.run()
