-- test_hostile.lua: what a hostile script tried (issue 12) and must get a clean Lua error
-- or a right answer for: options tables with metamethods, __gc called by hand, dtype
-- changes between forward and backward, removed buffers, huge integers, aliased and
-- overlapping writes, files (atomic writer, long names, special files). Every case
-- here crashed, leaked, or answered wrongly before; under ASan+UBSan+LSan (build-asan)
-- a memory error in any of them is a report.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local nn, F, optim = dlt.nn, dlt.nn.functional, dlt.optim

local function gc_by_hand(obj) getmetatable(obj).__gc(obj) end

-- an options table whose every lookup through metamethods frees `victim` by hand and
-- collects: a binding must read options raw (or hold what it uses)
local function evil_opts(victim, known)
  local hits = { n = 0 }
  local mt = {
    __index = function(_, k)
      hits.n = hits.n + 1
      if victim[1] then gc_by_hand(victim[1]) end
      collectgarbage()
      return nil
    end,
  }
  return setmetatable(known or {}, mt), hits
end

-- ------------------------------------------------------------------ item 1

T.test("options tables are read raw: an __index that frees the input is never run by a binding", function()
  local plt = dlt.plot
  local cases = {
    { "batch_norm", function(x, o) return F.batch_norm(x, dlt.zeros(3), dlt.ones(3), o) end, { 4, 3 } },
    { "layer_norm", function(x, o) return F.layer_norm(x, { 3 }, o) end, { 4, 3 } },
    { "group_norm", function(x, o) return F.group_norm(x, 1, o) end, { 4, 3 } },
    { "instance_norm", function(x, o) return F.instance_norm(x, o) end, { 2, 3, 4 } },
    { "kaiming_uniform_", function(x, o) return nn.init.kaiming_uniform_(x, o) end, { 4, 3 } },
    { "xavier_uniform_", function(x, o) return nn.init.xavier_uniform_(x, o) end, { 4, 3 } },
    { "mse_loss", function(x, o) return F.mse_loss(x, dlt.zeros(4, 3), o) end, { 4, 3 } },
    { "cross_entropy", function(x, o) return F.cross_entropy(x, dlt.tensor({ 1, 2, 3, 1 }), o) end, { 4, 3 } },
    { "var", function(x, o) return x:var(o) end, { 4, 3 } },
    { "tensor", function(x, o) return dlt.tensor(x, o) end, { 4, 3 } },
    { "zeros_like", function(x, o) return dlt.zeros_like(x, o) end, { 4, 3 } },
    { "full_like", function(x, o) return dlt.full_like(x, 2, o) end, { 4, 3 } },
    { "plot", function(x, o) local _, ax = plt.subplots(); return ax:plot(x:select(2, 1), o) end, { 4, 3 } },
  }
  for _, c in ipairs(cases) do
    local x = dlt.randn(table.unpack(c[3]))
    local opts = evil_opts({ x })
    local ok, err = pcall(c[2], x, opts)
    assert(ok or type(err) == "string", c[1] .. ": error is not a message")
    -- the input was freed by hand or not: using it again is a result or a clean error
    local ok2, err2 = pcall(function() return x + 1 end)
    assert(ok2 or tostring(err2):find("tensor"), c[1] .. ": " .. tostring(err2))
  end
  -- plain C bindings never run the metamethod at all
  local x = dlt.randn(4, 3)
  local opts, hits = evil_opts({ x })
  F.batch_norm(x, dlt.zeros(3), dlt.ones(3), opts)
  F.layer_norm(x, { 3 }, opts)
  T.eq(hits.n, 0, "__index calls from C option readers")
  T.eq(x:sum():item() == x:sum():item(), true, "x still usable")
end)

T.test("fig:colorbar and option strings returned by __index stay valid", function()
  local plt = dlt.plot
  local fig, ax = plt.subplots()
  local m = ax:imshow(dlt.randn(3, 3))
  local ok = pcall(fig.colorbar, fig, m, evil_opts({ fig }))
  assert(ok or true)
  -- text options whose values come from __index: a new string each time, collected at once
  local fig2, ax2 = plt.subplots()
  local strs = setmetatable({}, { __index = function(_, k)
    collectgarbage()
    if k == "ha" or k == "horizontalalignment" then return string.rep("c", 1) .. "enter" end
    if k == "ls" or k == "linestyle" then return "-" .. string.rep("-", 1) end
  end })
  pcall(ax2.text, ax2, 0.5, 0.5, "hi", strs)
  pcall(ax2.plot, ax2, { 1, 2, 3 }, strs)
  local path = os.tmpname()
  fig2:savefig(path .. ".png")
  os.remove(path .. ".png")
  os.remove(path)
end)

