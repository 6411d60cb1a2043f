-- test_lazy.lua: the parts of dlt loaded on first use (lua/dlt/lazy.lua): start-up loads
-- none of them, each name they define is there when first read, and what lists names
-- (help's index, the REPL's completion) sees every name.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local exe = arg[-1]

-- the output of a Lua chunk run by a fresh dltlua (with the module path of this test run)
local function fresh(code)
  local setup = "package.path = " .. string.format("%q", package.path) .. "\n"
  local out, rc = T.shell(T.quote(exe) .. " -e " .. T.quote(setup .. code))
  assert(rc == 0, "fresh process failed: " .. out)
  return out
end

local PARTS = { "dlt.nn_conv", "dlt.nn_act", "dlt.nn_losses", "dlt.datasets", "dlt.swa_utils",
  "dlt.summary", "dlt.deepcopy", "dlt.lbfgs", "dlt.lr_find", "dlt.early_stopping",
  "dlt.distributed", "dlt.pyplot", "dlt.history", "dlt.help", "dlt.lr_scheduler", "dlt.data",
  "dlt.progress", "dlt.fmt", "dlt.optim" }

-- the namespaces whose names the parts define
local SPACES = [[
local spaces = { dlt = dlt, nn = dlt.nn, F = dlt.nn.functional, data = rawget(dlt, "data"),
  optim = rawget(dlt, "optim"), plot = dlt.plot, Module = dlt.nn.Module,
  cmethods = dlt.nn._cmethods, Tensor = dlt.Tensor, distributed = rawget(dlt, "distributed") }
]]

T.test("start-up loads none of the parts a script may not use", function()
  local out = fresh("local dlt = require 'dlt'\nfor _, m in ipairs({'" .. table.concat(PARTS, "', '")
    .. "'}) do if package.loaded[m] then print(m) end end")
  T.eq(out, "", "modules loaded at start-up")
end)

T.test("every name a part defines is declared: reading it loads the part", function()
  -- a fresh process: the values of every name before and after load_all; a name that
  -- appears or changes must have been waiting for its part
  local out = fresh("local dlt = require 'dlt'\nlocal lazy = require 'dlt.lazy'\n" .. SPACES .. [[
local before, waiting = {}, {}
for s, t in pairs(spaces) do
  before[s], waiting[s] = {}, {}
  for k, v in pairs(t) do before[s][k] = v end
  for _, k in ipairs(lazy.pending(t)) do waiting[s][k] = true end
end
lazy.load_all()
spaces.distributed, spaces.data, spaces.optim = dlt.distributed, dlt.data, dlt.optim
spaces.lr_scheduler = dlt.optim.lr_scheduler
for s, t in pairs(spaces) do
  for k, v in pairs(t) do
    if before[s] and before[s][k] ~= v and not waiting[s][k] then print(s .. "." .. tostring(k)) end
  end
  for k in pairs(waiting[s] or {}) do
    if rawget(t, k) == nil then print("declared but not defined: " .. s .. "." .. k) end
  end
end
]])
  -- dlt.save becomes rank-aware when dlt.distributed loads; no process group can be up
  -- before that (it is made through dlt.distributed), so until then the C save is right
  T.eq(out, "dlt.save\n", "names defined by a part but not declared")
end)

T.test("a name read for the first time loads its part only, and works", function()
  local out = fresh([[
local dlt = require 'dlt'
local nn = dlt.nn
local conv = nn.Conv2d(1, 2, 3)
print(tostring(conv), package.loaded["dlt.nn_conv"] ~= nil, package.loaded["dlt.nn_act"] ~= nil)
local ce = nn.CrossEntropyLoss({ label_smoothing = 0.1 })
print(ce.label_smoothing, type(dlt.nn.functional.kl_div), package.loaded["dlt.nn_losses"] ~= nil)
print(type(dlt.data.FashionMNIST), type(dlt.optim.swa_utils.SWALR), type(dlt.deepcopy({ 1 })))
print(dlt.distributed.is_main_process(), type(nn.parallel.DistributedDataParallel))
print(nn.Linear(3, 2):num_parameters(), type(nn.summary), type(dlt.plot.plot))
]])
  T.eq(out, "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\ttrue\tfalse\n" ..
    "0.1\tfunction\ttrue\nfunction\tfunction\ttable\ntrue\ttable\n8\tfunction\tfunction\n")
end)

T.test("the BCE losses' plain cases stay the C modules once their part is loaded", function()
  local out = fresh([[
local dlt = require 'dlt'
local nn = dlt.nn
print(nn._is_c_module(nn.BCELoss()), nn._is_c_module(nn.BCEWithLogitsLoss()),
  nn._is_c_module(nn.BCEWithLogitsLoss({ pos_weight = dlt.ones(1) })))
]])
  T.eq(out, "true\ttrue\tfalse\n")
end)

T.test("help's public names and the REPL's completion see the parts not loaded yet", function()
  local out = fresh([[
local dlt = require 'dlt'
local names = {}
for _, n in ipairs(require("dlt.help").public_names()) do names[n] = true end
print(names["dlt.nn.Conv2d"], names["dlt.nn.functional.kl_div"], names["dlt.optim.LBFGS"],
  names["dlt.data.FashionMNIST"], names["dlt.optim.swa_utils.AveragedModel"], names["dlt.plot.title"])
]])
  T.eq(out, "true\ttrue\ttrue\ttrue\ttrue\ttrue\n")
  out = fresh([[
local dlt = require 'dlt'
_G.nn = dlt.nn
print(table.concat(require("dlt.repl").complete("x = nn.Conv", 4, "nn.Conv"), " "))
]])
  T.eq(out, "nn.Conv1d nn.Conv2d nn.ConvTranspose1d nn.ConvTranspose2d\n")
end)

T.test("the methods of the classes loaded on first use check their self", function()
  local es = dlt.EarlyStopping({ patience = 1 })
  T.raises(function() es.reset() end, "reset is a method: call it as es:reset(...), with ':'")
  es:reset()
  local opt = dlt.optim.LBFGS({ dlt.zeros(1):requires_grad_() })
  T.raises(function() opt.step(function() return 0 end) end, "step is a method: call it as opt:step(...)")
end)

T.run()
