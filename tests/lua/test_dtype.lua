-- test_dtype.lua: int64 and bool tensors against PyTorch (tests/fixtures/dtype.lua, from
-- tests/golden/gen_dtype.py): result dtypes of every promotion, values exactly (float
-- results to 1e-6 relative, as float32), conversions, printing and saving, and the
-- errors that name both dtypes where they do not mix.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, F = dlt.nn, dlt.nn.functional
local fix = dofile("tests/fixtures/dtype.lua")

local function inputs()
  local t = {}
  for k, v in pairs(fix.inputs) do t[k] = dlt.tensor(v.values, { dtype = v.dtype }) end
  return t
end

-- each function mirrors the Python case of the same name (1-based dims, classes, indices)
local CASES = {
  int_add_int = function(t) return t.I + t.J end,
  int_add_float32 = function(t) return t.I + t.F end,
  int_add_float64 = function(t) return t.I + t.D end,
  bool_add_int = function(t) return t.M + t.I end,
  bool_add_bool = function(t) return t.M + t.N end,
  bool_mul_bool = function(t) return t.M * t.N end,
  bool_mul_float = function(t) return t.M * t.F end,
  int_div_int = function(t) return t.I / t.J end,
  int_mul_integer = function(t) return t.I * 2 end,
  int_mul_float_number = function(t) return t.I * 2.5 end,
  int_mul_whole_float_number = function(t) return t.I * 2.0 end,
  integer_sub_int = function(t) return 10 - t.J end,
  bool_add_integer = function(t) return t.M + 1 end,
  int_pow_integer = function(t) return t.J ^ 2 end,
  int_neg = function(t) return -t.I end,
  int_abs = function(t) return t.I:abs() end,
  int_exp = function(t) return t.I:exp() end,
  int_sqrt = function(t) return t.J:abs():sqrt() end,
  int_maximum_float = function(t) return t.I:maximum(t.F) end,
  int_gt_float = function(t) return t.I:gt(t.F) end,
  int_eq_integer = function(t) return t.I:eq(2) end,
  int_lt_fraction = function(t) return t.I:lt(2.5) end,
  bool_eq_bool = function(t) return t.M:eq(t.N) end,
  bool_and = function(t) return t.M & t.N end,
  bool_or = function(t) return t.M | t.N end,
  bool_xor = function(t) return t.M ~ t.N end,
  bool_not = function(t) return ~t.M end,
  float_isnan = function(t) return (t.F / 0 * 0):isnan() end,
  int_sum = function(t) return t.I:sum() end,
  int_sum_d1 = function(t) return t.I:sum(1) end,
  bool_sum = function(t) return t.M:sum() end,
  bool_sum_d2 = function(t) return t.M:sum(2) end,
  int_prod_d2 = function(t) return t.I:prod(2) end,
  int_max_d2 = function(t) return { t.I:max(2) } end,
  int_min_all = function(t) return t.I:min() end,
  bool_max = function(t) return t.M:max() end,
  int_argmax_d2 = function(t) return t.I:argmax(2) end,
  float_argmin_all = function(t) return t.F:argmin() end,
  float_max_d1 = function(t) return { t.F:max(1) } end,
  int_all = function(t) return t.I:all() end,
  bool_any_d2 = function(t) return t.M:any(2) end,
  float_to_long = function(t) return (t.F * 3):long() end,
  float_to_bool = function(t) return t.F:round():bool() end,
  int_to_float = function(t) return t.I:float() end,
  bool_to_double = function(t) return t.M:double() end,
  int_to_bool = function(t) return t.I:to(dlt.bool) end,
  where_bool_int_float = function(t) return dlt.where(t.M, t.I, t.F) end,
  int_masked_fill = function(t) return t.I:masked_fill(t.M, -7) end,
  int_clamp = function(t) return t.I:clamp(-1, 2) end,
  bool_nonzero = function(t) return t.M:nonzero() end,
  int_index_select = function(t) return t.F:index_select(2, t.Y) end,
  cross_entropy_int64_targets = function(t) return F.cross_entropy(t.L, t.Y) end,
  nll_loss_int64_targets = function(t) return F.nll_loss(t.L:log_softmax(2), t.Y, { reduction = "sum" }) end,
  cat_int_float = function(t) return dlt.cat({ t.I, t.F }, 1) end,
  int_arange = function() return dlt.arange(2, 11, 3, { dtype = dlt.int64 }) end,
  int_cumulative_mean_of_mask = function(t) return t.M:float():mean() end,
}

