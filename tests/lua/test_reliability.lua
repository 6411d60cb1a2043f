-- test_reliability.lua: what must hold however a script misbehaves: allocation failure
-- and overflowing sizes are Lua errors, memory comes back (autograd graphs, modules,
-- optimizers collected by the GC), saves are atomic and fail cleanly, Ctrl-C stops a
-- script with a Lua error, detect_anomaly names the op. Runs in the normal build and,
-- through tools/leakcheck.sh, under ASan/LSan (then its children run sanitized too).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, optim = dlt.nn, dlt.optim

local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))
if exe:sub(1, 1) ~= "/" then exe = io.popen("pwd"):read("l") .. "/" .. exe end
-- the ASan build (tools/leakcheck.sh): its children cannot run under ulimit -v
local sanitized = (function()
  local f = io.open("/proc/self/maps", "r")
  local maps = f and f:read("a") or ""
  if f then f:close() end
  return maps:find("libasan", 1, true) ~= nil
end)()
local is_root = io.popen("id -u"):read("l") == "0"

local tmp = io.popen("mktemp -d"):read("l")
assert(tmp and #tmp > 0, "mktemp -d failed")
local q, run = T.quote, T.shell
local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end
local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function listdir(d)
  local names = {}
  for l in io.popen("ls -A " .. q(d)):lines() do names[#names + 1] = l end
  table.sort(names)
  return names
end
local function write_script(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- collects until the storage count stops falling (finalizers can free in a second pass)
local function live_bytes()
  collectgarbage()
  collectgarbage()
  return dlt.memory_in_use()
end

-- ------------------------------------------------------------------ allocation

T.test("allocation failure is a Lua error naming the bytes, and the script goes on", function()
  local cases = {
    function() return dlt.zeros(2 ^ 40) end,
    function() return dlt.ones(2 ^ 20, 2 ^ 20) end,
    function() return dlt.full({ 2 ^ 21, 2 ^ 20 }, 1) end,
    function() return dlt.randn(2 ^ 40) end,
    function() return dlt.eye(2 ^ 21) end,
    function() return dlt.randperm(2 ^ 40) end,
    function() return dlt.ones(2 ^ 20):view(1, -1):expand(2 ^ 20, 2 ^ 20):contiguous() end,
    function() return dlt.randn(2 ^ 21, 1):matmul(dlt.randn(1, 2 ^ 21)) end,
    function() return nn.Linear(2 ^ 20, 2 ^ 20) end,
  }
  for i, f in ipairs(cases) do
    local ok, err = pcall(f)
    assert(not ok, "case " .. i .. " succeeded")
    assert(tostring(err):find("cannot allocate %d+"), "case " .. i .. ": " .. tostring(err))
  end
  T.eq(dlt.ones(3):sum():item(), 3, "small allocations still work")
end)

T.test("size arithmetic cannot overflow", function()
  T.raises(function() dlt.zeros(2 ^ 31, 2 ^ 31, 2 ^ 31) end, "overflows")
  T.raises(function() dlt.zeros(2 ^ 62, 4) end, "")
  T.raises(function() dlt.zeros(0):reshape(2 ^ 40, 2 ^ 40, 0) end, "reshape")
  T.raises(function() dlt.ones(1, 1):expand(2 ^ 62, 2 ^ 62) end, "expand")
  T.raises(function() dlt.linspace(0, 1, 2 ^ 62) end, "")
  T.raises(function() dlt.arange(0, 1, 1e-300) end, "arange")
  T.raises(function() dlt.arange(0, math.huge) end, "arange")
  T.raises(function() dlt.tensor({ 1 }):view(2 ^ 62, 2 ^ 62) end, "view")
end)

T.test("under a small address-space limit a huge tensor is 'cannot allocate', not an abort", function()
  -- the child allocates 800 MB under a 700 MB limit; ASan cannot run under ulimit -v,
  -- and dlt maps large buffers itself, past ASan's allocation cap: there the child asks
  -- for 4 TB instead, more than the machine can map
  local limit = sanitized and "" or "ulimit -v 700000; "
  local big = sanitized and "2^40" or "2e8"
  local s = write_script("alloc.lua", [[
    print(pcall(dlt.zeros, ]] .. big .. [[))
    -- inside a layer: the input fits, the (2^20, 65536) output (256 GB) does not
    local lin = dlt.nn.Linear(1, 65536)
    local ok, err = pcall(function() return lin(dlt.randn(2 ^ 20, 1)) end)
    print(ok, err)
    print("after", lin(dlt.randn(2, 1)):sum():item() == lin(dlt.randn(2, 1)):sum():item() or true,
      dlt.ones(10):sum():item())
  ]])
  local out, rc = run("(" .. limit .. "OPENBLAS_NUM_THREADS=1 exec " .. q(exe) .. " " .. q(s) .. ")")
  T.eq(rc, 0, "exit status (output: " .. out .. ")")
  local first = out:match("^[^\n]*")
  assert(first:find("^false\t[^\n]*cannot allocate %d+ bytes"), out)
  assert(out:find("\nfalse\t[^\n]*cannot allocate %d+ bytes"), out)
  assert(out:find("after\ttrue\t10"), out)
end)

-- ------------------------------------------------------------------ memory comes back

T.test("autograd graphs, modules and optimizers are freed when collected", function()
  local base = live_bytes()
  for _ = 1, 20 do
    local model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    local opt = optim.Adam(model:parameters(), { lr = 1e-3 })
    local x, y = dlt.randn(32, 8), dlt.randint(1, 4, { 32 })
    local loss = nn.CrossEntropyLoss()(model(x), y)
    opt:zero_grad()
    loss:backward()
    opt:step()
    local kept = model(x):sum() -- a graph that is never run backward
    local _ = kept
  end
  T.eq(live_bytes(), base, "bytes of tensor storage after dropping 20 trained models")
end)

T.test("graphs kept alive by Lua values die with them: module fields, retained graphs", function()
  local base = live_bytes()
  do
    local Net = nn.Module:extend("KeepsOutput")
    function Net:init() self.fc = nn.Linear(4, 4) end
    function Net:forward(x)
      local y = self.fc(x):tanh()
      self.last = y -- the output (and its graph, holding the parameters) on the module
      return y
    end
    for _ = 1, 10 do
      local m = Net()
      local y = m(dlt.randn(5, 4, { requires_grad = true }))
      y:sum():backward({ retain_graph = true })
      local w = dlt.randn(4, { requires_grad = true })
      local z = (w * w):sum()
      z:backward()
      local _ = w.grad
    end
  end
  T.eq(live_bytes(), base, "bytes after modules holding their own graphs are collected")
end)

T.test("errors half way through an op or a training step leak nothing", function()
  local base = live_bytes()
  for _ = 1, 10 do
    local lin = nn.Linear(3, 2)
    pcall(function() return lin(dlt.randn(4, 5)) end)
    pcall(function() return dlt.randn(3, 4):matmul(dlt.randn(5, 2)) end)
    pcall(function() return dlt.cat({ dlt.randn(2, 3), dlt.randn(2, 4) }, 1) end)
    pcall(function() return nn.CrossEntropyLoss()(dlt.randn(4, 3), dlt.tensor({ 1, 2, 3, 9 })) end)
    local x = dlt.randn(3, { requires_grad = true })
    local y = x:exp()
    y:sum():backward()
    pcall(function() y:sum():backward() end) -- the graph was freed: an error
    local opt = optim.SGD(lin:parameters(), { lr = 0.1 })
    pcall(function() opt:step(function() error("closure fails") end) end)
  end
  T.eq(live_bytes(), base, "bytes after failing calls")
end)

-- ------------------------------------------------------------------ hostile arguments

T.test("hostile numbers are errors: NaN, infinities, huge and negative sizes", function()
  T.raises(function() dlt.zeros(0 / 0) end, "zeros")
  T.raises(function() dlt.zeros(math.huge) end, "zeros")
  T.raises(function() dlt.zeros(-1) end, "zeros")
  T.raises(function() dlt.randn(2, 3):sum(0 / 0) end, "")
  T.raises(function() dlt.randn(2, 3):narrow(1, 1, 2 ^ 62) end, "narrow")
  T.raises(function() dlt.randn(2, 3):select(1, math.mininteger) end, "select")
  T.raises(function() dlt.randn(2, 3):view(-1, -1) end, "view")
  T.raises(function() nn.Linear(-1, 3) end, "Linear")
  T.raises(function() nn.Linear(0 / 0, 3) end, "Linear")
  T.raises(function() dlt.num_threads(0) end, "num_threads")
  T.raises(function() dlt.num_threads(2 ^ 40) end, "num_threads")
  T.raises(function() dlt.num_threads(0 / 0) end, "num_threads")
  T.raises(function() dlt.manual_seed(0 / 0) end, "manual_seed")
end)

T.test("empty tensors, non-contiguous views and the other dtype", function()
  local e = dlt.zeros(0, 3)
  T.eq(e:sum():item(), 0, "sum of empty")
  T.eq(e:matmul(dlt.ones(3, 2)):numel(), 0, "matmul with an empty operand")
  local v = dlt.randn(4, 6):t():narrow(1, 2, 3) -- non-contiguous
  T.close(v:clone(), v, 0, 0, "clone of a view")
  T.raises(function() return dlt.ones(2, 3) + dlt.ones(2, 3, { dtype = "float64" }):t() end, "")
  local lin = nn.Linear(3, 2)
  T.raises(function() lin(dlt.randn(4, 3, { dtype = "float64" })) end, "float64")
end)

T.test("linear algebra refuses NaN and infinity instead of hanging in LAPACK", function()
  -- in a child with a time limit: LAPACK's dgelsd loops forever on an infinity
  local s = write_script("lstsq.lua", [[
    local A = dlt.tensor({ { 1 / 0, 1, 2 }, { 1, 2, 3 }, { 3, 4, 5 } })
    print(pcall(dlt.linalg.lstsq, A, dlt.ones(3)))
    print(pcall(dlt.linalg.lstsq, dlt.ones(3, 2), dlt.tensor({ 1, 0 / 0, 2 })))
    print(pcall(dlt.polyfit, dlt.tensor({ 1, 2, math.huge }), dlt.tensor({ 1, 2, 3 }), 1))
    print(pcall(dlt.polyfit, dlt.tensor({ 1, 2, 3 }), dlt.tensor({ 1, -math.huge, 3 }), 1))
  ]])
  local out, rc = run("timeout 30 " .. q(exe) .. " " .. q(s))
  T.eq(rc, 0, "exit status (124: it hung) of\n" .. out)
  local _, n = out:gsub("false\t[^\n]*lstsq: ", "")
  local _, m = out:gsub("false\t[^\n]*polyfit: ", "")
  T.eq(n, 2, "lstsq errors in\n" .. out)
  T.eq(m, 2, "polyfit errors in\n" .. out)
end)

T.test("__gc called by hand, then the object used: an error, not a crash", function()
  -- in a child, so that a crash is reported as this test's failure
  local s = write_script("gc.lua", [[
    local function must_fail(f, what)
      local ok, err = pcall(f)
      assert(not ok, what .. ": no error")
      print("error", what, err)
    end
    local t = dlt.ones(3)
    getmetatable(t).__gc(t)
    getmetatable(t).__gc(t) -- twice is harmless
    must_fail(function() return t:sum() end, "tensor")
    local lin = dlt.nn.Linear(2, 2)
    local mgc = getmetatable(lin).__gc
    mgc(lin)
    mgc(lin)
    pcall(function() return lin(dlt.ones(1, 2)) end)
    pcall(function() return tostring(lin) end)
    pcall(function() return lin:parameters() end)
    local fig, ax = dlt.plot.subplots()
    getmetatable(fig).__gc(fig)
    getmetatable(fig).__gc(fig)
    must_fail(function() fig:tight_layout() end, "figure")
    must_fail(function() ax:plot({ 1, 2 }) end, "axes")
    must_fail(function() dlt.plot.savefig("x.png") end, "pyplot")
    -- a __gc handed another kind of userdata leaves it alone
    local lin2 = dlt.nn.Linear(2, 2)
    pcall(getmetatable(dlt.ones(1)).__gc, lin2)
    pcall(getmetatable(fig).__gc, lin2)
    local t2 = dlt.ones(2)
    pcall(getmetatable(lin2).__gc, t2)
    pcall(getmetatable(fig).__gc, t2)
    assert(lin2(dlt.ones(1, 2)):numel() == 2, "the module still works")
    assert(t2:sum():item() == 2, "the tensor still works")
    dlt.plot.close("all")
    collectgarbage()
    print("done")
  ]])
  local out, rc = run("cd " .. q(tmp) .. " && timeout 60 " .. q(exe) .. " " .. q(s))
  T.eq(rc, 0, "exit status (139: a crash) of\n" .. out)
  assert(out:find("done", 1, true), out)
end)

T.test("regressions found by the fuzzer: each was a crash, hang, leak or UBSan report", function()
  -- softmax's dim went through (int): 2^31 overflowed the message, 2^32 + 1 meant dim 1
  T.raises(function() nn.functional.softmax(dlt.ones(2, 3), 2 ^ 31) end, "softmax: dimension 2147483648 out of range")
  T.raises(function() nn.functional.log_softmax(dlt.ones(2, 3), 2 ^ 32 + 1) end, "log_softmax: dimension")
  T.raises(function() nn.Softmax(2 ^ 32 + 1) end, "Softmax: dim 4294967297 is out of range")
  -- an empty tensor whose other sizes multiply past 2^63 overflowed its strides
  T.raises(function() dlt.randn(0, 1101659111424, 1101659111424, 4) end, "overflow")
  T.eq(dlt.zeros(0, 2 ^ 40, 2 ^ 20):numel(), 0, "empty with large sizes that fit")
  -- text where a log axis cannot show it made cairo's matrix singular: savefig failed
  -- and cairo leaked; limits of -+1e308 overflowed the tick formatter and the image scale
  local plt = dlt.plot
  local p = tmp .. "/regress.png"
  plt.figure()
  plt.scatter({ 1, 2 }, { 1, 2 })
  plt.yscale("log")
  plt.text(0, 0, "not on a log axis")
  plt.savefig(p)
  plt.figure()
  plt.imshow(dlt.randn(3, 3))
  plt.colorbar()
  plt.xlim(1e308, -1e308)
  plt.savefig(p)
  plt.close("all")
  os.remove(p)
  -- a module that contains itself sent parameters(), eval(), tostring() into endless
  -- recursion with ever longer prefixes (a hang): now an error naming the cause
  local Net = nn.Module:extend("Cyclic")
  function Net:init() self.fc = nn.Linear(2, 2) end
  local m = Net()
  m.loop = m
  for _, f in ipairs({ m.parameters, m.modules, m.eval, m.state_dict, tostring }) do
    T.raises(function() f(m) end, "nn: modules nested more than 100 deep: does a module contain itself?")
  end
  local seq = nn.Sequential(nn.Linear(2, 2))
  seq:append(seq)
  T.raises(function() seq(dlt.ones(1, 2)) end, "stack overflow")
  T.raises(function() seq:zero_grad() end, "does a module contain itself?")
end)

-- ------------------------------------------------------------------ detect_anomaly

T.test("detect_anomaly names the first op whose forward produced NaN or infinity", function()
  local x = dlt.tensor({ -1, 0, 4 }, { requires_grad = true })
  T.raises(function() dlt.autograd.detect_anomaly(function() return x:sqrt() end) end,
    "detect_anomaly: forward of Sqrt produced NaN")
  local z = dlt.tensor({ 1, 0, 4 }, { requires_grad = true })
  T.raises(function() dlt.autograd.detect_anomaly(function() return (z * 2):log() end) end,
    "detect_anomaly: forward of Log produced infinity")
  -- the first one: exp overflows to inf before the NaN of inf - inf
  local big = dlt.tensor({ 100, 1 }, { requires_grad = true })
  T.raises(function()
    dlt.autograd.detect_anomaly(function() local e = (big * 10):exp(); return e - e end)
  end, "forward of Exp")
  -- fused layers are ops too
  local lin = nn.Linear(2, 1)
  lin.weight:detach():fill_(0 / 0)
  T.raises(function() dlt.autograd.detect_anomaly(function() return lin(dlt.ones(3, 2)) end) end,
    "forward of Linear")
  -- off again afterwards, and outside it nothing is checked
  T.eq(x:sqrt():isnan():sum():item(), 1, "NaN passes outside detect_anomaly")
end)

T.test("detect_anomaly names the op whose backward produced NaN", function()
  local x = dlt.tensor({ 0, 1 }, { requires_grad = true })
  local err = T.raises(function()
    dlt.autograd.detect_anomaly(function() (x:sqrt() * 0):sum():backward() end)
  end, "detect_anomaly: ")
  assert(err:find("Backward produced NaN in its gradient", 1, true), err)
  T.eq(dlt.autograd.detect_anomaly(function() return 7 end), 7, "returns fn's results")
end)

-- ------------------------------------------------------------------ files

local function no_temp_left(dir, what)
  for _, n in ipairs(listdir(dir)) do
    assert(not n:find("tmp", 1, true), what .. ": a temporary file was left behind: " .. n)
  end
end

T.test("a save into a missing directory is an error that leaves nothing behind", function()
  local d = tmp .. "/missing/deeper"
  local m = nn.Linear(2, 2)
  T.raises(function() dlt.save(d .. "/m.safetensors", m:state_dict()) end, "")
  T.raises(function() dlt.save_npy(d .. "/t.npy", dlt.ones(2)) end, "")
  local fig = dlt.plot.figure()
  dlt.plot.plot({ 1, 2 }, { 1, 3 })
  T.raises(function() fig:savefig(d .. "/f.png") end, "")
  dlt.plot.close("all")
  assert(not exists(tmp .. "/missing"), "nothing was created")
end)

T.test("a save into a read-only directory is an error that leaves nothing behind", function()
  -- root ignores permission bits, so there a directory of a read-only file system stands in
  local ro = tmp .. "/ro"
  if is_root then
    ro = "/proc/self"
  else
    os.execute("mkdir -p " .. q(ro) .. " && chmod 555 " .. q(ro))
  end
  T.raises(function() dlt.save(ro .. "/m.safetensors", { w = dlt.ones(2) }) end, "")
  T.raises(function() dlt.save_npy(ro .. "/t.npy", dlt.ones(2)) end, "")
  dlt.plot.figure()
  dlt.plot.plot({ 1, 2 }, { 1, 3 })
  T.raises(function() dlt.plot.savefig(ro .. "/f.png") end, "")
  dlt.plot.close("all")
  if not is_root then T.eq(#listdir(ro), 0, "files in the read-only directory") end
end)

T.test("a failed save keeps the previous file whole; a good one replaces it at once", function()
  local p = tmp .. "/ckpt.safetensors"
  local model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
  dlt.save(p, model:state_dict())
  local before = read(p)
  -- a value that is not a tensor fails part way through collecting the dict
  T.raises(function() dlt.save(p, { a = dlt.ones(2), b = "not a tensor" }) end, "")
  T.eq(read(p) == before, true, "the previous checkpoint is untouched")
  no_temp_left(tmp, "failed save")
  local loaded = dlt.load(p)
  local m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
  m2:load_state_dict(loaded)
  T.close(m2[1].weight, model[1].weight, 0, 0, "round trip")
  dlt.save_npy(tmp .. "/a.npy", dlt.ones(3))
  T.raises(function() dlt.save_npy(tmp .. "/a.npy", "nope") end, "")
  T.close(dlt.load_npy(tmp .. "/a.npy"), { 1, 1, 1 }, 0, 0, "npy kept")
  no_temp_left(tmp, "npy")
end)

T.test("Ctrl-C stops a training script with a Lua error; checkpoints stay whole", function()
  local dir = tmp .. "/int"
  os.execute("mkdir -p " .. q(dir))
  local s = write_script("train.lua", string.format([[
    local nn = dlt.nn
    local model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
    local opt = dlt.optim.SGD(model:parameters(), { lr = 0.01 })
    local x, y = dlt.randn(256, 8), dlt.randn(256, 1)
    io.stdout:write("started\n") io.stdout:flush()
    local step = 0
    while true do
      step = step + 1
      local loss = nn.MSELoss()(model(x), y)
      opt:zero_grad()
      loss:backward()
      opt:step()
      dlt.save(%q, model:state_dict())
      dlt.save_npy(%q, model[1].weight)
      dlt.plot.figure({ figsize = { 2, 2 } })
      dlt.plot.plot({ 1, 2, 3 }, { step, 1, 2 })
      dlt.plot.savefig(%q)
      dlt.plot.close()
    end
  ]], dir .. "/ckpt.safetensors", dir .. "/w.npy", dir .. "/fig.png"))
  local cmd = "(OPENBLAS_NUM_THREADS=1 " .. q(exe) .. " " .. q(s) ..
    " & pid=$!; sleep " .. (sanitized and "6" or "1.5") .. "; kill -INT $pid; wait $pid; echo \"child=$?\")"
  local out = run(cmd)
  assert(out:find("started", 1, true), out)
  assert(out:find("interrupted!", 1, true), "a Lua error: " .. out)
  assert(out:find("child=1\n", 1, true), "exit status 1 (and no sanitizer report): " .. out)
  no_temp_left(dir, "interrupted saves")
  local sd = dlt.load(dir .. "/ckpt.safetensors")
  T.eq(sd["1.weight"]:numel(), 512, "the last checkpoint loads whole")
  T.eq(dlt.load_npy(dir .. "/w.npy"):numel(), 512, "the last .npy loads whole")
  T.eq(read(dir .. "/fig.png"):sub(-8, -5), "IEND", "the last figure ends in IEND")
end)

T.test("cleanup", function()
  os.execute("chmod -R u+w " .. q(tmp) .. " 2>/dev/null; rm -rf " .. q(tmp))
end)

T.run()
