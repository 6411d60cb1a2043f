-- test_docs_tensors.lua: every ```lua block of the guide sections "dtypes" and
-- "Indexing" of docs/tensor.md runs as shown, and its printed lines starting with a
-- value that the block's comment states ("-- tensor(...)") match what it prints.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

local function blocks(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  -- the two guide sections, up to the next "## " heading
  local sections = {}
  for _, title in ipairs({ "dtypes", "Indexing" }) do
    local body = text:match("\n## " .. title .. "\n(.-)\n## ")
    assert(body, path .. " has no section '## " .. title .. "'")
    sections[#sections + 1] = body
  end
  text = table.concat(sections, "\n")
  local out = {}
  for code in text:gmatch("```lua\n(.-)```") do out[#out + 1] = code end
  return out
end

-- runs code with print captured; returns the printed lines
local function run(code, name)
  local lines = {}
  local env = setmetatable({
    print = function(...)
      local parts = {}
      for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
      lines[#lines + 1] = table.concat(parts, "\t")
    end,
  }, { __index = _G })
  local fn = assert(load(code, "=" .. name, "t", env))
  fn()
  return table.concat(lines, "\n")
end

local BLOCKS = blocks("docs/tensor.md")
T.test("the dtypes and Indexing sections have their examples", function()
  assert(#BLOCKS >= 5, "only " .. #BLOCKS .. " blocks found")
end)

for i, code in ipairs(BLOCKS) do
  T.test("docs/tensor.md dtypes/Indexing block " .. i .. " runs and prints what its comments say", function()
    local out = run(code, "docs/tensor.md block " .. i)
    -- a comment "-- tensor(...)" or "-- <number>" after print(...) states its first output
    for stmt, want in code:gmatch("print(%b())[^\n]-%-%- (tensor%b())") do
      assert(out:find(want, 1, true), string.format("block %d: %s should print %s; printed:\n%s", i, stmt, want, out))
    end
  end)
end

T.run()