local function check(got, want, what)
  T.eq(dlt.is_tensor(got), true, what .. " is a tensor")
  T.eq(got.dtype, want.dtype, what .. " dtype")
  T.eq(table.concat(got.shape, ","), table.concat(want.shape, ","), what .. " shape")
  if got.dtype == "bool" then got = got:long() end
  local float = got.dtype == "float32" or got.dtype == "float64"
  T.close(got:flatten():totable(), want.values, float and 1e-6 or 0, 0, what)
end

local names = {}
for name in pairs(fix.cases) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  T.test(name .. " equals torch (dtype and values)", function()
    local got = assert(CASES[name], "no Lua case for fixture " .. name)(inputs())
    local want = fix.cases[name]
    if #want == 2 then
      check(got[1], want[1], name .. " values")
      check(got[2], want[2], name .. " indices")
    else
      check(got, want[1], name)
    end
  end)
end

T.test("every Lua case has a fixture", function()
  for name in pairs(CASES) do assert(fix.cases[name], "fixture missing for " .. name) end
end)

T.test("dtype constants name the dtypes t.dtype gives", function()
  T.eq(dlt.float32, "float32", "float32")
  T.eq(dlt.float64, "float64", "float64")
  T.eq(dlt.int64, "int64", "int64")
  T.eq(dlt.bool, "bool", "bool")
  T.eq(dlt.long, "int64", "torch.long")
  T.eq(dlt.double, "float64", "torch.double")
  T.eq(dlt.zeros(2, { dtype = dlt.int64 }).dtype, dlt.int64, "zeros int64")
  T.eq(dlt.ones(2):long().dtype, dlt.int64, ":long()")
  T.eq(dlt.ones(2):bool().dtype, dlt.bool, ":bool()")
  T.eq(dlt.ones(2):to(dlt.float64).dtype, dlt.float64, ":to")
  T.eq(dlt.ones(2):long():type(), "dlt.LongTensor", "type()")
  T.raises(function() dlt.zeros(2, { dtype = "int32" }) end, "unknown dtype 'int32' (expected \"float32\", \"float64\", \"int64\" or \"bool\")")
end)

T.test("values come back as Lua integers and booleans", function()
  local i = dlt.tensor({ 3, -4 }, { dtype = dlt.int64 })
  T.eq(math.type(i[1]), "integer", "t[i] of int64")
  T.eq(i:sum():item(), -1, "item of int64")
  T.eq(math.type(i:sum():item()), "integer", "item is an integer")
  local m = i:gt(0)
  T.eq(m[1], true, "t[i] of bool")
  T.eq(m[2], false, "false")
  T.eq(m:any():item(), true, "item of bool")
  local tt = m:totable()
  T.eq(tt[1], true, "totable of bool")
  -- exact beyond 2^53, where doubles are not
  local big = dlt.tensor({ 1 }, { dtype = dlt.int64 }) * 4611686018427387904 + 1
  T.eq(big:sum():item(), 4611686018427387905, "int64 arithmetic and sum are exact")
  T.eq((big - 4611686018427387904)[1], 1, "no rounding through doubles")
end)

T.test("assignment converts into the tensor's dtype", function()
  local i = dlt.zeros(3, { dtype = dlt.int64 })
  i[1] = 7
  i[2] = -2.9  -- truncated toward zero, as a torch int64 tensor stores it
  T.close(i, { 7, -2, 0 }, 0, 0, "int64 assignment")
  local m = dlt.zeros(2, { dtype = dlt.bool })
  m[2] = true
  T.close(m, { false, true }, 0, 0, "bool assignment")
  i:add_(1)
  T.close(i, { 8, -1, 1 }, 0, 0, "add_ of an integer")
  m:fill_(1)
  T.eq(m:all():item(), true, "fill_ of bool")
end)

