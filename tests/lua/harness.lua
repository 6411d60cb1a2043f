-- harness.lua: a small test runner for the Lua tests: named cases, closeness checks
-- with stated tolerances, and the closing "N passed, N failed" line ctest reads.
local M = {}

local cases = {}

function M.test(name, fn)
  cases[#cases + 1] = { name = name, fn = fn }
end

local function fmt(v)
  if type(v) == "number" then return string.format("%.17g", v) end
  return tostring(v)
end

-- |a - b| <= atol + rtol * |b|, elementwise over tensors, tables or numbers
function M.close(a, b, rtol, atol, what)
  rtol, atol = rtol or 1e-9, atol or 0
  local function flat(x)
    if type(x) == "number" then return { x } end
    if type(x) == "table" then
      local out = {}
      local function walk(t)
        for _, v in ipairs(t) do
          if type(v) == "table" then walk(v) else out[#out + 1] = v end
        end
      end
      walk(x)
      return out
    end
    return flat(x:totable())
  end
  local fa, fb = flat(a), flat(b)
  if #fa ~= #fb then
    error(string.format("%s: %d elements, expected %d", what or "close", #fa, #fb), 2)
  end
  for i = 1, #fa do
    local x, y = fa[i], fb[i]
    local ok = (x == y) or (x ~= x and y ~= y) or math.abs(x - y) <= atol + rtol * math.abs(y)
    if not ok then
      error(string.format("%s: element %d is %s, expected %s (rtol %g, atol %g)",
        what or "close", i, fmt(x), fmt(y), rtol, atol), 2)
    end
  end
  return true
end

function M.eq(a, b, what)
  if a ~= b then error(string.format("%s: got %s, expected %s", what or "eq", fmt(a), fmt(b)), 2) end
end

-- fn must raise an error whose message contains pattern (plain text)
function M.raises(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error((what or "raises") .. ": no error raised", 2) end
  err = tostring(err)
  if pattern and not err:find(pattern, 1, true) then
    error(string.format("%s: error %q does not contain %q", what or "raises", err, pattern), 2)
  end
  return err
end

-- a fresh directory: returns path(name), a file in it, and remove(), which deletes it
function M.tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  return function(name) return dir .. "/" .. name end, function() os.execute("rm -rf " .. dir) end
end

-- s as one single-quoted shell word
function M.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- output (stdout and stderr together) and exit status of a shell command
function M.shell(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("a")
  p:close()
  local body, rc = out:match("^(.*)rc=(%d+)\n$")
  return body, tonumber(rc)
end

function M.run()
  local passed, failed = 0, 0
  for _, c in ipairs(cases) do
    local ok, err = xpcall(c.fn, debug.traceback)
    if ok then
      passed = passed + 1
    else
      failed = failed + 1
      io.stderr:write("FAIL ", c.name, "\n", tostring(err), "\n")
    end
  end
  print(string.format("%d passed, %d failed", passed, failed))
  if failed > 0 then os.exit(1) end
end

return M