T.test("__gc by hand on a live tensor or figure: later use is a clean error, memory comes back", function()
  collectgarbage()
  collectgarbage()
  local base = dlt.memory_in_use()
  local x = dlt.randn(100)
  gc_by_hand(x)
  gc_by_hand(x)
  T.raises(function() return x:sum() end, "freed by its __gc")
  T.raises(function() return dlt.add(x, 1) end, "")
  x = nil
  collectgarbage()
  collectgarbage()
  T.eq(dlt.memory_in_use(), base, "bytes in use after the box is collected")
  local fig, ax = dlt.plot.subplots()
  gc_by_hand(fig)
  T.raises(function() fig:savefig("never.png") end, "freed by its __gc")
  T.raises(function() ax:plot({ 1, 2 }) end, "freed by its __gc")
  -- a tensor freed by hand in the middle of the binding that uses it
  local y = dlt.randn(4, 3)
  local o = setmetatable({}, { __index = function() gc_by_hand(y); collectgarbage() end })
  local r = F.layer_norm(y, { 3 }, o)
  T.eq(r:size(1), 4, "layer_norm result")
end)

T.test("__gc by hand from a Lua finalizer run inside the binding using that tensor: it finishes, the tensor is freed once", function()
  -- x.shape makes its table (an allocation, which steps the collector, which runs the
  -- finalizers) and then reads x's sizes: a finalizer that calls x's __gc by hand there
  -- only disarms the box, and the collector's own __gc (which scripts cannot reach:
  -- getmetatable shows a copy) frees the tensor once the box is garbage
  collectgarbage()
  collectgarbage()
  local base = dlt.memory_in_use()
  local cur
  local shapes, freed = 0, 0
  collectgarbage("incremental", 0, 1000, 0)  -- a step at every allocation
  for _ = 1, 20 do
    for _ = 1, 20 do setmetatable({}, { __gc = function() gc_by_hand(cur) end }) end
    for _ = 1, 20 do
      cur = dlt.randn(16, 16)
      local ok, s = pcall(function() return cur.shape end)
      if ok and s[1] == 16 and s[2] == 16 then shapes = shapes + 1 else freed = freed + 1 end
    end
  end
  collectgarbage("incremental", 200, 100, 13)  -- Lua 5.4's defaults
  T.eq(shapes + freed, 400, "every x.shape finished")
  T.eq(getmetatable(cur).__gc == debug.getmetatable(cur).__gc, false, "the collector's __gc is not the one shown")
  -- the header and storage pool hide a use after free from ASan; what keeps one from
  -- happening is seen in the bytes: by hand, the tensor stays until its box is collected
  local held = dlt.memory_in_use()
  gc_by_hand(cur)
  T.eq(dlt.memory_in_use(), held, "bytes in use right after __gc by hand")
  T.raises(function() return cur:sum() end, "freed by its __gc")
  cur = nil
  collectgarbage()
  collectgarbage()
  T.eq(dlt.memory_in_use(), base, "bytes in use once the boxes are collected")
end)

-- ------------------------------------------------------------------ items 2-4

T.test("a module converted between forward and backward: backward refuses, as for an in-place change", function()
  local makers = {
    { "LinearBackward", function() return nn.Linear(3, 2) end, { 4, 3 } },
    { "BatchNormBackward", function() return nn.BatchNorm1d(3) end, { 4, 3 } },
    { "LayerNormBackward", function() return nn.LayerNorm(3) end, { 4, 3 } },
  }
  for _, c in ipairs(makers) do
    for _, way in ipairs({ { "double", "float", "float64" }, { "float", "double", "float32" } }) do
      local m = c[2]()
      m[way[1]](m)
      local y = m(dlt.randn(c[3][1], c[3][2], { dtype = way[3] }))
      m[way[2]](m)
      T.raises(function() y:sum():backward() end, "needed by " .. c[1] .. " was modified by an in-place operation",
        c[1] .. " after :" .. way[2] .. "()")
    end
  end
  -- nn._convert_ on a Lua module's tensor counts the same
  local w = dlt.randn(3, 3):requires_grad_()
  local y = w * w
  nn._convert_(w, "float64")
  T.raises(function() y:sum():backward() end, "modified by an in-place operation", "_convert_")
end)