T.test("errors name both dtypes where they do not mix", function()
  local i, f = dlt.ones(3, { dtype = dlt.int64 }), dlt.ones(3)
  T.raises(function() i:add_(f) end, "add_: the result would be float32, which cannot be written into a int64 tensor")
  T.raises(function() i:mul_(0.5) end, "mul_: the result would be float32, which cannot be written into a int64 tensor")
  T.raises(function() i:mean() end, "mean: expected a floating-point tensor, got int64")
  T.raises(function() i:std() end, "var: expected a floating-point tensor, got int64")
  T.raises(function() i:matmul(f) end, "matmul: expected floating-point tensors, got int64 and float32")
  T.raises(function() i:softmax(1) end, "softmax: expected a floating-point tensor, got int64")
  T.raises(function() i:requires_grad_() end, "requires_grad_: only floating-point tensors can require gradients, got int64")
  T.raises(function() dlt.tensor({ 1 }, { dtype = dlt.int64, requires_grad = true }) end,
    "only floating-point tensors can require gradients, got int64")
  T.raises(function() return i:bool() - i:bool() end, "sub: subtracting two bool tensors is not supported")
  T.raises(function() return -i:bool() end, "neg: negation of a bool tensor is not supported")
  T.raises(function() i:uniform_() end, "uniform_: expected a floating-point tensor, got int64")
  T.raises(function() nn.Linear(3, 2)(dlt.ones(1, 3, { dtype = dlt.int64 })) end,
    "Linear: expected a floating-point input, got int64")
  T.raises(function() F.relu(i) end, "expected a floating-point tensor, got int64")
  T.raises(function() f:index_select(1, i:bool()) end, "a bool tensor is a mask, not indices")
  T.raises(function() return f & i:bool() end, "logical_and: expected bool tensors (masks), got float32 and bool")
end)

T.test("int64 and bool tensors save and load in safetensors and npy", function()
  local tmp = os.tmpname()  -- a fresh name; our files get suffixes of it
  local i = dlt.tensor({ { 1, -2 }, { 3, 0 } }, { dtype = dlt.int64 })
  local big = dlt.tensor({ 1 }, { dtype = dlt.int64 }) * 4611686018427387904 + 1
  local m = dlt.tensor({ true, false, true })
  local path = tmp .. ".safetensors"
  dlt.save(path, { i = i, m = m, big = big })
  local back = dlt.load(path)
  T.eq(back.i.dtype, "int64", "int64 kept")
  T.eq(back.m.dtype, "bool", "bool kept")
  T.close(back.i, i, 0, 0, "int64 values")
  T.eq(back.big[1], 4611686018427387905, "int64 exact")
  T.close(back.m, { true, false, true }, 0, 0, "bool values")
  os.remove(path)
  for name, t in pairs({ i = i, m = m }) do
    local p = tmp .. "_" .. name .. ".npy"
    dlt.save_npy(p, t)
    local r = dlt.load_npy(p)
    T.eq(r.dtype, t.dtype, name .. " npy dtype")
    T.eq(tostring(r), tostring(t), name .. " npy values")
    os.remove(p)
  end
  os.remove(tmp)
end)

T.test("integer targets: class losses take int64 labels 1..C", function()
  local x = dlt.tensor({ { 1, 2, 0.5 }, { 0.1, -1, 3 } }, { requires_grad = true })
  local yf, yl = dlt.tensor({ 3, 1 }), dlt.tensor({ 3, 1 }, { dtype = dlt.int64 })
  T.close(F.cross_entropy(x, yl), F.cross_entropy(x, yf), 0, 0, "same loss as float labels")
  nn.CrossEntropyLoss()(x, yl):backward()
  assert(x.grad, "gradient through the int64-labelled loss")
  T.close((x:argmax(2) + 0):eq(dlt.tensor({ 2, 3 }, { dtype = dlt.int64 })), { true, true }, 0, 0, "argmax is int64")
end)

T.run()
