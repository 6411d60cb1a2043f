-- test_tensor_fixtures.lua: tensor results against PyTorch (tests/fixtures/tensor.lua,
-- written by tests/golden/gen_tensor.py): float64 to 1e-12 relative, float32 to 1e-6.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local fix = dofile("tests/fixtures/tensor.lua")

local TOL = { float64 = { 1e-12, 1e-12 }, float32 = { 1e-6, 1e-6 } }

local function inputs(dtype, grads)
  local t = {}
  for k, v in pairs(fix.inputs) do
    t[k] = dlt.tensor(v, { dtype = dtype, requires_grad = grads and grads[k] or false })
  end
  return t
end

local function b(x) return x end

-- each function mirrors the Python case of the same name, with 1-based dims
local CASES = {
  add_bcast = function(t) return t.A + t.B end,
  sub_bcast = function(t) return t.A - t.C end,
  mul_bcast3 = function(t) return t.D * t.B end,
  div_bcast = function(t) return t.A / t.P end,
  add_scalar_left = function(t) return 2.5 + t.A end,
  rsub = function(t) return 1 - t.A end,
  rdiv = function(t) return 1 / t.P end,
  pow_scalar = function(t) return t.P ^ 1.5 end,
  rpow = function(t) return 2 ^ t.A end,
  pow_tensor = function(t) return t.P ^ t.B end,
  neg = function(t) return -t.A end,
  maximum = function(t) return t.A:maximum(t.B) end,
  minimum = function(t) return dlt.minimum(t.A, t.C) end,
  add_alpha = function(t) return t.A:add(t.B, -2) end,
  exp = function(t) return t.A:exp() end,
  log = function(t) return t.P:log() end,
  sqrt = function(t) return t.P:sqrt() end,
  sin = function(t) return t.A:sin() end,
  cos = function(t) return t.A:cos() end,
  tanh = function(t) return t.A:tanh() end,
  sigmoid = function(t) return t.A:sigmoid() end,
  relu = function(t) return t.A:relu() end,
  abs = function(t) return t.A:abs() end,
  sign = function(t) return t.A:sign() end,
  floor = function(t) return (t.A * 3):floor() end,
  ceil = function(t) return (t.A * 3):ceil() end,
  clamp = function(t) return t.A:clamp(-0.5, 0.5) end,
  clamp_lo = function(t) return t.A:clamp(0.1) end,
  leaky_relu = function(t) return t.A:leaky_relu(0.1) end,
  square = function(t) return t.A:square() end,
  reciprocal = function(t) return t.P:reciprocal() end,
  log1p = function(t) return t.P:log1p() end,
  expm1 = function(t) return t.A:expm1() end,
  erf = function(t) return t.A:erf() end,
  gelu = function(t) return t.A:gelu() end,
  silu = function(t) return t.A:silu() end,
  softplus = function(t) return t.A:softplus() end,
  gt_bcast = function(t) return t.A:gt(t.B) end,
  le_scalar = function(t) return t.A:le(0.2) end,
  eq_self = function(t) return t.A:eq(t.A) end,
  sum_all = function(t) return t.A:sum() end,
  sum_d1 = function(t) return t.A:sum(1) end,
  sum_d2_keep = function(t) return t.A:sum(2, true) end,
  sum_3d_d2 = function(t) return t.D:sum(2) end,
  mean_all = function(t) return t.D:mean() end,
  mean_last_keep = function(t) return t.D:mean(-1, true) end,
  prod_d2 = function(t) return t.A:prod(2) end,
  max_all = function(t) return t.A:max() end,
  min_all = function(t) return t.D:min() end,
  max_d2 = function(t) return { t.A:max(2) } end,
  min_d1_keep = function(t) return { t.A:min(1, true) } end,
  max_3d_d3 = function(t) return { t.D:max(3) } end,
  argmax_d2 = function(t) return t.A:argmax(2) end,
  argmin_d1 = function(t) return t.A:argmin(1) end,
  argmax_all = function(t) return t.D:argmax() end,
  var_all = function(t) return t.A:var() end,
  var_d1 = function(t) return t.A:var(1) end,
  var_d2_biased = function(t) return t.A:var(2, false, { unbiased = false }) end,
  var_3d_keep = function(t) return t.D:var(2, true) end,
  std_all = function(t) return t.D:std() end,
  std_d2 = function(t) return t.A:std(2) end,
  std_all_biased = function(t) return t.A:std({ unbiased = false }) end,
  norm_all = function(t) return t.A:norm() end,
  norm_p1_d2 = function(t) return t.A:norm(1, 2) end,
  norm_p3_d1_keep = function(t) return t.A:norm(3, 1, true) end,
  all_d2 = function(t) return t.A:gt(-1):all(2) end,
  any_all = function(t) return t.A:gt(1):any() end,
  softmax_d2 = function(t) return t.A:softmax(2) end,
  softmax_d1 = function(t) return t.A:softmax(1) end,
  log_softmax_d2 = function(t) return t.A:log_softmax(2) end,
  softmax_3d = function(t) return t.D:softmax(-1) end,
  matmul_2d = function(t) return t.A:matmul(t.M) end,
  matmul_batched = function(t) return dlt.matmul(t.D, t.M) end,
  matmul_mv = function(t) return t.A:matmul(t.V) end,
  matmul_vm = function(t) return t.B:matmul(t.M) end,
  mm_t = function(t) return t.A:t():mm(t.A) end,
  dot = function(t) return t.V:dot(t.B) end,
  cat_d1 = function(t) return dlt.cat({ t.A, t.P }, 1) end,
  cat_d2 = function(t) return dlt.cat({ t.A, t.C }, 2) end,
  stack_d2 = function(t) return dlt.stack({ t.A, t.P }, 2) end,
  narrow = function(t) return t.A:narrow(2, 2, 2) end,
  index_select = function(t) return t.A:index_select(2, { 3, 1, 3 }) end,
  transpose = function(t) return t.D:transpose(1, 3):contiguous() end,
  permute = function(t) return t.D:permute(3, 1, 2):contiguous() end,
  where = function(t) return dlt.where(t.A:gt(0), t.A, t.B) end,
  masked_fill = function(t) return t.A:masked_fill(t.A:lt(0), -1) end,
  masked_select = function(t) return t.A:masked_select(t.A:gt(0)) end,
  row_view = function(t) return t.A[2] end,
  select_d2 = function(t) return t.D:select(2, 3) end,
  expand = function(t) return t.C:expand(3, 4):contiguous() end,
  meshgrid_x = function(t) return b(dlt.meshgrid(t.B, t.V:narrow(1, 1, 3))) end,
  meshgrid_y = function(t) return select(2, dlt.meshgrid(t.B, t.V:narrow(1, 1, 3))) end,
  linspace = function(t) return dlt.linspace(-1, 2, 7, { dtype = t.A.dtype }) end,
  logspace = function(t) return dlt.logspace(0, 2, 5, { dtype = t.A.dtype }) end,
  logspace_base2 = function(t) return dlt.logspace(0, 3, 4, 2, { dtype = t.A.dtype }) end,
  arange_step = function(t) return dlt.arange(0, 1, 0.1, { dtype = t.A.dtype }) end,
  arange_n = function(t) return dlt.arange(5, { dtype = t.A.dtype }) end,
  eye_rect = function(t) return dlt.eye(3, 4, { dtype = t.A.dtype }) end,
}