T.test("a norm's buffers and affine pair cannot be removed through their fields", function()
  local bn = nn.BatchNorm1d(3)
  T.raises(function() bn.num_batches_tracked = nil end, "BatchNorm1d: num_batches_tracked is a buffer and cannot be removed")
  T.raises(function() bn.running_mean = nil end, "BatchNorm1d: running_mean is a buffer")
  T.raises(function() bn.bias = nil end, "BatchNorm1d: bias cannot be removed (construct the module with affine = false")
  T.eq(bn(dlt.randn(4, 3)):size(1), 4, "forward after the refused writes")
  local inorm = nn.InstanceNorm1d(3, { track_running_stats = true })
  T.raises(function() inorm.running_mean = nil end, "InstanceNorm1d: running_mean is a buffer")
  T.raises(function() inorm.running_var = nil end, "InstanceNorm1d: running_var is a buffer")
  T.eq(inorm(dlt.randn(2, 3, 5)):size(3), 5, "InstanceNorm1d forward")
  local ln = nn.LayerNorm(3)
  T.raises(function() ln.weight = nil end, "elementwise_affine = false")
  local conv = nn.Conv2d(3, 2, 3)
  conv.weight = nil
  T.raises(function() conv(dlt.randn(1, 3, 5, 5)) end, "Conv2d: weight must be a tensor, got nil")
  local lin = nn.Linear(3, 2)
  lin.bias = nil  -- Linear's bias alone is optional, as in PyTorch
  T.eq(lin(dlt.randn(1, 3)):size(2), 2, "Linear without bias")
end)

T.test("empty inputs through BatchNorm2d in eval mode (and an empty batch through conv2d): empty results, no crash", function()
  -- eval mode takes no statistics, so empty input is valid (as in PyTorch); the kernels
  -- size their channel blocks by N*H*W, which is 0 here. Conv2d, as PyTorch's, takes an
  -- empty batch but not an empty plane.
  for _, shape in ipairs({ { 0, 3, 4, 4 }, { 2, 3, 0, 4 } }) do
    for _, dtype in ipairs({ "float32", "float64" }) do
      local x = dlt.randn(shape, { dtype = dtype }):requires_grad_()
      local bn = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU()):to(dtype):eval()
      local conv = nn.Conv2d(3, 2, 1):to(dtype)
      local y = shape[1] == 0 and conv(bn(x)) or bn(x)
      y:sum():backward()
      local what = string.format("%s %s", table.concat(shape, "x"), dtype)
      T.eq(y:numel(), 0, what .. ": empty output")
      T.eq(x.grad:numel(), 0, what .. ": empty input gradient")
      if shape[1] == 0 then T.close(conv.bias.grad, { 0, 0 }, 0, 0, what .. ": the bias gradient of nothing is 0") end
    end
  end
end)

T.test("expand to sizes that multiply past 2^63 is refused, as a new tensor of them is (found by fuzz_api)", function()
  local t = dlt.tensor(1)
  T.raises(function() return t:expand(2 ^ 40, 2 ^ 40, 2 ^ 40) end,
    "expand: the sizes of {1099511627776,1099511627776,1099511627776} multiply past 2^63")
  T.raises(function() return t:expand(2 ^ 40, 2 ^ 40, 0) end, "multiply past 2^63")
  T.eq(t:expand(2 ^ 31, 2 ^ 31):numel(), 2 ^ 62, "2^62 elements of one value are a view")
end)

T.test("huge integers: optimizer step counts and DataLoader rows are range-checked before arithmetic", function()
  for _, name in ipairs({ "Adam", "AdamW", "NAdam", "Adagrad" }) do
    for _, bad in ipairs({ math.maxinteger, 2 ^ 53 | 0, -5 }) do
      local p = dlt.randn(3):requires_grad_()
      local opt = optim[name]({ p }, { lr = 0.1 })
      p:sum():backward()
      opt:step()
      opt.state[p].step = bad
      T.raises(function() opt:step() end, name .. ".step: step ", name .. " with step " .. bad)
      local sum = p:sum():item()
      T.eq(sum == sum, true, name .. ": parameters are not NaN")
    end
    local p = dlt.randn(3):requires_grad_()
    local opt = optim[name]({ p }, { lr = 0.1 })
    p:sum():backward()
    opt:step()
    opt.state[p].step = 1.5
    T.raises(function() opt:step() end, "state step must be an integer, got 1.5", name .. " fractional step")
  end
  local t = dlt.randn(3, 2)
  T.raises(function() dlt._take_rows({ t }, nil, math.maxinteger, 2) end, "out of range")
  T.raises(function() dlt._take_rows({ t }, dlt.tensor({ 1, 2, 3 }), math.maxinteger, 2) end, "out of range")
  T.raises(function() dlt._take_rows({ t }, dlt.tensor({ 1, 2, 3 }), 2, math.maxinteger) end, "out of range")
  T.eq(dlt._take_rows({ t }, nil, 3, 1):size(1), 1, "the last row")
end)

T.test("huge output sizes of the adaptive pools are 'cannot allocate', not a signed overflow", function()
  T.raises(function() F.adaptive_avg_pool1d(dlt.randn(2, 3, 4), math.maxinteger) end, "cannot allocate")
  T.raises(function() F.adaptive_avg_pool2d(dlt.randn(2, 3, 4, 4), { 2 ^ 31, 2 ^ 31 }) end, "cannot allocate")
  T.raises(function() F.adaptive_avg_pool1d(dlt.randn(2, 3, 4), -2 ^ 40) end,
    "output_size must be positive, got -1099511627776")
end)

