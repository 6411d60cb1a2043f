-- test_optim_group_state.lua: Adam/AdamW's one-call group update and zero_grad_all
-- check every box they read: a state entry that is not a live tensor (another
-- userdata, a box freed by __gc) is left to the per-parameter path, which raises,
-- and a step that raised leaves the step count as it was.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

T.test("adam_group leaves a foreign or freed state box to the checked path", function()
  local p = dlt.randn(3)
  p.requires_grad = true
  p.grad = dlt.ones(3)
  local opt = dlt.optim.AdamW({ p }, { lr = 0.1 })
  opt:step()
  opt.state[p].exp_avg = io.stdout
  T.raises(function() opt:step() end, "tensor expected, got FILE*", "foreign userdata")
  local freed = dlt.zeros(3)
  getmetatable(freed).__gc(freed)
  opt.state[p].exp_avg = freed
  T.raises(function() opt:step() end, "a tensor freed by its __gc", "freed box")
  T.eq(opt.state[p].step, 1, "failed steps do not count")
  opt.state[p].exp_avg = dlt.zeros(3)
  opt:step()
  T.eq(opt.state[p].step, 2, "a good state steps again")
end)

T.test("zero_grad_all rejects a parameter list entry that is not a tensor", function()
  local p = dlt.randn(2)
  p.requires_grad = true
  p.grad = dlt.ones(2)
  local opt = dlt.optim.SGD({ p }, { lr = 0.1 })
  opt:zero_grad()
  T.eq(p.grad:sum():item(), 0, "zeroed")
  opt.param_groups[1].params[2] = io.stdout
  T.raises(function() opt:zero_grad() end, "tensor expected", "a foreign userdata")
end)

T.run()
