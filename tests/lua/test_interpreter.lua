-- test_interpreter.lua: dltlua behaves like lua5.4's lua.c: script arguments in `arg`,
-- -e, -l, -v, -i, - for stdin, the REPL, errors with traceback and exit status 1, SIGINT,
-- and dlt preloaded as a global without LUA_PATH. Runs the dltlua that runs this file.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

-- the interpreter running this test (arg[-1] as set by dltlua itself)
local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))
local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local q, run = T.quote, T.shell

local function write(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

T.test("a script gets arg (arg[0] the script, negatives the interpreter) and ... ", function()
  local s = write("args.lua", [[
print(arg[0], arg[1], arg[2], #arg, select("#", ...), ...)
print(arg[-1], arg[-2] ~= nil)
]])
  local out, rc = run(q(exe) .. " -e 'x=1' " .. q(s) .. " a 'b c'")
  T.eq(rc, 0, "status")
  local l1, l2 = out:match("([^\n]*)\n([^\n]*)\n")
  T.eq(l1, s .. "\ta\tb c\t2\t2\ta\tb c", "arg and ...")
  T.eq(l2, "x=1\ttrue", "interpreter arguments at negative indices")
end)

T.test("-e runs code with dlt preloaded as a global and as require 'dlt'", function()
  local out, rc = run(q(exe) .. " -e 'print(dlt.ones(3):sum():item(), require(\"dlt\") == dlt)'")
  T.eq(rc, 0, "status")
  T.eq(out, "3\ttrue\n", "output")
end)

T.test("the embedded Lua modules need no LUA_PATH", function()
  local out, rc = run("LUA_PATH='/nonexistent/?.lua' " .. q(exe) .. " -e 'print(type(dlt.Tensor), dlt.version ~= nil)'")
  T.eq(rc, 0, "status")
  T.eq(out, "table\ttrue\n", "output")
end)

T.test("-l mod requires a module into a global; -l g=mod names the global", function()
  write("mymod.lua", "return { answer = 42 }")
  local env = "LUA_PATH=" .. q(tmp .. "/?.lua;;") .. " "
  local out, rc = run(env .. q(exe) .. " -l mymod -e 'print(mymod.answer)'")
  T.eq(rc, 0, "status")
  T.eq(out, "42\n", "-l mod")
  out = run(env .. q(exe) .. " -l m=mymod -e 'print(m.answer)'")
  T.eq(out, "42\n", "-l g=mod")
  out, rc = run(q(exe) .. " -l no_such_module_xyz")
  T.eq(rc, 1, "missing module fails")
  assert(out:find("module 'no_such_module_xyz' not found", 1, true), out)
end)

T.test("-v prints the version; bad options print usage and fail", function()
  local out, rc = run(q(exe) .. " -v")
  T.eq(rc, 0, "status")
  assert(out:find("Lua 5.4", 1, true), out)
  out, rc = run(q(exe) .. " -x")
  T.eq(rc, 1, "bad option status")
  assert(out:find("unrecognized option '-x'", 1, true) and out:find("usage:", 1, true), out)
  out, rc = run(q(exe) .. " -e")
  T.eq(rc, 1, "missing -e argument")
  assert(out:find("'-e' needs argument", 1, true), out)
end)

T.test("- and piped stdin run stdin as a script", function()
  local out, rc = run("echo 'print(6 * 7)' | " .. q(exe) .. " -")
  T.eq(rc, 0, "status")
  T.eq(out, "42\n", "-")
  out = run("echo 'print(dlt.zeros(2, 3):numel())' | " .. q(exe))
  T.eq(out, "6\n", "no arguments, stdin not a terminal")
end)

T.test("the REPL prints expression values and joins incomplete lines", function()
  local input = "1 + 2\nlocal x = 5\nfor i = 1, 2 do\nprint('i' .. i)\nend\ndlt.tensor({1, 2})\nerror('oops')\nprint('after')\n"
  local out, rc = run("printf %s " .. q(input) .. " | " .. q(exe) .. " -i")
  T.eq(rc, 0, "status")
  assert(out:find("> 3\n", 1, true), "expression printed: " .. out)
  assert(out:find(">> >> i1\ni2\n", 1, true), "multi-line chunk: " .. out)
  assert(out:find("tensor([1., 2.])", 1, true), "tensor printed: " .. out)
  assert(out:find("oops", 1, true) and out:find("after", 1, true), "error reported, REPL continues: " .. out)
end)

T.test("an uncaught error prints 'dltlua: msg' and a traceback, and exits 1", function()
  local s = write("fail.lua", "local function f() error('bad thing') end\nf()\n")
  local out, rc = run(q(exe) .. " " .. q(s))
  T.eq(rc, 1, "status")
  assert(out:find("^dltlua: .*fail.lua:1: bad thing\nstack traceback:"), out)
  out, rc = run("(" .. q(exe) .. " " .. q(s) .. " 2>/dev/null)")
  T.eq(out, "", "nothing on stdout")
  out, rc = run(q(exe) .. " -e 'dlt.zeros(-3)'")
  T.eq(rc, 1, "engine error status")
  assert(out:find("zeros: invalid size -3", 1, true), out)
  out, rc = run(q(exe) .. " " .. q(tmp .. "/missing.lua"))
  T.eq(rc, 1, "missing script")
  assert(out:find("cannot open", 1, true), out)
  local s2 = write("syntax.lua", "x = = 1\n")
  out, rc = run(q(exe) .. " " .. q(s2))
  T.eq(rc, 1, "syntax error")
  assert(out:find("syntax.lua:1:", 1, true), out)
end)

T.test("SIGINT during a script raises 'interrupted!'", function()
  local s = write("loop.lua", "io.stdout:write('started\\n') io.stdout:flush()\nlocal x = 0\nwhile true do x = x + 1 end\n")
  local cmd = "(" .. q(exe) .. " " .. q(s) .. " & pid=$!; sleep 0.5; kill -INT $pid; wait $pid; echo \"child=$?\")"
  local out = run(cmd)
  assert(out:find("started", 1, true), out)
  assert(out:find("interrupted!", 1, true), "message: " .. out)
  assert(out:find("child=1", 1, true), "exit status 1: " .. out)
end)

T.test("os.exit and a script's return work as in lua", function()
  local out, rc = run(q(exe) .. " -e 'os.exit(3)'")
  T.eq(rc, 3, "os.exit status")
  local s = write("ret.lua", "return 1, 2\n")
  out, rc = run(q(exe) .. " " .. q(s))
  T.eq(rc, 0, "return from a script")
end)

T.test("cleanup of the temporary directory", function()
  assert(os.execute("rm -rf " .. q(tmp)), "rm -rf " .. tmp)
end)

T.run()
