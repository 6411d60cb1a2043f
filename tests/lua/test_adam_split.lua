-- test_adam_split.lua: Adam/AdamW's update of a large parameter split over two threads
-- (src/optim/adam.c) gives exactly the bits of one thread, amsgrad too.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local function run(threads, opts, dtype)
  dlt.num_threads(threads)
  dlt.manual_seed(11)
  local p = dlt.randn(300, 301):to(dtype):requires_grad_()  -- 90300 elements: split, odd tail
  local opt = (opts.amsgrad and dlt.optim.Adam or dlt.optim.AdamW)({ p }, opts)
  for _ = 1, 3 do
    opt:zero_grad()
    local loss = (p * p):sum() + p:sum()
    loss:backward()
    opt:step()
  end
  return p:detach()
end

for _, dtype in ipairs({ "float32", "float64" }) do
  T.test("AdamW on two threads equals one thread bit for bit (" .. dtype .. ")", function()
    local threads = dlt.num_threads()
    local a = run(1, { lr = 0.01, weight_decay = 0.1 }, dtype)
    local b = run(2, { lr = 0.01, weight_decay = 0.1 }, dtype)
    dlt.num_threads(threads)
    T.close(b, a:totable(), 0, 0, "parameters after three steps")
  end)
end

T.test("Adam with amsgrad on two threads equals one thread bit for bit", function()
  local threads = dlt.num_threads()
  local a = run(1, { lr = 0.01, amsgrad = true }, "float32")
  local b = run(2, { lr = 0.01, amsgrad = true }, "float32")
  dlt.num_threads(threads)
  T.close(b, a:totable(), 0, 0, "parameters after three steps")
end)

T.run()
