-- test_tensor.lua: the tensor userdata's behaviour: creation, dtypes, fields, views and
-- indexing (1-based), in-place updates, reductions with 1-based indices, linear algebra.
-- Numeric agreement with PyTorch is in test_tensor_fixtures.lua; errors in test_tensor_errors.lua.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local function shape(t) return table.concat(t.shape, ",") end

-- creation ---------------------------------------------------------------

T.test("tensor from a number is 0-D", function()
  local t = dlt.tensor(3)
  T.eq(t:dim(), 0, "dim")
  T.eq(t:item(), 3, "item")
  T.eq(shape(t), "", "shape")
  T.eq(t.dtype, "float32", "default dtype")
end)

T.test("tensor from nested tables keeps shape, dtype and requires_grad options", function()
  local t = dlt.tensor({ { 1, 2, 3 }, { 4, 5, 6 } }, { dtype = "float64", requires_grad = true })
  T.eq(shape(t), "2,3", "shape")
  T.eq(t.dtype, "float64", "dtype")
  T.eq(t.requires_grad, true, "requires_grad")
  T.eq(t.is_leaf, true, "is_leaf")
  T.close(t:totable(), { { 1, 2, 3 }, { 4, 5, 6 } }, 0, 0, "values")
  T.eq(dlt.tensor({}).shape[1], 0, "empty table is a 0-length vector")
  -- booleans make a bool tensor, as torch.tensor([True, False]) does
  T.eq(dlt.tensor({ true, false }).dtype, "bool", "booleans give bool")
  T.close(dlt.tensor({ true, false }):long(), { 1, 0 }, 0, 0, "booleans are 1/0")
end)

T.test("dlt.tensor(t) is a detached copy", function()
  local a = dlt.ones(3, { requires_grad = true })
  local b = dlt.tensor(a)
  T.eq(b.requires_grad, false, "copy does not require grad")
  b[1] = 5
  T.eq(a[1]:item(), 1, "original unchanged")  -- a requires grad: a[1] is a 0-D tensor, as in PyTorch
end)

T.test("zeros/ones/full/empty take a shape as numbers or a table, then options", function()
  T.eq(shape(dlt.zeros(2, 3)), "2,3", "numbers")
  T.eq(shape(dlt.zeros({ 2, 3 })), "2,3", "table")
  T.eq(dlt.zeros(2, { dtype = "float64" }).dtype, "float64", "options after numbers")
  T.eq(dlt.ones({ 4 }, { dtype = "float64" }).dtype, "float64", "options after a table")
  T.close(dlt.ones(2, 2), { 1, 1, 1, 1 }, 0, 0, "ones")
  T.close(dlt.full({ 2, 2 }, 7), { 7, 7, 7, 7 }, 0, 0, "full with table")
  T.close(dlt.full(3, 1.5), { 1.5, 1.5, 1.5 }, 0, 0, "full with a size")
  T.eq(shape(dlt.empty(5, 0)), "5,0", "empty with a zero dim")
  T.eq(dlt.zeros():dim(), 0, "no sizes: 0-D")
  T.eq(dlt.zeros(3, { requires_grad = true }).requires_grad, true, "requires_grad option")
end)

T.test("*_like keep shape and dtype unless told", function()
  local a = dlt.ones(2, 3, { dtype = "float64" })
  T.eq(shape(dlt.zeros_like(a)), "2,3", "zeros_like shape")
  T.eq(dlt.zeros_like(a).dtype, "float64", "zeros_like dtype")
  T.eq(dlt.ones_like(a, { dtype = "float32" }).dtype, "float32", "dtype override")
  T.close(dlt.full_like(a, 2), { 2, 2, 2, 2, 2, 2 }, 0, 0, "full_like")
  T.eq(shape(dlt.empty_like(a)), "2,3", "empty_like")
  T.eq(shape(dlt.rand_like(a)), "2,3", "rand_like")
  T.eq(shape(dlt.randn_like(a)), "2,3", "randn_like")
end)