-- want.dtype is torch's: the inputs' dtype, int64 for indices, bool for comparisons
local function check(got, want, dtype, what)
  T.eq(dlt.is_tensor(got), true, what .. " is a tensor")
  T.eq(got.dtype, want.dtype == dtype and dtype or want.dtype, what .. " dtype")
  T.eq(table.concat(got.shape, ","), table.concat(want.shape, ","), what .. " shape")
  local tol = TOL[dtype]
  if got.dtype == "bool" then got = got:long() end  -- totable gives booleans; the fixture 0/1
  T.close(got:flatten():totable(), want.values, tol[1], tol[2], what)
end

for _, dtype in ipairs({ "float64", "float32" }) do
  local names = {}
  for name in pairs(fix.cases[dtype]) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    T.test(dtype .. " " .. name .. " equals torch", function()
      local f = assert(CASES[name], "no Lua case for fixture " .. name)
      local got = f(inputs(dtype))
      local want = fix.cases[dtype][name]
      if #want == 2 then
        check(got[1], want[1], dtype, name .. " values")
        check(got[2], want[2], dtype, name .. " indices")
      else
        check(got, want[1], dtype, name)
      end
    end)
  end
end

T.test("every Lua case has a fixture", function()
  for name in pairs(CASES) do
    assert(fix.cases.float64[name], "fixture missing for " .. name)
  end
end)

