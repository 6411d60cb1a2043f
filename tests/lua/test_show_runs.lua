-- test_show_runs.lua: a script's plt.show() calls, run twice, as a student reruns a
-- script: each figure is written to the next free figure_NNN.png of $DLT_FIGDIR and the
-- script says where; the second run never overwrites the first run's files.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))
local q, run = T.quote, T.shell
local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")
local abs_exe = exe:sub(1, 1) == "/" and exe or cwd .. "/" .. exe

local function slurp(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

T.test("plt.show twice in a script, and the script run twice: four files, each run says where", function()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local f = assert(io.open(dir .. "/s.lua", "w"))
  f:write("local plt = dlt.plot\nplt.plot({1, 2, 3})\nplt.show()\nplt.plot({3, 1, 2})\nplt.show()\n")
  f:close()
  -- DLT_FIGDIR unset: the default folder figures/ beside where the script runs
  local cmd = "cd " .. q(dir) .. " && env -u DLT_FIGDIR " .. q(abs_exe) .. " s.lua"
  local out, rc = run(cmd)
  T.eq(rc, 0, "first run")
  T.eq(out, "show: figure saved to figures/figure_001.png\nshow: figure saved to figures/figure_002.png\n", "first run says where")
  local first = { slurp(dir .. "/figures/figure_001.png"), slurp(dir .. "/figures/figure_002.png") }
  assert(first[1] and first[2] and first[1] ~= first[2], "two different figures written")
  out, rc = run(cmd)
  T.eq(rc, 0, "second run")
  T.eq(out, "show: figure saved to figures/figure_003.png\nshow: figure saved to figures/figure_004.png\n",
    "the second run takes the next free numbers")
  T.eq(slurp(dir .. "/figures/figure_001.png"), first[1], "the first run's figure 1 is untouched")
  T.eq(slurp(dir .. "/figures/figure_002.png"), first[2], "the first run's figure 2 is untouched")
  T.eq(slurp(dir .. "/figures/figure_003.png"), first[1], "the rerun draws the same figure")
  -- $DLT_FIGDIR chooses the folder
  out = run("cd " .. q(dir) .. " && DLT_FIGDIR=" .. q(dir .. "/other") .. " " .. q(abs_exe) .. " s.lua")
  T.eq(out, "show: figure saved to " .. dir .. "/other/figure_001.png\nshow: figure saved to "
    .. dir .. "/other/figure_002.png\n", "DLT_FIGDIR")
  assert(os.execute("rm -rf " .. q(dir)))
end)

T.run()
