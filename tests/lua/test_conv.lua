-- test_conv.lua: the convolutional layers' API: Jacobians against central differences
-- (dlt.autograd.gradcheck, float64), PyTorch's printouts, state_dict keys, default
-- initialization bounds, dtype conversion, train/eval, use inside nn.Sequential, the
-- shape errors, and results that do not depend on the thread count.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, F = dlt.nn, dlt.nn.functional

local function d(...) return dlt.randn(...):double():requires_grad_() end

local function gradcheck(fn, inputs, what)
  T.eq(dlt.autograd.gradcheck(fn, inputs), true, what)
end

T.test("conv2d's Jacobian in x, weight and bias matches central differences", function()
  dlt.manual_seed(1)
  gradcheck(function(x, w, b) return F.conv2d(x, w, b, { stride = { 2, 1 }, padding = 1, dilation = { 1, 2 }, groups = 2 }) end,
    { d(2, 4, 5, 6), d(4, 2, 3, 2), d(4) }, "conv2d")
  gradcheck(function(x, w) return F.conv2d(x, w, nil, { padding = "same" }) end, { d(1, 2, 5, 4), d(3, 2, 2, 3) }, "same")
end)

T.test("conv1d's and conv_transpose2d's Jacobians match central differences", function()
  dlt.manual_seed(2)
  gradcheck(function(x, w, b) return F.conv1d(x, w, b, { stride = 2, padding = 1, dilation = 2 }) end,
    { d(2, 3, 9), d(2, 3, 3), d(2) }, "conv1d")
  gradcheck(function(x, w, b) return F.conv_transpose2d(x, w, b, { stride = 2, padding = 1, output_padding = 1, groups = 2 }) end,
    { d(2, 4, 3, 3), d(4, 1, 3, 3), d(2) }, "conv_transpose2d")
end)

T.test("pooling's Jacobians match central differences", function()
  dlt.manual_seed(3)
  gradcheck(function(x) return F.max_pool2d(x, 3, { stride = 2, padding = 1, ceil_mode = true }) end, { d(2, 2, 7, 6) }, "max")
  gradcheck(function(x) return F.avg_pool2d(x, 3, { stride = 2, padding = 1, count_include_pad = false }) end,
    { d(2, 2, 7, 6) }, "avg")
  gradcheck(function(x) return F.adaptive_avg_pool2d(x, { 3, 4 }) end, { d(2, 2, 7, 6) }, "adaptive")
  gradcheck(function(x) return F.max_pool1d(x, 2) end, { d(2, 3, 8) }, "max1d")
end)

T.test("BatchNorm2d's Jacobian in training mode matches central differences", function()
  dlt.manual_seed(4)
  local m = nn.BatchNorm2d(3):double()
  gradcheck(function(x) return m(x) end, { d(4, 3, 2, 3) }, "BatchNorm2d")
end)

