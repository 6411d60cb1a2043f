-- bench_conv_layer.lua: one float32 convolution layer alone, 3x3 with padding 1 (the
-- shape conv.c or winograd.c serves): ms per forward, and per backward (input, weight
-- and bias gradients), the best of 15 rounds of 10 calls.
-- Run: build/dltlua bench/bench_conv_layer.lua [threads=1] [N=64] [C=32] [OC=64] [H=14]
-- (the defaults are the shared CNN's second convolution)
local dlt = require "dlt"
local F = dlt.nn.functional

local threads = tonumber(arg and arg[1]) or 1
local N, C, OC, H = tonumber(arg[2] or 64), tonumber(arg[3] or 32), tonumber(arg[4] or 64), tonumber(arg[5] or 14)
dlt.num_threads(threads)
dlt.manual_seed(1)
local x = dlt.randn(N, C, H, H):requires_grad_()
local w = (dlt.randn(OC, C, 3, 3) * 0.1):requires_grad_()
local b = dlt.randn(OC):requires_grad_()
local g = dlt.randn(N, OC, H, H)

local best_f, best_b = math.huge, math.huge
for _ = 1, 15 do
  local t0 = dlt.clock()
  for _ = 1, 10 do F.conv2d(x, w, b, { padding = 1 }) end
  local t1 = dlt.clock()
  for _ = 1, 10 do
    local y = F.conv2d(x, w, b, { padding = 1 })
    x.grad, w.grad, b.grad = nil, nil, nil
    y:backward(g)
  end
  local t2 = dlt.clock()
  best_f = math.min(best_f, (t1 - t0) / 10)
  best_b = math.min(best_b, (t2 - t1) / 10 - (t1 - t0) / 10)
end
print(string.format("conv2d %dx%dx%dx%d -> %d channels, %d thread(s): forward %.3f ms, backward %.3f ms",
  N, C, H, H, OC, threads, best_f * 1e3, best_b * 1e3))