T.test("eye and arange follow torch (stop exclusive, arange(n) = 0..n-1)", function()
  T.close(dlt.eye(3), { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, 0, 0, "eye")
  T.eq(shape(dlt.eye(2, 3)), "2,3", "eye(n, m)")
  T.close(dlt.arange(5), { 0, 1, 2, 3, 4 }, 0, 0, "arange(n)")
  T.close(dlt.arange(1, 4), { 1, 2, 3 }, 0, 0, "arange(a, b)")
  T.close(dlt.arange(0, 1, 0.25), { 0, 0.25, 0.5, 0.75 }, 0, 0, "arange with step")
  T.close(dlt.arange(5, 0, -2), { 5, 3, 1 }, 0, 0, "negative step")
  T.eq(dlt.arange(3, { dtype = "float64" }).dtype, "float64", "options")
end)

T.test("meshgrid uses NumPy's xy indexing", function()
  local X, Y = dlt.meshgrid(dlt.tensor({ 1, 2, 3 }), dlt.tensor({ 10, 20 }))
  T.eq(shape(X), "2,3", "X shape (#y, #x)")
  T.close(X, { { 1, 2, 3 }, { 1, 2, 3 } }, 0, 0, "X rows repeat x")
  T.close(Y, { { 10, 10, 10 }, { 20, 20, 20 } }, 0, 0, "Y columns repeat y")
  local Xi = dlt.meshgrid(dlt.tensor({ 1, 2, 3 }), dlt.tensor({ 10, 20 }), { indexing = "ij" })
  T.eq(shape(Xi), "3,2", "ij indexing")
end)

T.test("set_default_dtype changes what creation functions make", function()
  T.eq(dlt.get_default_dtype(), "float32", "default")
  dlt.set_default_dtype("float64")
  local ok, err = pcall(function()
    T.eq(dlt.zeros(2).dtype, "float64", "zeros")
    T.eq(dlt.tensor({ 1 }).dtype, "float64", "tensor")
    T.eq(dlt.arange(3).dtype, "float64", "arange")
  end)
  dlt.set_default_dtype("float32")
  assert(ok, err)
end)

-- random -----------------------------------------------------------------

T.test("manual_seed makes draws repeat exactly", function()
  dlt.manual_seed(42)
  local a, b = dlt.rand(5), dlt.randn(3, 2)
  dlt.manual_seed(42)
  T.close(dlt.rand(5), a, 0, 0, "rand repeats")
  T.close(dlt.randn(3, 2), b, 0, 0, "randn repeats")
  dlt.manual_seed(43)
  assert(dlt.rand(5):ne(a):any():item() == true, "another seed gives other values")
end)

T.test("rand, randn, randint, randperm draw from the documented ranges", function()
  dlt.manual_seed(1)
  local u = dlt.rand(10000, { dtype = "float64" })
  assert(u:min():item() >= 0 and u:max():item() < 1, "rand in [0, 1)")
  T.close(u:mean():item(), 0.5, 0, 0.02, "rand mean")
  local n = dlt.randn(10000, { dtype = "float64" })
  T.close(n:mean():item(), 0, 0, 0.05, "randn mean")
  T.close(n:std():item(), 1, 0, 0.05, "randn std")
  local r = dlt.randint(3, 7, { 1000 })
  assert(r:min():item() == 3 and r:max():item() == 6, "randint in [3, 7)")
  T.close(r, r:floor(), 0, 0, "randint integers")
  T.eq(shape(dlt.randint(5, { 2, 3 })), "2,3", "randint(hi, shape)")
  assert(dlt.randint(5, { 200 }):max():item() == 4, "randint(hi, shape) below hi")
  local p = dlt.randperm(10)
  local seen = {}
  for i = 1, 10 do seen[p[i]] = true end
  for i = 1, 10 do assert(seen[i], "randperm misses " .. i) end
  T.eq(shape(dlt.random.laplace(0, 1, { 4, 2 })), "4,2", "laplace shape")
end)

T.test("in-place random fills return the tensor and respect their parameters", function()
  local t = dlt.zeros(2000, { dtype = "float64" })
  T.eq(rawequal(t:uniform_(-2, 3), t), true, "uniform_ returns self")
  assert(t:min():item() >= -2 and t:max():item() < 3, "uniform_ range")
  t:normal_(5, 2)
  T.close(t:mean():item(), 5, 0, 0.2, "normal_ mean")
  t:bernoulli_(0.3)
  T.eq(t:eq(0):add(t:eq(1)):all():item(), true, "bernoulli_ gives 0/1")  -- bool + bool is "or"
  T.close(t:mean():item(), 0.3, 0, 0.05, "bernoulli_ p")
  t:exponential_(2)
  assert(t:min():item() >= 0, "exponential_ non-negative")
  T.close(t:mean():item(), 0.5, 0, 0.05, "exponential_ mean 1/rate")
end)

-- fields and shapes -------------------------------------------------------

T.test("t.shape is a fresh table; size, dim, numel, #t", function()
  local t = dlt.zeros(2, 3, 4)
  local s = t.shape
  s[1] = 99
  T.eq(t.shape[1], 2, "shape table is a copy")
  T.eq(t:size(2), 3, "size(2)")
  T.eq(t:size(-1), 4, "size(-1)")
  T.eq(#t:size(), 3, "size()")
  T.eq(t:dim(), 3, "dim")
  T.eq(t:numel(), 24, "numel")
  T.eq(#t, 2, "#t")
  T.eq(t.ndim, 3, "ndim")
  T.eq(t.grad, nil, "grad nil")
  T.eq(t.grad_fn, nil, "grad_fn nil on a leaf")
end)

T.test("view, reshape, transpose, permute, squeeze, unsqueeze, flatten, expand", function()
  local t = dlt.arange(12):view(3, 4)
  T.eq(shape(t), "3,4", "view")
  T.eq(shape(t:view(-1)), "12", "view(-1)")
  T.eq(shape(t:view({ 2, -1 })), "2,6", "view with a table")
  local tt = t:t()
  T.eq(shape(tt), "4,3", "t()")
  T.eq(tt:is_contiguous(), false, "transpose is a view")
  T.close(tt:reshape(12), { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, 0, 0, "reshape copies a non-contiguous tensor")
  T.eq(shape(dlt.zeros(2, 3, 4):permute(3, 1, 2)), "4,2,3", "permute")
  T.eq(shape(dlt.zeros(2, 3, 4):permute({ 2, 3, 1 })), "3,4,2", "permute with a table")
  T.eq(shape(dlt.zeros(2, 3, 4):transpose(1, -1)), "4,3,2", "transpose negative dim")
  T.eq(shape(dlt.zeros(3):unsqueeze(1)), "1,3", "unsqueeze(1)")
  T.eq(shape(dlt.zeros(3):unsqueeze(-1)), "3,1", "unsqueeze(-1)")
  T.eq(shape(dlt.zeros(1, 3, 1):squeeze()), "3", "squeeze()")
  T.eq(shape(dlt.zeros(1, 3, 1):squeeze(3)), "1,3", "squeeze(d)")
  T.eq(shape(dlt.zeros(2, 3, 4):flatten()), "24", "flatten()")
  T.eq(shape(dlt.zeros(2, 3, 4):flatten(2)), "2,12", "flatten(2)")
  T.eq(shape(dlt.zeros(3, 1):expand(3, 4)), "3,4", "expand")
  T.eq(shape(dlt.zeros(3, 1):expand(-1, 5)), "3,5", "expand with -1")
  T.eq(shape(dlt.zeros(2, 3):view_as(dlt.zeros(3, 2))), "3,2", "view_as")
end)

T.test("views share storage; clone and contiguous copies do not", function()
  local t = dlt.zeros(2, 3)
  local v = t:view(6)
  v[4] = 7
  T.eq(t[{ 2, 1 }], 7, "write through view")
  local c = t:clone()
  c[{ 1, 1 }] = 5
  T.eq(t[{ 1, 1 }], 0, "clone is independent")
  t:t()[{ 3, 1 }] = 9
  T.eq(t[{ 1, 3 }], 9, "write through transpose")
end)

-- indexing ----------------------------------------------------------------

T.test("t[i] is a row view, a number for 1-D; t[{i,j}] one element; negatives count from the end", function()
  local t = dlt.tensor({ { 1, 2, 3 }, { 4, 5, 6 } })
  T.close(t[2], { 4, 5, 6 }, 0, 0, "row 2")
  T.eq(t[2][3], 6, "number from 1-D")
  T.eq(t[-1][-1], 6, "negative indices")
  T.eq(t[{ 1, 2 }], 2, "t[{i, j}]")
  T.eq(t[{ -2, -3 }], 1, "negative pair")
  T.close(t[{ 2 }], { 4, 5, 6 }, 0, 0, "partial index gives a view")
  local row = t[1]
  row[1] = 100
  T.eq(t[{ 1, 1 }], 100, "row is a view")
end)

T.test("t[i] = v assigns numbers and broadcast tensors", function()
  local t = dlt.zeros(2, 3)
  t[1] = 5
  T.close(t, { { 5, 5, 5 }, { 0, 0, 0 } }, 0, 0, "number fills a row")
  t[2] = dlt.tensor({ 1, 2, 3 })
  T.close(t[2], { 1, 2, 3 }, 0, 0, "tensor copies")
  t[-1] = dlt.tensor({ 9 })
  T.close(t[2], { 9, 9, 9 }, 0, 0, "broadcast")
  t[{ 1, 2 }] = -1
  T.eq(t[{ 1, 2 }], -1, "element assignment")
  local v = dlt.zeros(3)
  v[2] = 4
  T.close(v, { 0, 4, 0 }, 0, 0, "1-D assignment")
  t[1] = { 7, 8, 9 }
  T.close(t[1], { 7, 8, 9 }, 0, 0, "table assignment")
end)

T.test("narrow, select, index_select use 1-based positions", function()
  local t = dlt.arange(1, 13):view(3, 4)
  T.close(t:narrow(2, 2, 2), { { 2, 3 }, { 6, 7 }, { 10, 11 } }, 0, 0, "narrow")
  T.close(t:narrow(1, -1, 1), { { 9, 10, 11, 12 } }, 0, 0, "narrow from the end")
  T.eq(shape(t:narrow(1, 4, 0)), "0,4", "empty narrow at the end")
  T.close(t:select(2, 1), { 1, 5, 9 }, 0, 0, "select")
  T.close(t:index_select(1, { 3, 1 }), { { 9, 10, 11, 12 }, { 1, 2, 3, 4 } }, 0, 0, "index_select table")
  T.close(t:index_select(2, dlt.tensor({ 4, -4 })), { { 4, 1 }, { 8, 5 }, { 12, 9 } }, 0, 0, "index_select tensor")
end)

T.test("masked_fill, masked_select, nonzero and where", function()
  local t = dlt.tensor({ { 1, -2 }, { -3, 4 } })
  T.close(t:masked_fill(t:lt(0), 0), { { 1, 0 }, { 0, 4 } }, 0, 0, "masked_fill")
  T.close(t:masked_select(t:gt(0)), { 1, 4 }, 0, 0, "masked_select")
  T.close(t:nonzero(), { { 1, 1 }, { 1, 2 }, { 2, 1 }, { 2, 2 } }, 0, 0, "nonzero of all")
  T.close(t:lt(0):nonzero(), { { 1, 2 }, { 2, 1 } }, 0, 0, "nonzero 1-based")
  local v = dlt.tensor({ 5, 6, 7, 8 })
  local mask = v:gt(6)
  T.close(v:index_select(1, mask:nonzero()), { 7, 8 }, 0, 0, "boolean selection through nonzero")
  T.close(dlt.where(t:gt(0), t, 0), { { 1, 0 }, { 0, 4 } }, 0, 0, "where with a number")
  T.close(dlt.where(t:gt(0), 1, -1), { { 1, -1 }, { -1, 1 } }, 0, 0, "where with numbers")
end)

-- arithmetic --------------------------------------------------------------

T.test("operators take numbers on either side and promote float32+float64 to float64", function()
  local a = dlt.tensor({ 1, 2, 4 })
  T.close(a + 1, { 2, 3, 5 }, 0, 0, "t + n")
  T.close(1 - a, { 0, -1, -3 }, 0, 0, "n - t")
  T.close(2 * a, { 2, 4, 8 }, 0, 0, "n * t")
  T.close(8 / a, { 8, 4, 2 }, 0, 0, "n / t")
  T.close(a ^ 2, { 1, 4, 16 }, 0, 0, "t ^ n")
  T.close(2 ^ a, { 2, 4, 16 }, 0, 0, "n ^ t")
  T.close(-a, { -1, -2, -4 }, 0, 0, "-t")
  T.eq((a + 1).dtype, "float32", "number keeps dtype")
  T.eq((a + dlt.ones(3, { dtype = "float64" })).dtype, "float64", "promotion")
  T.eq(shape(dlt.zeros(3, 1) + dlt.zeros(4)), "3,4", "broadcast")
  T.eq(a == a, true, "== is identity")
  T.eq(dlt.tensor(1) == dlt.tensor(1), false, "== does not compare values")
  T.eq(a:gt(1).dtype, "bool", "comparisons give bool, as in torch")
  T.close(a:ge(2), { false, true, true }, 0, 0, "ge")
end)

T.test("in-place ops return the same tensor and bump values", function()
  local t = dlt.ones(3)
  T.eq(rawequal(t:add_(1), t), true, "add_ returns self")
  T.close(t, { 2, 2, 2 }, 0, 0, "add_")
  t:mul_(dlt.tensor({ 1, 2, 3 }))
  T.close(t, { 2, 4, 6 }, 0, 0, "mul_ tensor")
  t:sub_(1):div_(2)
  T.close(t, { 0.5, 1.5, 2.5 }, 0, 0, "sub_ and div_")
  t:add_(dlt.ones(3), 2)
  T.close(t, { 2.5, 3.5, 4.5 }, 0, 0, "add_ with alpha")
  t:copy_(dlt.tensor({ 7 }))
  T.close(t, { 7, 7, 7 }, 0, 0, "copy_ broadcasts")
  t:fill_(3)
  T.close(t, { 3, 3, 3 }, 0, 0, "fill_")
  t:zero_()
  T.close(t, { 0, 0, 0 }, 0, 0, "zero_")
  t:copy_(dlt.tensor({ -2, 0.5, 2 })):clamp_(-1, 1)
  T.close(t, { -1, 0.5, 1 }, 0, 0, "clamp_")
end)

T.test("function forms mirror methods (dlt.exp(t) == t:exp())", function()
  local t = dlt.tensor({ 0, 1 })
  T.close(dlt.exp(t), t:exp(), 0, 0, "exp")
  T.close(dlt.sum(t), t:sum(), 0, 0, "sum")
  T.close(dlt.sigmoid(t), t:sigmoid(), 0, 0, "sigmoid")
end)

-- reductions ---------------------------------------------------------------

T.test("max/min with a dim give values and 1-based indices; without, a 0-D tensor", function()
  local t = dlt.tensor({ { 1, 5, 3 }, { 7, 2, 9 } })
  local v, i = t:max(2)
  T.close(v, { 5, 9 }, 0, 0, "max values")
  T.close(i, { 2, 3 }, 0, 0, "max indices 1-based")
  local mv, mi = t:min(1, true)
  T.eq(shape(mv), "1,3", "keepdim")
  T.close(mi, { { 1, 2, 1 } }, 0, 0, "min indices")
  T.eq(t:max():dim(), 0, "max() is 0-D")
  T.eq(t:max():item(), 9, "max() value")
  T.close(t:argmax(2), { 2, 3 }, 0, 0, "argmax 1-based")
  T.eq(t:argmax():item(), 6, "argmax over all, 1-based flat position")
  T.close(t:max(dlt.tensor({ 4, 4, 4 })), { { 4, 5, 4 }, { 7, 4, 9 } }, 0, 0, "max(tensor) is maximum")
end)

T.test("sum/mean with (dim, keepdim) and var/std with {unbiased=false}", function()
  local t = dlt.tensor({ { 1, 2 }, { 3, 4 } }, { dtype = "float64" })
  T.eq(t:sum():item(), 10, "sum()")
  T.close(t:sum(1), { 4, 6 }, 0, 0, "sum(1)")
  T.eq(shape(t:sum(2, true)), "2,1", "keepdim")
  T.close(t:mean(-1), { 1.5, 3.5 }, 0, 0, "mean(-1)")
  T.close(t:var():item(), 5 / 3, 1e-15, 0, "var unbiased")
  T.close(t:var({ unbiased = false }):item(), 1.25, 1e-15, 0, "var biased")
  T.close(t:std(1, false, { unbiased = false }), { 1, 1 }, 1e-15, 0, "std biased by dim")
  T.close(t:var(2, { unbiased = false }), { 0.25, 0.25 }, 1e-15, 0, "var(dim, opts)")
  T.eq(t:gt(0):all():item(), true, "all (a bool, as in torch)")
  T.eq(t:gt(3):any():item(), true, "any")
  T.close(t:norm(), math.sqrt(30), 1e-15, 0, "norm")
  T.close(t:prod():item(), 24, 0, 0, "prod")
end)

-- values out ---------------------------------------------------------------

T.test("item, totable, float/double/to", function()
  T.eq(dlt.tensor({ { 7 } }):item(), 7, "item of one element")
  T.close(dlt.tensor({ { 1, 2 } }):totable(), { { 1, 2 } }, 0, 0, "totable nested")
  T.eq(dlt.tensor(2):totable(), 2, "totable of 0-D is a number")
  local t = dlt.tensor({ 1.5 })
  T.eq(t:double().dtype, "float64", "double")
  T.eq(t:double():float().dtype, "float32", "float")
  T.eq(t:to("float64").dtype, "float64", "to")
  T.eq(rawequal(t:float(), t), false, "float() gives a new userdata")
  assert(tostring(t):find("tensor%(%[1%.5000%]%)"), "tostring " .. tostring(t))
end)

-- linear algebra -----------------------------------------------------------

T.test("matmul/mm/dot; lstsq, polyfit and polyval", function()
  local a = dlt.tensor({ { 1, 2 }, { 3, 4 } }, { dtype = "float64" })
  T.close(a:matmul(a), { { 7, 10 }, { 15, 22 } }, 0, 0, "matmul")
  T.close(a:mm(dlt.eye(2, { dtype = "float64" })), a, 0, 0, "mm")
  T.eq(dlt.tensor({ 1, 2 }):dot(dlt.tensor({ 3, 4 })):item(), 11, "dot")
  local x = dlt.linalg.lstsq(a, dlt.tensor({ { 5 }, { 11 } }, { dtype = "float64" }))
  T.close(x, { { 1 }, { 2 } }, 1e-12, 1e-12, "lstsq solves a square system")
  local xs = dlt.linspace(-2, 2, 9, { dtype = "float64" })
  local ys = 2 * xs ^ 2 - 3 * xs + 1
  T.close(dlt.polyfit(xs, ys, 2), { 2, -3, 1 }, 1e-10, 1e-10, "polyfit, highest power first")
  T.close(dlt.polyval({ 2, -3, 1 }, dlt.tensor({ 0, 1, 2 }, { dtype = "float64" })), { 1, 0, 3 }, 1e-12, 0, "polyval")
end)

-- utilities ----------------------------------------------------------------

T.test("clock, num_threads, version", function()
  local t0 = dlt.clock()
  local t1 = dlt.clock()
  assert(type(t0) == "number" and t1 >= t0, "clock is monotonic")
  local n = dlt.num_threads()
  assert(math.type(n) == "integer" and n >= 1, "num_threads")
  T.eq(dlt.num_threads(1), 1, "num_threads(1)")
  dlt.num_threads(n)
  assert(type(dlt.version) == "string" and dlt.version:match("^%d+%.%d+"), "version")
end)

-- memory -------------------------------------------------------------------

-- 3000 iterations each making four 1 MB temporaries (12 GB in all); returns the peak
-- of live tensor bytes above what was live before
local function churn()
  collectgarbage()
  local base = dlt.memory_in_use()
  local peak = 0
  local x = dlt.zeros(262144)  -- 1 MB of float32
  for _ = 1, 3000 do
    local a = x + 1
    local b = a * 2
    local c = (b - a) * 0.5
    local d = c:sum()
    peak = math.max(peak, dlt.memory_in_use() - base)
    assert(d)
  end
  return peak
end

T.test("a loop of 1 MB temporaries stays under 16 MB live in dltlua's incremental GC", function()
  local peak = churn()
  assert(peak < 16 * 2 ^ 20, string.format("peak live tensor bytes %.1f MB exceed 16 MB", peak / 2 ^ 20))
end)

T.test("in generational GC (stock lua5.4's mode) live bytes stay under live + 64 MB + one tensor", function()
  collectgarbage("generational")
  local ok, peak = pcall(churn)
  collectgarbage("incremental")
  assert(ok, peak)
  assert(peak < 72 * 2 ^ 20, string.format("peak live tensor bytes %.1f MB exceed 72 MB", peak / 2 ^ 20))
end)

T.run()
