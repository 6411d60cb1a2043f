-- test_readme.lua: the example in README.md runs and fits its target.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

T.test("README's Lua example runs and its loss falls below 0.05", function()
  local f = assert(io.open("README.md"))
  local text = f:read("a")
  f:close()
  local code = assert(text:match("```lua\n(.-)```"), "README.md has no ```lua block")
  local printed = {}
  local env = setmetatable({ print = function(step, loss) printed[#printed + 1] = loss end },
    { __index = _G })
  assert(load(code, "=README.md", "t", env))()
  T.eq(#printed, 4, "lines printed")
  assert(printed[4] < 0.05, "final loss " .. tostring(printed[4]))
  assert(printed[4] < printed[1], "loss did not fall")
end)

T.run()
