-- test_convolutional.lua: scripts/convolutional.lua (section 7) on a subset of
-- Fashion-MNIST: it runs, explains itself, learns, and writes its seven figures.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local interp = arg[-1]
local figdir = (os.getenv("TMPDIR") or "/tmp") .. "/dlt_test_conv_" .. os.time() .. "_" .. math.random(1e9)
assert(dlt.makedirs(figdir))

local function run(env)
  local cmd = string.format("%s DLT_FIGDIR='%s' DLT_PROGRESS=0 '%s' scripts/convolutional.lua 2>&1",
    env, figdir, interp)
  local h = io.popen(cmd)
  local out = h:read("a")
  local ok, _, code = h:close()
  return out, ok, code
end

local out, ok, code = run("DLT_CNN_SUBSET=800")

T.test("the section runs on a subset and exits 0", function()
  if not ok then error("exit " .. tostring(code) .. "\n" .. out) end
end)

T.test("it prints its four parts, the data's facts and the shapes it explains", function()
  for _, want in ipairs({
    "== 7.1 What a convolution does ==", "== 7.2 The data ==",
    "== 7.3 A small convolutional network ==", "== 7.4 What the network learned ==",
    "maps of shape (1,4,28,28) with padding 1",
    "Fashion-MNIST: 60000 training and 10000 test images, 28x28 grey, 10 classes.",
    "   1 T-shirt/top   6000", "  10 Ankle boot    6000",
    "Pixel mean 0.2860 and std 0.3530",
    "Train 800, validation 201, test 401 images; batches of 64.",
    "(1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
    "Total parameters: 421834.",
    "after block 1 (1,32,14,14), after block 2 (1,64,7,7)",
    "The most confused pairs:",
  }) do
    if not out:find(want, 1, true) then error("missing line: " .. want .. "\n--- output:\n" .. out) end
  end
end)

T.test("training on 800 images for two epochs already learns (test accuracy well above chance)", function()
  local e1 = tonumber(out:match("Epoch 1/2: train loss ([%d.]+)"))
  local e2 = tonumber(out:match("Epoch 2/2: train loss ([%d.]+)"))
  assert(e1 and e2, "epoch lines missing")
  assert(e2 < e1, string.format("the training loss falls: %g then %g", e1, e2))
  local acc = tonumber(out:match("test accuracy ([%d.]+)%%"))
  assert(acc and acc > 50, "test accuracy above 50% (chance is 10%): " .. tostring(acc))
end)

T.test("it writes the seven figures and says where", function()
  for _, name in ipairs({ "filters", "samples", "history", "kernels", "feature_maps", "confusion", "mistakes" }) do
    local path = figdir .. "/convolutional_" .. name .. ".png"
    local f = io.open(path, "rb")
    assert(f, "no figure " .. path)
    local bytes = f:read("a")
    f:close()
    T.eq(bytes:sub(1, 8), "\137PNG\r\n\26\n", name .. " is a PNG")
    assert(#bytes > 15000, name .. " has content (" .. #bytes .. " bytes)")
    assert(out:find("[figure written to " .. path .. "]", 1, true), "names " .. path)
  end
end)

T.test("the same seed gives the same run", function()
  local again = run("DLT_CNN_SUBSET=800")
  local strip = function(s) return (s:gsub("| [%d.]+ s", ""):gsub("after [%d.]+ s", "")) end
  T.eq(strip(again), strip(out))
end)

T.run()
os.execute("rm -rf '" .. figdir .. "'")
