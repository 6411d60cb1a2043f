-- test_util.lua: the small OS helpers the scripts use instead of a shell:
-- dlt.makedirs (mkdir -p, an existing directory is fine) and dlt.isatty.
-- Run from the source root: build/dltlua tests/lua/test_util.lua
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local tmpdir = io.popen("mktemp -d"):read("l")
assert(tmpdir and #tmpdir > 0, "test_util: mktemp -d failed")

local function is_dir(path)
  return os.execute("[ -d " .. T.quote(path) .. " ]") == true
end

T.test("makedirs creates every missing parent", function()
  local path = tmpdir .. "/a/b/c"
  T.eq(dlt.makedirs(path), true, "returns true")
  T.eq(is_dir(path), true, "a/b/c exists")
end)

T.test("makedirs accepts an existing directory and a trailing slash", function()
  T.eq(dlt.makedirs(tmpdir .. "/a/b/"), true, "existing, trailing slash")
  T.eq(dlt.makedirs(tmpdir), true, "existing")
end)

T.test("makedirs over a file names the path and the reason", function()
  local f = assert(io.open(tmpdir .. "/file", "w"))
  f:close()
  T.raises(function() dlt.makedirs(tmpdir .. "/file/sub") end, "/file': Not a directory")
  T.raises(function() dlt.makedirs(tmpdir .. "/file/sub") end, "makedirs: cannot create '")
  T.raises(function() dlt.makedirs("") end, "non-empty path")
  T.raises(function() dlt.makedirs() end, "string expected")
end)

T.test("isatty is false for a pipe and a file, and refuses a closed file", function()
  local p = io.popen("true")
  T.eq(dlt.isatty(p), false, "pipe")
  p:close()
  local f = assert(io.open(tmpdir .. "/file", "r"))
  T.eq(dlt.isatty(f), false, "regular file")
  f:close()
  T.raises(function() dlt.isatty(f) end, "closed")
  T.raises(function() dlt.isatty(42) end, "FILE* expected")
end)

T.test("isatty matches the shell's test -t for stdout", function()
  T.eq(dlt.isatty(io.stdout), os.execute("[ -t 1 ]") == true, "stdout")
end)

T.test("the notebook setup makes $DLT_FIGDIR's folder without a shell", function()
  local out = io.popen(string.format("DLT_FIGDIR=%s %s -e 'require(\"dlt.notebook\").setup()' 2>&1",
    T.quote(tmpdir .. "/figs/deep"), T.quote(arg[-1] or "build/dltlua"))):read("a")
  T.eq(out, "", "no output")
  T.eq(is_dir(tmpdir .. "/figs/deep"), true, "created")
end)

T.test("cleanup", function()
  os.execute("rm -rf " .. T.quote(tmpdir))
  T.eq(is_dir(tmpdir), false, "temporary directory gone")
end)

T.run()