-- gradients of composite expressions, float64
local GRADS = {
  mlp = function(t)
    local h = (t.X:matmul(t.W) + t.B:narrow(1, 1, 2)):tanh()
    return (h:sigmoid() ^ 2):mean() + 0.1 * t.W:abs():sum()
  end,
  softmax_ce = function(t)
    return -(t.X:log_softmax(2) * t.T):sum(2):mean()
  end,
  bcast_stats = function(t)
    local z = (t.A - t.A:mean(2, true)) / t.A:std(2, true)
    return (z * t.B):norm() + t.C:exp():sum() * t.P:var()
  end,
  index_ops = function(t)
    local m = t.D:max(3)
    local s = dlt.cat({ t.A:narrow(2, 1, 2), t.A:index_select(2, { 4, 4 }) }, 1)
    return m:sum() + (s * s):sum() + t.A[2]:dot(t.B) + t.A:clamp(-0.3, 0.3):sum()
  end,
  matmul_div = function(t)
    local r = t.D:matmul(t.M):relu()
    return (r / (1 + r:sum(-1, true))):sqrt():sum() + (t.P:log() * t.A):sum()
  end,
}

for name, want in pairs(fix.grads) do
  T.test("gradients of " .. name .. " equal torch", function()
    local req = {}
    for k in pairs(want) do if k ~= "loss" then req[k] = true end end
    local t = inputs("float64", req)
    local loss = assert(GRADS[name], "no Lua expression for " .. name)(t)
    T.close(loss:item(), want.loss, 1e-12, 1e-12, name .. " loss")
    loss:backward()
    for k in pairs(req) do
      assert(t[k].grad, name .. ": no gradient reached " .. k)
      T.eq(table.concat(t[k].grad.shape, ","), table.concat(want[k].shape, ","), name .. " grad shape " .. k)
      T.close(t[k].grad:flatten():totable(), want[k].values, 1e-10, 1e-12, name .. " grad " .. k)
    end
  end)
end

for name, want in pairs(fix.strings) do
  T.test("tostring " .. name .. " equals torch's printout", function()
    local src = {
      ints_1d = function() return dlt.tensor({ 1, 2, 3 }) end,
      floats_2d = function() return dlt.tensor({ { 1.5, -2.25 }, { 3, 4.125 } }) end,
      scalar = function() return dlt.tensor(3.5) end,
      float64 = function() return dlt.tensor({ 0.1, 0.2 }, { dtype = "float64" }) end,
      small_sci = function() return dlt.tensor({ 1e-5, 2.5e-3, 1 }) end,
      large_sci = function() return dlt.tensor({ 1e6, 2, 3 }) end,
      summarized = function() return dlt.arange(2000) end,
      empty = function() return dlt.zeros(0) end,
      three_d = function() return dlt.arange(8):reshape(2, 2, 2) end,
      negative = function() return dlt.tensor({ { -1, 0.5 }, { 2, -3 } }) end,
      requires_grad = function() return dlt.tensor({ 1, 2 }, { requires_grad = true }) end,
      long_1d = function() return dlt.tensor({ 1, -20, 300 }, { dtype = dlt.int64 }) end,
      long_2d = function() return dlt.tensor({ { 7, 0 }, { -3, 12345 } }, { dtype = dlt.int64 }) end,
      long_scalar = function() return dlt.tensor(7, { dtype = dlt.int64 }) end,
      long_empty = function() return dlt.zeros(0, { dtype = dlt.int64 }) end,
      long_summarized = function() return dlt.arange(2000, { dtype = dlt.int64 }) - 1 + 1 end,
      bool_1d = function() return dlt.tensor({ true, false, true }) end,
      bool_all_true = function() return dlt.ones(2, 2, { dtype = dlt.bool }) end,
      bool_scalar = function() return dlt.tensor(0, { dtype = dlt.bool }) end,
      bool_empty = function() return dlt.zeros(0, { dtype = dlt.bool }) end,
      argmax = function() return dlt.tensor({ { 1, 5 }, { 7, 2 } }):argmax(2) end,
    }
    T.eq(tostring(assert(src[name], "no Lua tensor for " .. name)()), want, "tostring " .. name)
  end)
end

T.run()
