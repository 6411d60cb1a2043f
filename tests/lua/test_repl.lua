-- test_repl.lua: the REPL of dltlua driven through a pseudo-terminal (util-linux
-- `script`), as a user at a keyboard: the banner, expressions printed as lua5.4 prints
-- them, Tab completion of names, methods and options keys, help(x), history kept in
-- $HOME/.dlt_history across sessions (the Up arrow recalls a line of the last session),
-- what a student meets (shapes, state_dicts, nn.summary, help on objects, a '.' slip),
-- `--help`, `-v`, an unknown option, and readline loaded only by a REPL on a terminal.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))
local q, run = T.quote, T.shell
local home = os.tmpname()
os.remove(home)
assert(os.execute("mkdir -p " .. q(home)))

-- keys: a list of strings typed in order, with a pause before each so the REPL reads
-- them as a person's keystrokes; returns what the terminal showed, \r and bells removed
-- (`script` runs dltlua on a pseudo-terminal, so GNU readline edits, completes and recalls)
local function session(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = "sleep 0.3; printf '%s' " .. q(k) end
  parts[#parts + 1] = "sleep 0.3; printf '\\004'; sleep 0.3"
  local cmd = "(" .. table.concat(parts, "; ") .. ") | HOME=" .. q(home)
    .. " DLT_HISTORY= TERM=dumb script -qfec " .. q(q(exe)) .. " /dev/null"
  local out, rc = run(cmd)
  return (out:gsub("\r", ""):gsub("\7", "")), rc
end

local first
T.test("a session: banner, printed values, completion, options keys, help", function()
  local out, rc = session({
    "x = 41\n", "1 + x\n",
    "t = dlt.ones(2, 3)\n", "t\n",
    "t:nume\t()\n",
    "dlt.nn.Lin\t(2, 3)\n",
    "s = dlt.optim.SGD(dlt.nn.Linear(1, 1):parameters(), {lr = 0.1, momen\t0.9})\n",
    "s.param_groups[1].momentum\n",
    "help(dlt.zeros)\n",
    "print('recalled ' .. 6 * 7)\n",
  })
  first = out
  T.eq(rc, 0, "status")
  assert(out:find("dlt " .. dlt.version .. " (Lua 5.4): dlt, nn, optim, plt, help ready", 1, true),
    "banner: " .. out)
  assert(out:find("> 1 + x\n42\n", 1, true), "an expression prints its value: " .. out)
  assert(out:find("tensor([[1., 1., 1.],\n        [1., 1., 1.]])", 1, true), "a tensor prints: " .. out)
  assert(out:find("t:numel()\n6\n", 1, true), "a tensor method completes: " .. out)
  assert(out:find("dlt.nn.Linear(2, 3)\nLinear(in_features=2, out_features=3, bias=True)", 1, true),
    "a dlt. name completes, a module prints: " .. out)
  assert(out:find("momentum = 0.9})", 1, true), "an options key completes: " .. out)
  assert(out:find("\n0.9\n", 1, true), "the completed key took effect: " .. out)
  assert(out:find("dlt.zeros(...sizes[, {dtype, requires_grad}])", 1, true), "help prints the signature: " .. out)
  assert(out:find("(docs/tensor.md)", 1, true), "help names the page: " .. out)
end)

T.test("history: kept in ~/.dlt_history, the Up arrow recalls the last session's line", function()
  local f = assert(io.open(home .. "/.dlt_history"))
  local hist = f:read("a")
  f:close()
  assert(hist:find("x = 41\n1 + x\n", 1, true), "history file: " .. hist)
  -- Up: the last line of the first session, run again
  local out = session({ "\27[A\n" })
  assert(out:find("recalled 42", 1, true), "recalled line ran: " .. out)
  assert(not out:find("bad binary format", 1, true), out)
end)

T.test("a student's session: shapes, state_dicts, summary once, help on objects and methods, '.' slips", function()
  local out, rc = session({
    "t = dlt.ones(2, 3)\n", "print(t.shape)\n", "t:size()\n",
    "m = nn.Sequential(nn.Linear(2, 3))\n", "m:state_dict()\n",
    "nn.summary(m, {4, 2})\n",
    "opt = optim.SGD(m:parameters(), {l\t0.5})\n", "opt.param_groups[1].lr\n",
    "help(opt.step)\n", "fig, ax = plt.subplots()\n", "help(ax)\n", "ax:plot({1, 2}, {lines\t'--'})\n",
    "opt.step()\n", "t.sum()\n",
  })
  T.eq(rc, 0, "status")
  assert(out:find("> print(t.shape)\n(2, 3)\n", 1, true), "print(x.shape) as torch.Size: " .. out)
  assert(out:find("> t:size()\n(2, 3)\n", 1, true), "a shape as a value: " .. out)
  assert(out:find("state_dict({\n  1.bias: (3,) float32\n  1.weight: (3, 2) float32\n})", 1, true),
    "a state_dict lists keys with shapes: " .. out)
  local _, tables = out:gsub("Total params: 9\n", "")
  T.eq(tables, 1, "nn.summary's table shows once at the REPL")
  assert(out:find("{lr = 0.5})", 1, true) and out:find("> opt.param_groups[1].lr\n0.5\n", 1, true),
    "{l<Tab> completes to the only key, lr: " .. out)
  assert(out:find("Optimizer:step([closure])", 1, true), "help of a method taken from an object: " .. out)
  assert(out:find("Methods of this Axes, called as obj:method(...)", 1, true), "help of an Axes: " .. out)
  assert(out:find("{linestyle = '--'})", 1, true), "an Axes method's options key completes: " .. out)
  assert(out:find("step is a method: call it as opt:step(...), with ':'", 1, true), "opt.step(): " .. out)
  assert(out:find("call a method with ':', as t:sum(...)", 1, true), "t.sum(): " .. out)
end)

T.test("without line editing an arrow key is a syntax error, not a binary chunk", function()
  local out = run("printf 'x\\033[A\\n' | " .. q(exe) .. " -i")
  assert(not out:find("binary", 1, true), out)
  assert(out:find("stdin:1: syntax error near", 1, true), out)
end)

T.test("scripts never load readline: it comes with the REPL on a terminal (dlt_readline.so)", function()
  local maps = "io.write(io.open('/proc/self/maps'):read('a'))"
  local out = run(q(exe) .. " -e " .. q(maps))
  assert(out:find("dltlua", 1, true), out)
  assert(not out:find("libreadline", 1, true) and not out:find("dlt_readline.so", 1, true),
    "a script has readline mapped:\n" .. out)
  out = session({ maps .. "\n" })
  assert(out:find("/dlt_readline.so", 1, true) and out:find("libreadline", 1, true),
    "the REPL on a terminal has no dlt_readline.so mapped:\n" .. out)
end)

T.test("--help and -h describe dlt; -v names dlt and Lua; an unknown option prints usage", function()
  local out, rc = run(q(exe) .. " --help")
  T.eq(rc, 0, "--help status")
  assert(out:find("usage: dltlua", 1, true) and out:find("deep-learning", 1, true)
    and out:find("help(x)", 1, true) and out:find("DLT_FIGDIR", 1, true), out)
  T.eq(run(q(exe) .. " -h"), out, "-h is --help")
  out, rc = run(q(exe) .. " -v")
  T.eq(rc, 0, "-v status")
  assert(out:find("^dlt " .. dlt.version:gsub("%.", "%%.") .. ", a deep%-learning training toolkit; Lua 5%.4"), out)
  out, rc = run(q(exe) .. " --frobnicate")
  T.eq(rc, 1, "unknown option status")
  assert(out:find("unrecognized option '--frobnicate'", 1, true) and out:find("usage:", 1, true), out)
end)

T.test("cleanup", function()
  assert(os.execute("rm -rf " .. q(home)))
end)

T.run()
