-- test_linear_split.lua: the passes around a linear layer's products (bias fill, fused
-- ReLU, the ReLU's mask, the bias gradient) and zero_grad's zeroing, split over two
-- threads when large (core/worker.c's dlt_worker_split), give exactly the bits of one
-- thread.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn

-- a Linear(300, 701) + ReLU (one fused node) on a batch of 100: 70100 outputs, over the
-- split's 32K; 701 columns leave a tail past the bias gradient's blocks of eight
local function run(threads, dtype)
  dlt.num_threads(threads)
  dlt.manual_seed(12)
  local model = nn.Sequential(nn.Linear(300, 701), nn.ReLU(), nn.Linear(701, 3)):to(dtype)
  local x = dlt.randn(100, 300):to(dtype):requires_grad_()
  local y = model(x)
  y:backward(dlt.randn(100, 3):to(dtype))
  local lin = model[1]
  return { y:detach(), x.grad, lin.weight.grad, lin.bias.grad }
end

for _, dtype in ipairs({ "float32", "float64" }) do
  T.test("Linear + ReLU on two threads equals one thread bit for bit (" .. dtype .. ")", function()
    local threads = dlt.num_threads()
    local a, b = run(1, dtype), run(2, dtype)
    dlt.num_threads(threads)
    for k = 1, #a do T.close(b[k], a[k]:totable(), 0, 0, "result " .. k) end
  end)
end

T.test("zero_grad zeroes a large gradient on two threads, every byte", function()
  local threads = dlt.num_threads()
  dlt.num_threads(2)
  local p = dlt.randn(300, 301):requires_grad_() -- 361 KB of gradient: split
  ;(p * p):sum():backward()
  local g = p.grad
  local opt = dlt.optim.SGD({ p }, { lr = 0.1 })
  opt:zero_grad()
  dlt.num_threads(threads)
  T.eq(g:ne(0):any():item(), false, "the gradient held before zero_grad: zeroed in place, no element left")
  T.eq(p.grad:abs():sum():item(), 0, "p.grad all zero")
end)

T.run()
