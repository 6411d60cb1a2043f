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

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

T.test("README links every page of docs/, and every link it has leads to a file", function()
  local text = read("README.md")
  local linked = {}
  for target in text:gmatch("%]%(([^)#]+)[^)]*%)") do
    if not target:match("^%a+://") then
      linked[target] = true
      local f = io.open(target)
      assert(f, "README.md links " .. target .. ", which does not exist")
      f:close()
    end
  end
  local p = io.popen("ls docs/*.md")
  local n = 0
  for page in p:lines() do
    n = n + 1
    assert(linked[page], "README.md does not link " .. page .. "; add it to the Documentation section")
  end
  p:close()
  assert(n > 10, "only " .. n .. " pages under docs/")
end)

T.test("README and docs/ stand alone: no link or path into ../shared", function()
  local p = io.popen("ls README.md docs/*.md")
  for page in p:lines() do
    local text = read(page)
    local at = text:find("../shared", 1, true) or text:find("/work/shared", 1, true)
    assert(not at, page .. " points outside the repository near: " .. (at and text:sub(at - 40, at + 40) or ""))
  end
  p:close()
end)

T.test("README describes tools/setup.sh as it is: apt-get, figures, --test in two builds", function()
  local text, setup = read("README.md"), read("tools/setup.sh")
  assert(text:find("bash tools/setup.sh\n", 1) and text:find("bash tools/setup.sh --test", 1, true), "both commands")
  -- what the README says happens is what the script does
  for _, pair in ipairs({ { "apt-get", "apt-get install" }, { "figures/", "/figures" },
    { "$DLT_FIGDIR", "DLT_FIGDIR" }, { "docs/img/", "--docs" }, { "gallery", "docs/gallery.lua" },
    { "AddressSanitizer", "DLT_SANITIZE=ON" }, { "build-asan/", "build-asan" } }) do
    assert(text:find(pair[1], 1, true), "README.md does not say " .. pair[1])
    assert(setup:find(pair[2], 1, true), "tools/setup.sh no longer does " .. pair[2] .. "; fix README.md")
  end
  assert(setup:find("usage: tools/setup.sh [--test]", 1, true), "the options are --test only")
end)

T.run()