-- ------------------------------------------------------------------ items 5 and 12

T.test("a Sequential freed by hand by its own Lua child during forward finishes, and is freed once", function()
  collectgarbage()
  collectgarbage()
  local base = dlt.memory_in_use()
  local seq
  local Killer = nn.Module:extend("Killer")
  function Killer:forward(x)
    gc_by_hand(seq)
    collectgarbage()
    return x
  end
  seq = nn.Sequential(nn.Linear(3, 3), Killer(), nn.ReLU(), nn.Linear(3, 2))
  local y = seq(dlt.randn(4, 3))
  T.eq(y:size(2), 2, "the forward that freed it")
  T.raises(function() return seq(dlt.randn(4, 3)) end, "freed by its __gc")
  T.raises(function() seq.training = false end, "freed by its __gc")
  gc_by_hand(seq)  -- twice is harmless
  local lin = nn.Linear(2, 2)
  getmetatable(lin).__gc(lin, "extra")  -- only the module changes: strings keep their methods
  T.eq(("extra"):upper(), "EXTRA", "string methods after __gc(module, string)")
  seq, y, lin = nil, nil, nil
  collectgarbage()
  collectgarbage()
  T.eq(dlt.memory_in_use(), base, "bytes in use once it is collected")
end)

T.test("huge font sizes are refused up front, and one too large for the dpi leaves later figures working", function()
  local plt = dlt.plot
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. dir)
  local fig, ax = plt.subplots()
  T.raises(function() ax:text(0.5, 0.5, "big", { fontsize = 6e4 }) end, "text: fontsize 60000.0 must be a number from 0 to 10000")
  T.raises(function() ax:set_title("t", { fontsize = 1e300 }) end, "fontsize")
  T.raises(function() ax:legend({ fontsize = 0 / 0 }) end, "fontsize")
  -- the largest size allowed, saved at a dpi that makes it 111111 pixels: skipped
  ax:text(0.5, 0.5, "big", { fontsize = 10000 })
  fig:savefig(dir .. "/big.png", { dpi = 800 })
  local fig2, ax2 = plt.subplots()
  ax2:plot({ 1, 2, 3 })
  ax2:set_title("after")
  fig2:savefig(dir .. "/after.png")
  local f = assert(io.open(dir .. "/after.png", "rb"))
  T.eq(f:read(4), "\137PNG", "the later figure saved")
  f:close()
  os.execute("rm -rf " .. dir)
end)

-- ------------------------------------------------------------------ items 15-18: files