T.test("the shared CNN prints as PyTorch prints it (1-based child numbers)", function()
  local m = nn.Sequential(nn.Conv2d(1, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Dropout2d(0.1), nn.Flatten(), nn.Unflatten(2, { 32, 196 }), nn.AdaptiveAvgPool2d({ 4, false }))
  T.eq(tostring(m), table.concat({
    "Sequential(",
    "  (1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
    "  (2): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
    "  (3): ReLU()",
    "  (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
    "  (5): Dropout2d(p=0.1, inplace=False)",
    "  (6): Flatten(start_dim=2, end_dim=-1)",
    "  (7): Unflatten(dim=2, unflattened_size=(32, 196))",
    "  (8): AdaptiveAvgPool2d(output_size=(4, None))",
    ")" }, "\n"), "printout")
  T.eq(tostring(nn.Conv1d(4, 6, 5, { padding = "same", dilation = 2, groups = 2, bias = false })),
    "Conv1d(4, 6, kernel_size=(5,), stride=(1,), padding=same, dilation=(2,), groups=2, bias=False)", "Conv1d")
end)

T.test("Conv2d with padding='same' and a stride is refused as PyTorch refuses it", function()
  T.raises(function() nn.Conv1d(4, 6, 5, { stride = 2, padding = "same" }) end,
    "Conv1d: padding='same' is not supported for strided convolutions")
end)

T.test("printouts of the other layers", function()
  T.eq(tostring(nn.ConvTranspose2d(4, 6, { 3, 2 }, { stride = 2, output_padding = 1, groups = 2 })),
    "ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), output_padding=(1, 1), groups=2)", "ConvTranspose2d")
  T.eq(tostring(nn.AvgPool2d(3, { stride = 2, padding = 1 })), "AvgPool2d(kernel_size=3, stride=2, padding=1)", "AvgPool2d")
  T.eq(tostring(nn.MaxPool1d(3, { stride = 2 })), "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)",
    "MaxPool1d")
  T.eq(tostring(nn.AdaptiveAvgPool2d(1)), "AdaptiveAvgPool2d(output_size=1)", "AdaptiveAvgPool2d")
end)

T.test("state_dict keys, parameter order and shapes follow PyTorch", function()
  local m = nn.Sequential(nn.Conv2d(3, 8, { 3, 5 }, { groups = 1 }), nn.BatchNorm2d(8), nn.ConvTranspose2d(8, 4, 2, { groups = 2 }))
  local sd = m:state_dict()
  local keys = {}
  for k in pairs(sd) do keys[#keys + 1] = k end
  table.sort(keys)
  T.eq(table.concat(keys, " "), "1.bias 1.weight 2.bias 2.num_batches_tracked 2.running_mean 2.running_var 2.weight "
    .. "3.bias 3.weight", "keys")
  T.eq(table.concat(sd["1.weight"].shape, ","), "8,3,3,5", "conv weight (out, in/groups, kh, kw)")
  T.eq(table.concat(sd["3.weight"].shape, ","), "8,2,2,2", "transposed weight (in, out/groups, kh, kw)")
  T.eq(#m:parameters(), 6, "parameters")
  T.eq(m[1].in_channels .. " " .. m[1].out_channels .. " " .. table.concat(m[1].kernel_size, "x"), "3 8 3x5", "fields")
end)

T.test("default init: weight and bias within +-1/sqrt(fan_in) and spread over it", function()
  dlt.manual_seed(5)
  local m = nn.Conv2d(16, 64, 3)
  local bound = 1 / math.sqrt(16 * 9)
  local w = m.weight
  T.eq(w:abs():max():item() <= bound, true, "weight within the bound")
  T.eq(w:abs():max():item() > 0.95 * bound, true, "weight reaches near the bound")
  T.close(w:std():item(), bound / math.sqrt(3), 0.05, 0, "uniform's std")
  T.eq(m.bias:abs():max():item() <= bound, true, "bias within the bound")
  -- nn.init's fans for a conv weight: fan_in = in/groups * kh * kw
  local t = dlt.empty(64, 16, 3, 3)
  nn.init.kaiming_uniform_(t, { mode = "fan_out", nonlinearity = "relu" })
  T.eq(t:abs():max():item() <= math.sqrt(6 / (64 * 9)), true, "kaiming fan_out bound")
end)

T.test("to/double/float convert a conv network in place, and it keeps training", function()
  local m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
  local w = m[1].weight
  m:double()
  T.eq(m[1].weight.dtype, "float64", "double")
  T.eq(rawequal(m[1].weight, w), true, "the same parameter object")
  local y = m(dlt.randn(3, 1, 4, 4):double())
  y:sum():backward()
  T.eq(m[1].weight.grad.dtype, "float64", "gradient dtype")
  m:float()
  T.eq(m[1].bias.dtype, "float32", "float")
end)

T.test("train/eval switch BatchNorm2d's statistics and Dropout2d", function()
  dlt.manual_seed(6)
  local m = nn.Sequential(nn.BatchNorm2d(2), nn.Dropout2d(0.5))
  local x = dlt.randn(4, 2, 3, 3) * 2 + 1
  m(x)
  T.eq(m[1].num_batches_tracked:item(), 1, "one batch tracked")
  m:eval()
  T.eq(m[2].training, false, "eval reaches the Lua module")
  local rm, rv = m[1].running_mean, m[1].running_var
  local want = (x - rm:view(1, 2, 1, 1)) / (rv:view(1, 2, 1, 1) + 1e-5):sqrt()
  T.close(m(x), want:totable(), 1e-5, 1e-6, "eval uses the running stats, Dropout2d passes")
end)

T.test("Dropout2d zeroes whole channels and scales the rest by 1/(1-p)", function()
  dlt.manual_seed(7)
  local x = dlt.ones(64, 8, 3, 3)
  local y = F.dropout2d(x, 0.25)
  local zeros, kept = 0, 0
  for n = 1, 64 do
    for c = 1, 8 do
      local ch = y[n][c]
      local mn, mx = ch:min():item(), ch:max():item()
      T.eq(mn, mx, "a channel is all one value")
      if mx == 0 then zeros = zeros + 1 else kept = kept + 1; T.close(mx, 1 / 0.75, 1e-6, 0, "survivor scale") end
    end
  end
  T.eq(zeros > 80 and zeros < 180, true, "about a quarter of 512 channels dropped (got " .. zeros .. ")")
  T.eq(rawequal(F.dropout2d(x, 0.3, false), x), true, "identity when not training")
end)

T.test("shape errors name the layer, the expected and the given shape", function()
  T.raises(function() nn.Conv2d(1, 4, 3)(dlt.randn(2, 3, 8, 8)) end,
    "Conv2d: expected input with 1 channel, got 3 (input shape {2,3,8,8}")
  T.raises(function() nn.Conv2d(2, 4, 3)(dlt.randn(8, 8)) end,
    "Conv2d: expected 3-D (unbatched) or 4-D (batched) input, got 2-D input of shape {8,8}")
  T.raises(function() nn.Conv2d(2, 4, 5)(dlt.randn(1, 2, 3, 3)) end, "Conv2d: input of size 3 (padded: 3) is smaller than the kernel's reach 5")
  T.raises(function() nn.Conv1d(2, 4, 3)(dlt.randn(1, 3, 8)) end, "Conv1d: expected input with 2 channels, got 3")
  T.raises(function() nn.ConvTranspose2d(4, 2, 3)(dlt.randn(1, 3, 5, 5)) end, "ConvTranspose2d: expected input with 4 channels, got 3")
  T.raises(function() nn.BatchNorm2d(3)(dlt.randn(2, 4, 5, 5)) end, "BatchNorm2d: expected input with 3 channels, got 4")
  T.raises(function() nn.BatchNorm2d(3)(dlt.randn(2, 3, 5)) end, "BatchNorm2d: expected 4-D input, got 3-D input of shape {2,3,5}")
  T.raises(function() nn.MaxPool2d(2)(dlt.randn(5)) end, "MaxPool2d: expected 3-D (unbatched) or 4-D (batched) input")
  T.raises(function() nn.MaxPool2d(5)(dlt.randn(1, 1, 3, 3)) end, "MaxPool2d: input of shape {1,1,3,3} is too small")
  T.raises(function() F.max_pool2d(dlt.randn(1, 1, 6, 6), 2, { padding = 2 }) end, "max_pool2d: pad should be at most half")
  T.raises(function() F.conv2d(dlt.randn(1, 2, 5, 5), dlt.randn(3, 2, 3, 3), dlt.randn(4)) end, "conv2d: bias has shape {4}, expected {3}")
  T.raises(function() F.conv2d(dlt.randn(1, 2, 5, 5), dlt.randn(3, 2, 3, 3), nil, { strides = 2 }) end, "conv2d: unknown option 'strides'")
  T.raises(function() nn.Conv2d(3, 4, 3, { bais = false }) end, "Conv2d: unknown option 'bais'")
  T.raises(function() nn.Conv2d(3, 4, 3, dlt.ones(2)) end, "Conv2d: expected an options table, got tensor")
  T.raises(function() nn.Unflatten(2, { 3, 5 })(dlt.randn(2, 12)) end, "Unflatten: cannot split dim 2 of size 12 into (3, 5)")
  T.raises(function() F.conv_transpose2d(dlt.randn(1, 2, 3, 3), dlt.randn(2, 1, 3, 3), nil, { stride = 2, output_padding = 2 }) end,
    "conv_transpose2d: output_padding must be smaller than either stride or dilation")
end)

T.test("conv2d gives the same result on one thread and on two (the batch split)", function()
  dlt.manual_seed(8)
  local x, w, b = dlt.randn(16, 8, 12, 12):double(), dlt.randn(16, 8, 3, 3):double(), dlt.randn(16):double()
  local threads = dlt.num_threads()
  local function run(n)
    dlt.num_threads(n)
    local xx, ww = x:clone():requires_grad_(), w:clone():requires_grad_()
    local y = F.conv2d(xx, ww, b, { padding = 1 })
    y:sum():backward()
    return y, xx.grad, ww.grad
  end
  local y1, dx1, dw1 = run(1)
  local y2, dx2, dw2 = run(2)
  dlt.num_threads(threads)
  T.close(y2, y1:totable(), 0, 0, "output: bit for bit (each sample's product is the same)")
  T.close(dx2, dx1:totable(), 0, 0, "input gradient: bit for bit")
  T.close(dw2, dw1:totable(), 1e-12, 1e-12, "weight gradient: the two halves summed in another order")
end)

T.test("float32 3x3 convolutions with padding 1 (Winograd F(2x2,3x3) and F(4x4,3x3)) equal the float64 direct sum to float32 precision", function()
  -- output, input, weight and bias gradients, relative to the largest value: float32
  -- carries 6e-8; F(2x2)'s few extra roundings stay under 2e-6, F(4x4)'s (from 512
  -- channel pairs on, coefficients up to 8 and 1/24) under 2e-5 (observed: 9e-6)
  local threads = dlt.num_threads()
  local function rel(a, b) return (a:double() - b):abs():max():item() / b:abs():max():item() end
  for _, s in ipairs({ { 3, 32, 64, 14, 14 }, { 2, 17, 20, 5, 9 }, { 1, 16, 16, 1, 1 }, { 5, 24, 16, 8, 3 },
    { 2, 16, 16, 30, 30 }, { 3, 4, 5, 6, 6 }, { 2, 24, 24, 5, 9 }, { 1, 32, 32, 1, 1 }, { 2, 32, 16, 30, 30 },
    { 5, 24, 32, 8, 3 }, { 3, 8, 64, 6, 7 } }) do
    local N, C, OC, H, W = table.unpack(s)
    local tol = C * OC >= 512 and 2e-5 or 2e-6
    dlt.manual_seed(15)
    local x, w = dlt.randn(N, C, H, W):double(), dlt.randn(OC, C, 3, 3):double() * 0.1
    local b, g = dlt.randn(OC):double(), dlt.randn(N, OC, H, W):double()
    local function run(dtype, transposed)
      local function leaf(t) return t:to(dtype):clone():requires_grad_() end
      local xx, ww, bb = leaf(x), leaf(w), leaf(b)
      local y
      if transposed then -- (N,C,H,W) in, OC out: the weight read as (C,OC,3,3) is w's transpose
        ww = leaf(w:transpose(1, 2))
        y = F.conv_transpose2d(xx, ww, bb, { padding = 1 })
      else
        y = F.conv2d(xx, ww, bb, { padding = 1 })
      end
      y:backward(g:to(dtype))
      return { y, xx.grad, ww.grad, bb.grad }
    end
    for _, transposed in ipairs({ false, true }) do
      local want = run("float64", transposed)
      for n = 1, 2 do
        dlt.num_threads(n)
        local got = run("float32", transposed)
        for k = 1, 4 do
          local e = rel(got[k], want[k])
          T.eq(e <= tol, true, string.format("%s %s, %d thread(s), result %d: relative error %.3g",
            transposed and "conv_transpose2d" or "conv2d", table.concat(s, "x"), n, k, e))
        end
      end
      dlt.num_threads(threads)
    end
  end
end)

T.test("an inf or NaN reaches the outputs it touches, as in the direct sum: Winograd's tiles do not spread it", function()
  -- float32 (Winograd F(2x2) for 8 -> 8 channels, F(4x4) for 32 -> 64) against float64
  -- (direct): the same places are inf, -inf and NaN, forward and backward
  local threads = dlt.num_threads()
  local function pattern(t)
    t = t:double()
    return { t:ne(t), t:eq(math.huge), t:eq(-math.huge) }
  end
  for _, s in ipairs({ { 2, 8, 8, 9, 10 }, { 2, 32, 64, 14, 14 } }) do
    local N, C, OC, H, W = table.unpack(s)
    dlt.manual_seed(21)
    local x, w = dlt.randn(N, C, H, W):double(), dlt.randn(OC, C, 3, 3):double()
    local g = dlt.randn(N, OC, H, W):double()
    x[{ 1, 2, 5, 6 }] = math.huge
    x[{ 2, 1, 1, 1 }] = 0 / 0
    g[{ 2, 3, 7, 2 }] = -math.huge
    local function run(dtype)
      local xx, ww = x:to(dtype):clone():requires_grad_(), w:to(dtype):clone():requires_grad_()
      local y = F.conv2d(xx, ww, nil, { padding = 1 })
      y:backward(g:to(dtype))
      return { y, xx.grad, ww.grad }
    end
    local want = run("float64")
    for n = 1, 2 do
      dlt.num_threads(n)
      local got = run("float32")
      for k = 1, 3 do
        local a, b = pattern(got[k]), pattern(want[k])
        for m = 1, 3 do
          T.eq(a[m]:eq(b[m]):all():item(), true, string.format("%s, %d thread(s), result %d, %s", table.concat(s, "x"), n, k,
            ({ "NaN", "inf", "-inf" })[m]))
        end
        T.eq(a[1]:any():item() or a[2]:any():item() or a[3]:any():item(), true, "some are not finite")
      end
    end
    dlt.num_threads(threads)
  end
end)

T.test("a 1x1 convolution works as the first convolution of a process (its patch buffer still empty)", function()
  local code = "local dlt = require 'dlt'; "
    .. "print(dlt.nn.functional.conv2d(dlt.randn(2, 3, 4, 4), dlt.randn(5, 3, 1, 1)).shape)"
  local out, rc = T.shell(T.quote(arg[-1]) .. " -e " .. T.quote(code))
  T.eq(out, "(2, 5, 4, 4)\n", "its output's shape, no error")
  T.eq(rc, 0, "exit status")
end)

T.test("pooling gives the same bits on one thread and on two (the planes split)", function()
  dlt.manual_seed(9)
  local x = dlt.randn(16, 8, 24, 24)
  local threads = dlt.num_threads()
  local function run(n)
    dlt.num_threads(n)
    local xx = x:clone():requires_grad_()
    local a, i = F.max_pool2d(xx, 2, { return_indices = true })
    local b = F.avg_pool2d(xx, 3, { stride = 2, padding = 1 })
    local c = F.adaptive_avg_pool2d(xx, 5)
    ;(a:sum() + b:sum() * 2 + c:sum() * 3):backward()
    return { a, i, b, c, xx.grad }
  end
  local one, two = run(1), run(2)
  dlt.num_threads(threads)
  for k = 1, #one do T.close(two[k], one[k]:totable(), 0, 0, "result " .. k) end
end)

-- BatchNorm2d(6) in dtype, its weight and bias drawn after manual_seed(seed): forward of x
-- (then a ReLU if relu, fused in a Sequential or applied after it) and backward of g; its
-- output, gradients and running statistics
local function bn6_run(dtype, seed, x, g, relu, fused)
  dlt.manual_seed(seed)
  local bn = nn.BatchNorm2d(6):to(dtype)
  dlt.no_grad(function()
    bn.weight:uniform_(0.5, 1.5)
    bn.bias:uniform_(-0.5, 0.5)
  end)
  local xx = x:to(dtype):clone():requires_grad_()
  local y
  if not relu then
    y = bn(xx)
  elseif fused then
    y = nn.Sequential(bn, nn.ReLU())(xx)
  else
    y = nn.ReLU()(bn(xx))
  end
  y:backward(g:to(dtype))
  return { y, xx.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var }
end

T.test("BatchNorm2d with its ReLU fused gives the bits of the two layers apart, on one thread and on two", function()
  local threads = dlt.num_threads()
  for _, dtype in ipairs({ "float32", "float64" }) do
    dlt.manual_seed(11)
    local x = dlt.randn(16, 6, 28, 28, { dtype = dtype })  -- 75264 values: two threads split the channels
    local g = dlt.randn(16, 6, 28, 28, { dtype = dtype })
    local function run(n, fused)
      dlt.num_threads(n)
      return bn6_run(dtype, 12, x, g, true, fused)
    end
    local base = run(1, false)
    for _, case in ipairs({ { 1, true }, { 2, true }, { 2, false } }) do
      local got = run(case[1], case[2])
      for k = 1, #base do
        T.close(got[k], base[k]:totable(), 0, 0, string.format("%s, %d thread(s), fused %s: result %d", dtype, case[1],
          tostring(case[2]), k))
      end
    end
  end
  dlt.num_threads(threads)
end)

T.test("float32 BatchNorm2d (ReLU fused or not) equals float64 to float32 precision, its mean 20 spreads from 0", function()
  -- relative to each result's largest value; the weight gradient's error, the largest
  -- (1.4e-6), comes from the mean's float32 rounding (an ulp of 20 is 1.9e-6 spreads).
  -- Shapes: channels in blocks of 5 and of 8, and one channel a block with rows longer
  -- than a summing chunk.
  local function run(dtype, x, g, relu) return bn6_run(dtype, 5, x, g, relu, true) end
  dlt.manual_seed(15)
  for _, shape in ipairs({ { 16, 6, 28, 28 }, { 3, 6, 5, 7 }, { 2, 6, 180, 180 } }) do
    -- values exact in float32, so both runs see the same input
    local x = (dlt.randn(shape, { dtype = "float64" }) + 20):float():double()
    local g = dlt.randn(shape):double()
    for _, relu in ipairs({ false, true }) do
      local a, b = run("float32", x, g, relu), run("float64", x, g, relu)
      for k = 1, #a do
        local err = (a[k]:double() - b[k]):abs():max():item() / b[k]:abs():max():item()
        T.eq(err < 4e-6, true, string.format("%s relu %s result %d: relative error %.2e", table.concat(shape, "x"),
          tostring(relu), k, err))
      end
    end
  end
end)

T.test("a layer's reused input-gradient buffer never overwrites a gradient still held", function()
  dlt.manual_seed(10)
  local m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.MaxPool2d(2), nn.Conv2d(3, 2, 1))
  local x1, x2 = dlt.randn(2, 2, 8, 8):requires_grad_(), dlt.randn(2, 2, 8, 8):requires_grad_()
  m(x1):sum():backward()
  local g1 = x1.grad:clone()
  m(x2):sum():backward()
  T.close(x1.grad, g1:totable(), 0, 0, "the first input's gradient as it was")
  local x3 = x1:detach():clone():requires_grad_()
  for _, p in ipairs(m:parameters()) do p.grad = nil end
  m(x3):sum():backward()
  T.close(x3.grad, g1:totable(), 0, 0, "the same input gives the same gradient through the reused buffers")
end)

T.test("max_pool2d(2)'s input gradient on odd sizes: each window's gradient at its index plus 0, the rest 0", function()
  -- 5x7: 3 windows a row (one at a time); 7x11: 5 (four at a time, then the last four)
  for _, hw in ipairs({ { 5, 7 }, { 7, 11 } }) do
    local H, W, OH, OW = hw[1], hw[2], hw[1] // 2, hw[2] // 2
    for _, dtype in ipairs({ "float32", "float64" }) do
      dlt.manual_seed(13)
      local x = dlt.randn(2, 3, H, W, { dtype = dtype }):requires_grad_() -- the last row and column in no window
      local _, idx = F.max_pool2d(x:detach(), 2, { return_indices = true })
      local g = dlt.randn(2, 3, OH, OW, { dtype = dtype })
      g[{ 1, 1, 1, 1 }] = -0.0
      g[{ 2, 3, OH, OW }] = 0 / 0
      -- a first backward leaves other values in the module's reused gradient buffer
      local pool, x1 = nn.MaxPool2d(2), x:detach():clone():requires_grad_()
      pool(x1):backward(dlt.full({ 2, 3, OH, OW }, 7, { dtype = dtype }))
      x1.grad = nil
      collectgarbage()
      pool(x):backward(g)
      local want, gt, it = {}, g:reshape({ -1 }):totable(), idx:reshape({ -1 }):totable()
      for k = 1, 2 * 3 * H * W do want[k] = 0.0 end
      for k = 1, #gt do
        local pos = (k - 1) // (OH * OW) * (H * W) + it[k]
        want[pos] = want[pos] + gt[k]
      end
      local what = string.format("%s %dx%d", dtype, H, W)
      T.close(x.grad, want, 0, 0, what .. ": the scatter of the output gradient")
      local first = x.grad:reshape({ -1 }):totable()[it[1]]
      T.eq(1 / first, math.huge, what .. ": a -0 gradient arrives as 0 + -0 = +0")
    end
  end
end)

T.test("max_pool2d(2) on rows of 4 and of 8 windows or more (in vector lanes) keeps the one-window rule: first maximum, last NaN", function()
  for _, dtype in ipairs({ "float32", "float64" }) do
    for _, W in ipairs({ 11, 23, 34 }) do -- rows of 5, 11 and 17 windows (the last column of 11 and 23 in none)
      dlt.manual_seed(14)
      local x = dlt.randint(-2, 3, { 2, 3, 6, W }):to(dtype) -- ties everywhere
      x[{ 1, 1, 1, 3 }] = 0 / 0
      x[{ 1, 1, 2, 4 }] = 0 / 0 -- two NaNs in one window: the later one's index
      x[{ 2, 3, 3, 9 }] = 0 / 0
      x[{ 2, 1, 5, W - 1 }] = 0 / 0
      x[{ 1, 2, 1, 1 }], x[{ 1, 2, 1, 2 }] = -0.0, 0.0
      local y, idx = F.max_pool2d(x, 2, { return_indices = true })
      local xt, wy, wi, OW = x:reshape({ -1 }):totable(), {}, {}, W // 2
      for p = 0, 5 do
        for oh = 0, 2 do
          for ow = 0, OW - 1 do
            local m, bi
            for _, d in ipairs({ { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }) do
              local pos = (2 * oh + d[1]) * W + 2 * ow + d[2]
              local v = xt[p * 6 * W + pos + 1]
              if not m or v > m or v ~= v then m, bi = v, pos + 1 end
            end
            wy[#wy + 1], wi[#wi + 1] = m, bi
          end
        end
      end
      T.close(y, wy, 0, 0, dtype .. ", width " .. W .. ": maxima")
      T.close(idx, wi, 0, 0, dtype .. ", width " .. W .. ": indices")
    end
  end
end)

T.test("max_pool2d's indices are 1-based positions in each flattened plane", function()
  local x = dlt.tensor({ 1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 1, 2, 0, 0, 3, 1 }):reshape({ 1, 1, 4, 4 })
  local y, i = F.max_pool2d(x, 2, { return_indices = true })
  T.close(y, { 5, 9, 7, 3 }, 0, 0, "maxima")
  T.close(i, { 2, 7, 9, 15 }, 0, 0, "indices")
end)

T.run()
