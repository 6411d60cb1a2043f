-- test_ddp_grads.lua (run under mpirun -np 2): DDP's gradients as the buckets' memory.
-- On one machine the .grad tensors live in the window the ranks share, so a second
-- backward accumulates into the averages in place; gradients a script still holds keep
-- their values when the process group is destroyed; the parameters' updates are those
-- of separate buffers.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local dist, nn = dlt.distributed, dlt.nn
local DDP = nn.parallel.DistributedDataParallel

dist.init_process_group()
local rank = dist.get_rank()

local function maxdiff(a, b) return (a - b):abs():max():item() end

local function model()
  dlt.manual_seed(3)
  return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)):to("float64")
end

-- a wrapped model, its batch (the rank's own), and one averaging backward on it
local function wrapped()
  local m = model()
  local ddp = DDP(m)
  dlt.manual_seed(10 + rank)
  local x = dlt.randn(8, 6, { dtype = "float64" })
  local function backward() ddp(x):pow(2):sum():backward() end
  return m, ddp, backward
end

T.test("a second backward without zero_grad adds its average to the first (gradients accumulate in place)", function()
  local m, _, backward = wrapped()
  backward()
  local once = {}
  for i, p in ipairs(m:parameters()) do once[i] = p.grad:clone() end
  backward()
  for i, p in ipairs(m:parameters()) do
    T.eq(maxdiff(p.grad, once[i] * 2) < 1e-12, true, "parameter " .. i .. ": " .. maxdiff(p.grad, once[i] * 2))
  end
  -- zero_grad zeroes them in place; the next backward gives the average again
  for _, p in ipairs(m:parameters()) do p.grad:zero_() end
  backward()
  for i, p in ipairs(m:parameters()) do T.eq(maxdiff(p.grad, once[i]) < 1e-12, true, "after zero_: parameter " .. i) end
end)

T.test("a gradient set to nil comes back as the average", function()
  local m, _, backward = wrapped()
  backward()
  local first = m:parameters()[1].grad:clone()
  for _, p in ipairs(m:parameters()) do p.grad = nil end
  backward()
  T.eq(maxdiff(m:parameters()[1].grad, first) < 1e-12, true, "same average")
end)

-- last: it destroys the process group
T.test("gradients held past destroy_process_group keep their values; DDP then refuses", function()
  local m, ddp, backward = wrapped()
  backward()
  local g = m:parameters()[1].grad
  local view = g:narrow(1, 1, 2)  -- a second view of the same memory
  local before = g:clone()
  T.eq(ddp:shared_memory() == (os.getenv("DLT_DIST_NO_SHM") == nil), true, "path")
  dist.destroy_process_group()
  collectgarbage()
  T.eq(maxdiff(g, before), 0, "values after destroy")
  g:add_(1)  -- still writable memory of its own
  T.eq(maxdiff(view, before:narrow(1, 1, 2) + 1), 0, "views share it")
  T.raises(backward, "no process group")
end)

T.run()