local function scratch_dir()
  local d = io.popen("mktemp -d"):read("l")
  assert(d and #d > 0, "mktemp -d failed")
  return d
end
local function listdir(d)
  local names = {}
  for l in io.popen("ls -A '" .. d .. "'"):lines() do names[#names + 1] = l end
  table.sort(names)
  return names
end
local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function my_pid()
  return slurp("/proc/self/stat"):match("^(%d+)")
end

T.test("savefig, save and save_npy never write through a planted temporary name", function()
  local d = scratch_dir()
  local victim = d .. "/victim"
  local f = assert(io.open(victim, "wb"))
  f:write("precious")
  f:close()
  -- every name the old writers used beside the target: path.tmp<pid>, path.tmpNNNNNN
  local pid = my_pid()
  local targets = { d .. "/fig.png", d .. "/ckpt.safetensors", d .. "/a.npy" }
  for _, t in ipairs(targets) do
    os.execute("ln -s '" .. victim .. "' '" .. t .. ".tmp" .. pid .. "'")
  end
  local fig, ax = dlt.plot.subplots()
  ax:plot({ 1, 2, 3 })
  fig:savefig(targets[1])
  dlt.save(targets[2], { w = dlt.ones(3) })
  dlt.save_npy(targets[3], dlt.ones(3))
  T.eq(slurp(victim), "precious", "the symlink's target")
  T.eq(slurp(targets[1]):sub(2, 4), "PNG", "the figure")
  T.eq(dlt.load(targets[2]).w:sum():item(), 3, "the checkpoint")
  T.eq(dlt.load_npy(targets[3]):sum():item(), 3, "the array")
  -- nothing left beside them but what was planted
  T.eq(#listdir(d), 1 + 2 * #targets, "files in the directory")
  os.execute("rm -rf '" .. d .. "'")
end)

T.test("a valid 250-character file name saves: the temporary name does not grow with it", function()
  local d = scratch_dir()
  local fig, ax = dlt.plot.subplots()
  ax:plot({ 1, 2 })
  local png = d .. "/" .. string.rep("p", 251) .. ".png"   -- 255 bytes, the limit
  fig:savefig(png)
  T.eq(slurp(png):sub(2, 4), "PNG", "255-byte PNG name")
  local st = d .. "/" .. string.rep("s", 250)
  dlt.save(st, { x = dlt.ones(2) })
  T.eq(dlt.load(st).x:sum():item(), 2, "250-byte checkpoint name")
  local npy = d .. "/" .. string.rep("n", 255)
  dlt.save_npy(npy, dlt.ones(2))
  T.eq(dlt.load_npy(npy):sum():item(), 2, "255-byte .npy name")
  T.eq(#listdir(d), 3, "no temporary file left")
  -- one byte more is the system's refusal, named
  T.raises(function() dlt.save_npy(d .. "/" .. string.rep("n", 256), dlt.ones(2)) end, "save_npy: cannot")
  os.execute("rm -rf '" .. d .. "'")
end)

T.test("loaders read regular files only: /dev/zero, a FIFO without a writer, a directory", function()
  local d = scratch_dir()
  os.execute("mkfifo '" .. d .. "/fifo'")
  for _, path in ipairs({ "/dev/zero", d .. "/fifo" }) do
    T.raises(function() return dlt.load_npy(path) end, "load_npy: cannot read '" .. path .. "': not a regular file")
    T.raises(function() return dlt.load(path) end, "load: cannot read '" .. path .. "': not a regular file")
    T.raises(function() return dlt.data.load_csv(path) end, "load_csv: cannot read '" .. path .. "': not a regular file")
  end
  T.raises(function() return dlt.load_npy(d) end, "Is a directory")
  os.execute("rm -rf '" .. d .. "'")
end)

T.test("an allocation larger than the memory available is 'cannot allocate', not the kernel's kill", function()
  -- sizes well past any machine's memory: 24 GB (the issue's example) fits under this
  -- machine's 23 GiB, and on an idle machine it was allocated and populated
  T.raises(function() return dlt.data.make_blobs(10, { n_features = 1e11 }) end, "cannot allocate 2400000000000 bytes")
  -- make_blobs(10, {n_features = 1e9}) in a child under a 2 GB address-space limit: on an
  -- idle machine its first buffers (GBs) would really be mapped, and the machine is shared.
  -- ASan cannot run under ulimit -v: there a size no machine has is asked for instead.
  local maps = io.open("/proc/self/maps", "r")
  local sanitized = maps:read("a"):find("libasan", 1, true) ~= nil
  maps:close()
  if sanitized then
    T.raises(function() return dlt.data.make_blobs(10, { n_features = 1e13 }) end, "cannot allocate")
  else
    local exe = arg[-1]
    if exe:sub(1, 1) ~= "/" then exe = io.popen("pwd"):read("l") .. "/" .. exe end
    local out, rc = T.shell("(ulimit -v 2000000; OPENBLAS_NUM_THREADS=1 exec " .. T.quote(exe) ..
      " -e 'print(pcall(require(\"dlt\").data.make_blobs, 10, {n_features = 1e9}))')")
    T.eq(rc, 0, "exit status of the child (output: " .. out .. ")")
    assert(out:find("^false\t[^\n]*cannot allocate %d+ bytes"), out)
  end
  T.raises(function() return dlt.zeros(2 ^ 44) end, "cannot allocate")
  local X = dlt.data.make_blobs(10, { n_features = 3 })
  T.eq(X:size(2), 3, "a small one still works")
end)

-- ------------------------------------------------------------------ items 6-14

T.test("writes into aliased elements or partially overlapping inputs are refused, naming the op", function()
  local t = dlt.ones(3)
  local function e() return dlt.zeros(1):expand(3) end
  local expanded = "more than one element of the written-to tensor refers to a single memory location"
  T.raises(function() e():add_(t) end, "add_: unsupported operation: " .. expanded)
  T.raises(function() e():copy_(t) end, "copy_: unsupported operation: " .. expanded)
  T.raises(function() e():uniform_() end, "uniform_: unsupported operation: " .. expanded)
  T.raises(function() e():fill_(2) end, "fill_: unsupported operation")
  T.raises(function() e():mul_(2) end, "mul_: unsupported operation")
  T.raises(function() local x = e(); x[1] = 9 end, "index assignment: unsupported operation")
  local p = dlt.randn(3):requires_grad_()
  p.grad = e()
  T.raises(function() (p * 2):sum():backward() end, "unsupported operation: " .. expanded)
  local m = dlt.randn(3, 3)
  local before = m:clone()
  local partial = "some elements of the input tensor and the written-to tensor refer to a single memory location"
  T.raises(function() m:add_(m:t()) end, "add_: unsupported operation: " .. partial)
  T.raises(function() m:copy_(m:t()) end, "copy_: unsupported operation: " .. partial)
  T.eq(m:eq(before):all():item() ~= 0 and m:eq(before):all():item() ~= false, true, "m untouched")
  local x = dlt.arange(1, 5)
  T.raises(function() x:narrow(1, 1, 3):copy_(x:narrow(1, 2, 3)) end, "copy_: unsupported operation")
  -- the same tensor, and disjoint parts of one storage, are fine (as in PyTorch)
  m:add_(m)
  T.close(m, before * 2, 0, 0, "m:add_(m)")
  m:select(1, 1):copy_(m:select(1, 2))
  T.close(m:select(1, 1), m:select(1, 2), 0, 0, "row copy")
end)

T.test("an optimizer step into an expanded parameter is refused, naming the optimizer", function()
  for _, name in ipairs({ "SGD", "Adam", "AdamW", "NAdam", "Adagrad", "RMSprop", "RAdam", "Adamax", "Adadelta" }) do
    local p = dlt.zeros(1):expand(3):requires_grad_()
    local opt = optim[name]({ p }, { lr = 0.1 })
    ;(p * dlt.tensor({ 1, 2, 3 })):sum():backward()
    T.raises(function() opt:step() end, name .. ".step: unsupported operation: more than one element", name)
    T.eq(p:sum():item(), 0, name .. ": the parameter is untouched")
  end
end)

T.test("cat and stack without a dim use dim 1", function()
  T.close(dlt.cat({ dlt.ones(2), dlt.zeros(3) }), { 1, 1, 0, 0, 0 }, 0, 0, "cat")
  local s = dlt.stack({ dlt.ones(2), dlt.zeros(2) })
  T.eq(s:size(1), 2, "stack rows")
  T.close(s, { { 1, 1 }, { 0, 0 } }, 0, 0, "stack")
end)

T.test("load_state_dict takes PyTorch's {strict = false}", function()
  local m = nn.Linear(2, 2)
  local sd = { weight = dlt.ones(2, 2) }
  T.raises(function() m:load_state_dict(sd) end, "missing key 'bias'")
  m:load_state_dict(sd, { strict = false })
  T.eq(m.weight:sum():item(), 4, "weight loaded")
  m:load_state_dict({ weight = dlt.zeros(2, 2), extra = dlt.ones(1) }, { strict = false })
  T.eq(m.weight:sum():item(), 0, "unexpected key ignored")
  T.raises(function() m:load_state_dict(sd, { strict = false, strikt = 1 }) end, "unknown option 'strikt'")
  T.raises(function() m:load_state_dict(sd, "no") end, "strict must be a boolean")
end)

T.test("DataLoader batch sizes: non-integers refused, one larger than the data gives one batch", function()
  local D = dlt.data
  local ds = D.TensorDataset(dlt.randn(5, 2), dlt.randn(5))
  T.raises(function() D.DataLoader(ds, { batch_size = math.huge }) end, "batch_size must be an integer, got inf")
  T.raises(function() D.DataLoader(ds, { batch_size = 2 ^ 63 }) end, "batch_size must be an integer")
  T.raises(function() D.DataLoader(ds, { batch_size = 0 }) end, "at least 1")
  for _, bs in ipairs({ math.maxinteger, 100 }) do
    local l = D.DataLoader(ds, { batch_size = bs })
    T.eq(#l, 1, "batches for " .. bs)
    local rows = 0
    for x in l:iter() do rows = rows + x:size(1) end
    T.eq(rows, 5, "rows for " .. bs)
  end
end)

T.test("load_csv: an empty field is an error, never a silent header", function()
  local p = os.tmpname()
  local f = assert(io.open(p, "w"))
  f:write("1,,2\n")
  f:close()
  T.raises(function() dlt.data.load_csv(p) end, "line 1, column 2: empty cell")
  f = assert(io.open(p, "w"))
  f:write("a,,c\n1,2,3\n")
  f:close()
  local X = dlt.data.load_csv(p)
  T.eq(X:size(1), 1, "a header with an empty name still is one")
  os.remove(p)
end)

T.test("an optimizer's parameter list with a hole is an error", function()
  local a, b = dlt.randn(2):requires_grad_(), dlt.randn(2):requires_grad_()
  T.raises(function() optim.SGD({ a, nil, b }, { lr = 0.1 }) end, "SGD: parameter 2 of group 1 is nil")
  T.raises(function() optim.Adam({ { params = { a, nil, b } } }) end, "parameter 2 of group 1 is nil")
  T.eq(#optim.SGD({ a, b }, { lr = 0.1 }).param_groups[1].params, 2, "a list without holes")
end)

T.test("infinite or zero hyper-parameters are refused with a message", function()
  T.raises(function() dlt.ones(3):uniform_(-math.huge, math.huge) end, "uniform_: the range [-inf, inf] must be finite")
  T.raises(function() nn.init.uniform_(dlt.ones(3), 0, math.huge) end, "must be finite")
  T.raises(function() dlt.ones(3):normal_(0, math.huge) end, "normal_: mean 0 and std inf must be finite")
  T.raises(function() nn.init.normal_(dlt.ones(3), -math.huge) end, "normal_: mean -inf and std 1 must be finite")
  local opt = optim.SGD({ dlt.randn(2):requires_grad_() }, { lr = 0.1 })
  T.raises(function() optim.lr_scheduler.OneCycleLR(opt, { max_lr = 1, total_steps = 10, div_factor = 0 }) end,
    "OneCycleLR: div_factor and final_div_factor must be positive and finite")
  T.raises(function()
    dlt.autograd.gradcheck(function(x) return x * 2 end, { dlt.randn(2, { dtype = "float64" }):requires_grad_() },
      { eps = math.huge })
  end, "gradcheck: eps must be positive and finite, got inf")
end)

T.test("junk written into an optimizer's lists or state is named, never a Lua internal", function()
  local function fresh(name)
    local p = dlt.randn(3):requires_grad_()
    local opt = optim[name]({ p }, { lr = 0.1 })
    p:sum():backward()
    opt:step()
    return opt, p
  end
  local opt, p = fresh("SGD")
  opt.param_groups[1].params = { 5 }
  T.raises(function() opt:step() end, "SGD.step: param_groups[1].params[1] must be a tensor, got number")
  opt, p = fresh("SGD")
  opt.param_groups[1].params = nil
  T.raises(function() opt:step() end, "SGD.step: param_groups[1].params must be a list of tensors, got nil")
  opt.param_groups = 5
  T.raises(function() opt:step() end, "SGD.step: param_groups must be a list of groups, got number")
  opt, p = fresh("Adam")
  opt.state = 5
  T.raises(function() opt:step() end, "Adam.step: state must be a table, got number")
  opt, p = fresh("Adam")
  opt.state[p] = 5  -- replaces p's state (not a second entry beside it)
  T.raises(function() opt:step() end, "Adam.step: state of param_groups[1].params[1] must be a table, got number")
  opt, p = fresh("Adam")
  opt.state[p] = {}
  T.raises(function() opt:step() end, "Adam.step: state of param_groups[1].params[1]: 'step' is missing")
  for _, name in ipairs({ "SGD", "Adam", "Adagrad", "RMSprop", "RAdam", "Adamax", "Adadelta", "NAdam" }) do
    opt, p = fresh(name)
    local st = opt.state[p]
    for k in pairs(st) do if k ~= "step" then st[k] = "junk" end end
    st.step = st.step and "junk"
    if next(st) then T.raises(function() opt:step() end, name .. ".step: state of param_groups[1].params[1]: '", name) end
  end
  opt, p = fresh("SGD")
  opt.state[p] = { momentum_buffer = "junk" }
  opt.param_groups[1].momentum = 0.9
  T.raises(function() opt:step() end, "'momentum_buffer': tensor expected, got string")
  local lb = optim.LBFGS({ p })
  local closure = function() lb:zero_grad(); local l = (p * p):sum(); l:backward(); return l end
  lb.param_groups[1].params = { 5 }
  T.raises(function() lb:step(closure) end, "LBFGS.step: param_groups[1].params[1] must be a tensor, got number")
  lb.param_groups[1].params = { p }
  lb.param_groups[1].lr = "x"
  T.raises(function() lb:step(closure) end, "LBFGS.step: param_groups[1].lr must be a number, got string")
  lb.param_groups[1].lr = 1
  lb.state[p] = 5
  T.raises(function() lb:step(closure) end, "LBFGS.step: the state of param_groups[1].params[1] must be a table")
end)

T.test("schedulers: a huge or NaN epoch and junk written into their fields are named errors", function()
  local sched = optim.lr_scheduler
  local function fresh() return optim.SGD({ dlt.randn(2):requires_grad_() }, { lr = 0.1 }) end
  local opt = fresh()
  local s = sched.CosineAnnealingWarmRestarts(opt, { T_0 = 10, T_mult = 2 })
  s:step(1e300)  -- T_mult^n past 2^63: was 'attempt to perform arithmetic on a nil value'
  s:step()
  local lr = opt.param_groups[1].lr
  T.eq(lr >= 0 and lr <= 0.1, true, "lr after epoch 1e300: " .. lr)
  T.raises(function() s:step(0 / 0) end, "CosineAnnealingWarmRestarts.step: epoch must be finite, got nan")
  T.raises(function() sched.StepLR(fresh(), { step_size = 2 }):step(0 / 0) end, "StepLR.step: epoch must be a number, got nan")
  s = sched.CosineAnnealingWarmRestarts(fresh(), { T_0 = 10 })
  s.T_cur = "junk"
  T.raises(function() s:step() end, "CosineAnnealingWarmRestarts.step: field 'T_cur' must be a number, got string")
  s = sched.StepLR(fresh(), { step_size = 2 })
  s.last_epoch = nil
  T.raises(function() s:step() end, "StepLR.step: field 'last_epoch' must be a number, got nil")
  s = sched.ReduceLROnPlateau(fresh())
  s.patience = "junk"
  T.raises(function() s:step(1) end, "ReduceLROnPlateau.step: field 'patience' must be a number, got string")
  opt = fresh()
  s = sched.ExponentialLR(opt, { gamma = 0.9 })
  opt.param_groups[1].lr = "x"
  T.raises(function() s:step() end, "ExponentialLR.step: optimizer.param_groups[1].lr must be a number, got string")
  s.optimizer = 5
  T.raises(function() s:step() end, "ExponentialLR.step: field 'optimizer' must be a table, got number")
  -- a method called with '.' and ChainedScheduler inside SequentialLR say what to do
  opt = fresh()
  T.raises(function() opt.step() end, "call it as opt:step(...), with ':'")
  local c = sched.ChainedScheduler({ sched.StepLR(opt, { step_size = 2 }) })
  T.raises(function() sched.SequentialLR(opt, { schedulers = { c, sched.StepLR(opt, { step_size = 2 }) }, milestones = { 2 } }) end,
    "SequentialLR: scheduler 1 is a ChainedScheduler, which SequentialLR cannot run")
end)

T.test("subplots reports the grid size it was given, however large", function()
  T.raises(function() dlt.plot.subplots(2 ^ 31, 1) end, "subplots: grid 2147483648x1 must be between 1x1 and 64x64")
  T.raises(function() dlt.plot.subplots(1, 2 ^ 40) end, "subplots: grid 1x1099511627776 must be between")
  T.raises(function() dlt.plot.subplots(-2 ^ 32, 2) end, "subplots: grid -4294967296x2 must be between")
end)

T.test("empty data in scatter, bar, hist and fill_between says it is empty", function()
  local _, ax = dlt.plot.subplots()
  T.raises(function() ax:scatter({}, {}) end, "scatter: x is empty (an empty table)")
  T.raises(function() ax:bar({}, {}) end, "bar: x is empty")
  T.raises(function() ax:hist({}) end, "hist: data is empty")
  T.raises(function() ax:fill_between({}, {}) end, "fill_between: x is empty")
  T.raises(function() ax:plot({}) end, "plot:")
end)

T.test("NaN prints as nan, in printouts and in messages", function()
  local nan = -(0 / 0)
  T.eq(tostring(dlt.tensor(nan)), "tensor(nan)", "0-D")
  T.eq(tostring(dlt.tensor({ nan, 1.5 })), "tensor([   nan, 1.5000])", "1-D")
  local err = T.raises(function() dlt.ones(3):uniform_(nan, nan) end, "uniform_")
  assert(not err:find("-nan", 1, true), err)
  err = T.raises(function() dlt.data.make_blobs(nan) end, "")
  assert(not err:find("-nan", 1, true), err)
  T.raises(function() dlt.data.DataLoader(dlt.data.TensorDataset(dlt.ones(3)), { batch_size = 0 / 0 }) end,
    "DataLoader: batch_size must be an integer, got nan")
end)

T.test("invalid UTF-8 in a label, title, text or tick label is refused when given, naming the call, not at savefig", function()
  local fig, ax = dlt.plot.subplots()
  local msg = ": text is not valid UTF-8"
  T.raises(function() ax:plot({ 1, 2 }, { 1, 2 }, { label = "\xff\xfe" }) end, "plot" .. msg .. " (byte 1 is 0xff)")
  T.raises(function() ax:set_title("ok\xc3") end, "set_title" .. msg .. " (byte 3 is 0xc3)")
  T.raises(function() ax:set_xlabel("\xed\xa0\x80") end, "set_xlabel" .. msg)        -- a UTF-16 surrogate
  T.raises(function() ax:text(0, 0, "\xc0\xaf") end, "text" .. msg)                  -- an overlong '/'
  T.raises(function() fig:suptitle("\xf5\x80\x80\x80") end, "suptitle" .. msg)       -- past U+10FFFF
  T.raises(function() ax:set_xticks({ 0, 1 }, { "ok", "\x80" }) end, "set_xticks" .. msg)
  T.raises(function() ax:scatter({ 1 }, { 1 }, { label = "\xff" }) end, "scatter" .. msg)
  ax:set_title("Temp\xc3\xa9rature \xe2\x80\x93 \xe2\x9c\x93")    -- valid UTF-8 still draws
  local path = os.tmpname() .. ".png"
  fig:savefig(path)
  os.remove(path)
  os.remove(path:sub(1, -5))
  dlt.plot.close(fig)
end)

T.run()
