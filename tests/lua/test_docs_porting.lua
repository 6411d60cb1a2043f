-- test_docs_porting.lua: docs/porting.md's promises. Every row of its translation table
-- runs its dlt column (after a prelude that makes the x, y, model, ... the rows name),
-- the rows whose meaning is the point (dims from 1, slicing, classes 1..C, the graph
-- through p[i]) compute what the PyTorch column computes, and the ported tutorial
-- script examples/fashion_mlp.lua runs on a subset (2000 images, 2 epochs) and trains.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

local PAGE = read("docs/porting.md")

-- the rows of the table under "## The translations": {line, lua code spans}
local function rows()
  local section = assert(PAGE:match("\n## The translations\n(.-)\n## "), "no translations section")
  local out = {}
  for line in section:gmatch("[^\n]+") do
    local cells = {}
    for cell in line:gmatch("|([^|]*)") do cells[#cells + 1] = cell end
    if #cells >= 4 and not line:match("^|%-") and not line:match("^| topic") then
      local spans = {}
      for code in cells[3]:gmatch("`([^`]+)`") do spans[#spans + 1] = code end
      out[#out + 1] = { line = line, spans = spans }
    end
  end
  return out
end

local PRELUDE = [[
nn, F, optim, data = dlt.nn, dlt.nn.functional, dlt.optim, dlt.data
dlt.manual_seed(0)
x = dlt.randn(4, 3)
a, b = dlt.randn(4, 3), dlt.randn(4, 3)
y = dlt.tensor({1, 3, 2, 1}, {dtype = dlt.int64})
idx = dlt.tensor({4, 1}, {dtype = dlt.int64})
m = nn.Linear(3, 3)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3))
out = model(x)
loss = F.cross_entropy(out, y)
opt = optim.SGD(model:parameters(), {lr = 0.1})
dataset = data.TensorDataset(x, y)
loader = data.DataLoader(dataset, {batch_size = 2})
p = dlt.tensor({3.0, 2.0}, {requires_grad = true})
epoch, acc, name, n = 3, 0.8, "Trouser", 0
]]

-- runs one row's spans in a fresh environment: an expression span's values are kept in
-- env.results[k]; returns env
local function run_row(row)
  local env = setmetatable({ print = function() end }, { __index = _G })
  assert(load(PRELUDE, "=prelude", "t", env))()
  local parts = { "results = {}" }
  for k, code in ipairs(row.spans) do
    if load("return " .. code, "=span", "t") then
      parts[#parts + 1] = string.format("results[%d] = table.pack(%s)", k, code)
    else
      parts[#parts + 1] = code
    end
  end
  local chunk = table.concat(parts, "\n")
  local fn, err = load(chunk, "=docs/porting.md row", "t", env)
  if not fn then error("does not compile: " .. err .. "\n" .. chunk, 0) end
  fn()
  return env
end

local function close(t, u, what)
  local d = (t - u):abs():max():item()
  assert(d < 1e-6, what .. ": differs by " .. d)
end

-- what the rows compute, checked against what the PyTorch column means
local CHECKS = {
  ["F.softmax(x, 2)"] = function(e)
    close(e.results[1][1]:sum(2), dlt.ones(4), "softmax over the classes: each row sums to 1")
  end,
  ["x:sum(1)"] = function(e) T.eq(tostring(e.results[1][1].shape), "(3,)", "sum over the rows") end,
  ["x:argmax(2)"] = function(e)
    local r = e.results[1][1]
    T.eq(r.dtype, dlt.int64, "int64")
    T.eq(r:ge(1):all():item() and r:le(3):all():item(), true, "1-based classes")
  end,
  ["x:size(1)"] = function(e) T.eq(e.results[1][1], 4, "batch size") end,
  ["x[1]"] = function(e) close(e.results[1][1], e.x:select(1, 1), "first row") end,
  ["x[{{}, 2}]"] = function(e) close(e.results[1][1], e.x:select(2, 2), "column 2") end,
  ["x[{{2, 3}}]"] = function(e) close(e.results[1][1], e.x:narrow(1, 2, 2), "rows 2..3") end,
  ["x[{{1, -1, 2}, {2, -1}}]"] = function(e)
    T.eq(tostring(e.results[1][1].shape), "(2, 2)", "every second row from column 2")
  end,
  ["x[idx]"] = function(e) close(e.results[1][1][1], e.x[4], "x[idx] picks row 4 first") end,
  ["x[x:gt(0)]"] = function(e) T.eq(e.results[1][1]:gt(0):all():item(), true, "only positives") end,
  ["a:eq(b)"] = function(e)
    T.eq(e.results[1][1].dtype, dlt.bool, "comparisons give bool tensors")
    T.eq(e.results[3][1]:sum():item(), e.a:gt(0):sum():item(), "a:gt(0)")
  end,
  ["x[x:gt(0)] = 0"] = function(e) T.eq(e.x:gt(0):any():item(), false, "positives zeroed") end,
  ["dlt.tensor({1, 3, 2}, {dtype = dlt.int64})"] = function(e)
    T.eq(e.results[1][1].dtype, dlt.int64, "labels are int64")
  end,
  ["local l = (p[1] - 1) ^ 2; l:backward()"] = function(e)
    close(e.p.grad, dlt.tensor({ 4.0, 0.0 }), "d/dp (p1 - 1)^2 through p[1]")
  end,
  ["local out = dlt.no_grad(function() return model(x) end)"] = function(e)
    T.eq(e.out.requires_grad, true, "the prelude's out keeps its graph (the row's out is local)")
  end,
  ["dlt.deepcopy(model:state_dict())"] = function(e)
    local copy, sd = e.results[1][1], e.model:state_dict()
    for k, v in pairs(sd) do
      close(copy[k], v, "copied " .. k)
      copy[k]:zero_()
    end
    T.eq(e.model:state_dict()["1.weight"]:abs():sum():item() > 0, true, "the copy is deep")
  end,
  ["for i = 1, 10 do n = n + i end"] = function(e) T.eq(e.n, 55, "1..10 included") end,
  ["string.format(\"%.1f%%\", 100 * acc)"] = function(e) T.eq(e.results[1][1], "80.0%", "percent") end,
  ["string.format(\"%12s\", name)"] = function(e) T.eq(e.results[2][1], "     Trouser", "right-aligned") end,
}

local ROWS = rows()
local checked = {}

T.test("the translation table has its rows", function()
  assert(#ROWS >= 40, "only " .. #ROWS .. " rows")
end)

for i, row in ipairs(ROWS) do
  T.test(string.format("porting.md row %d runs: %s", i, table.concat(row.spans, " ")), function()
    assert(#row.spans > 0, "row " .. i .. " has no dlt code: " .. row.line)
    local env = run_row(row)
    for _, code in ipairs(row.spans) do
      if CHECKS[code] then
        CHECKS[code](env)
        checked[code] = true
      end
    end
    local whole = table.concat(row.spans, "; ")
    if #row.spans > 1 and CHECKS[whole] then
      CHECKS[whole](env)
      checked[whole] = true
    end
  end)
end

T.test("the softmax trap is in bold at the top, before the table", function()
  local trap = PAGE:find("**`F.softmax(x, 2)`**", 1, true)
  local tbl = PAGE:find("## The translations", 1, true)
  assert(trap and tbl and trap < tbl, "the bold F.softmax(x, 2) note must come first")
  -- and it is a real trap: dim 1 normalizes the columns
  local x = dlt.randn(4, 3)
  close(dlt.nn.functional.softmax(x, 1):sum(1), dlt.ones(3), "dim 1 sums the columns to 1")
end)

T.test("every check names a row that is in the table", function()
  for code in pairs(CHECKS) do assert(checked[code], "no row runs " .. code) end
end)

T.test("examples/fashion_mlp.lua, the ported tutorial, trains on a subset", function()
  local script = read("examples/fashion_mlp.lua")
  local n
  script, n = script:gsub("local EPOCHS, BATCH_SIZE, PATIENCE = 10, 128, 3", "local EPOCHS, BATCH_SIZE, PATIENCE = 2, 128, 3")
  T.eq(n, 1, "settings line")
  script, n = script:gsub("{ 55000, 5000 }", "{ 2000, 500, 57500 }")
  T.eq(n, 1, "split line")
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. T.quote(dir)))
  local f = assert(io.open(dir .. "/fashion_mlp.lua", "w"))
  f:write(script)
  f:close()
  local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")
  local abs = exe:sub(1, 1) == "/" and exe or cwd .. "/" .. exe
  local output, rc = T.shell("cd " .. T.quote(dir) .. " && " .. T.quote(abs) .. " fashion_mlp.lua")
  local saved = io.open(dir .. "/fashion_mlp.safetensors", "rb")
  if saved then saved:close() end
  os.execute("rm -rf " .. T.quote(dir))
  assert(rc == 0, "the script fails:\n" .. output)
  assert(saved, "no fashion_mlp.safetensors written")
  local accs = {}
  for acc in output:gmatch("epoch%s+%d+  val loss %d+%.%d+  val acc (%d%.%d+)") do accs[#accs + 1] = tonumber(acc) end
  T.eq(#accs, 2, "two epochs printed:\n" .. output)
  assert(accs[2] > 0.6, "validation accuracy after 2 epochs on 2000 images: " .. accs[2])
  local classes = 0
  for p, r in output:gmatch("precision (%d%.%d+)  recall (%d%.%d+)") do
    classes = classes + 1
    assert(tonumber(p) >= 0 and tonumber(p) <= 1 and tonumber(r) >= 0 and tonumber(r) <= 1, "a rate in [0, 1]")
  end
  T.eq(classes, 10, "precision and recall of the 10 classes")
  assert(output:find("Ankle boot", 1, true), "class names from the data set")
end)

T.run()
