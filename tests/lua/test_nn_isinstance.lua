-- test_nn_isinstance.lua: nn.isinstance, PyTorch's isinstance(m, cls) for modules: C
-- constructors, Lua classes and their subclasses, nn.Module, class names, lists.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn = dlt.nn

T.test("C modules are instances of their constructor only", function()
  local l = nn.Linear(2, 3)
  T.eq(nn.isinstance(l, nn.Linear), true, "Linear")
  T.eq(nn.isinstance(l, nn.ReLU), false, "not ReLU")
  T.eq(nn.isinstance(nn.BatchNorm1d(3), nn.BatchNorm1d), true, "BatchNorm1d")
  T.eq(nn.isinstance(nn.Sequential(l), nn.Sequential), true, "Sequential")
  T.eq(nn.isinstance(l, nn.Module), true, "every module is an nn.Module")
  T.eq(nn.isinstance(l, "Linear"), true, "by name")
  T.eq(nn.isinstance(l, { nn.ReLU, nn.Linear }), true, "a list is Python's tuple")
  T.eq(nn.isinstance(l, { nn.ReLU, nn.Tanh }), false, "no match in the list")
end)

T.test("Lua modules are instances of their class and its ancestors", function()
  local Net = nn.Module:extend("Net")
  local Sub = Net:extend("Sub")
  local s, n = Sub(), Net()
  T.eq(nn.isinstance(s, Sub), true, "own class")
  T.eq(nn.isinstance(s, Net), true, "parent class")
  T.eq(nn.isinstance(n, Sub), false, "not a subclass")
  T.eq(nn.isinstance(s, nn.Module), true, "nn.Module")
  T.eq(nn.isinstance(s, "Net"), true, "parent by name")
  T.eq(nn.isinstance(s, nn.Linear), false, "not a C kind")
  T.eq(nn.isinstance(nn.Linear(1, 1), Net), false, "a C module is no Lua class")
  T.eq(nn.isinstance(nn.ModuleList({}), nn.ModuleList), true, "ModuleList")
end)

T.test("non-modules are instances of nothing; a bad class is a named error", function()
  T.eq(nn.isinstance(5, nn.Linear), false, "a number")
  T.eq(nn.isinstance(dlt.zeros(2), nn.Module), false, "a tensor")
  T.raises(function() nn.isinstance(nn.ReLU(), print) end,
    "isinstance: the function given is not a dlt.nn module constructor")
  T.raises(function() nn.isinstance(nn.ReLU(), 3) end, "isinstance: expected a module class")
end)

T.test("the kaiming-init idiom of PyTorch tutorials runs through apply", function()
  dlt.manual_seed(1)
  local model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
  local seen = 0
  model:apply(function(m)
    if nn.isinstance(m, nn.Linear) then
      nn.init.kaiming_normal_(m.weight, { nonlinearity = "relu" })
      nn.init.zeros_(m.bias)
      seen = seen + 1
    end
  end)
  T.eq(seen, 2, "both Linear layers")
  T.eq(model[3].bias:abs():sum():item(), 0, "bias zeroed")
end)

T.run()
