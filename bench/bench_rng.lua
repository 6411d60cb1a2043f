-- bench_rng.lua: the compute of scripts/initialization.lua without its figures (240
-- nn.Linear(256, 256) built and re-initialized, 100x256 batches through 20-30 layers
-- with relu or tanh), then the rates of its parts: normal_ and uniform_ fills of a
-- 256x256 weight, tanh of a 100x256 batch, one Linear forward.
-- Run: build/dltlua bench/bench_rng.lua
local dlt = require "dlt"
local nn = dlt.nn

local REPEATS = 5

-- best of REPEATS runs of f, in ms: wall-clock (dlt.clock) and this process's CPU (os.clock)
local function time(f)
  local wall, cpu = math.huge, math.huge
  for _ = 1, REPEATS do
    collectgarbage()
    local t0, c0 = dlt.clock(), os.clock()
    f()
    wall = math.min(wall, dlt.clock() - t0)
    cpu = math.min(cpu, os.clock() - c0)
  end
  return wall * 1e3, cpu * 1e3
end

local function forward(layers, x, act)
  local mags = { x:abs():mean():item() }
  for _, layer in ipairs(layers) do
    x = act(layer(x))
    mags[#mags + 1] = x:abs():mean():item()
  end
  return mags
end

local function relu(t) return t:relu() end
local function tanh(t) return t:tanh() end

-- the script's work: 3 networks of 20 layers (normal_), then 3 schemes x 2 activations x 30
local function notebook_section()
  dlt.manual_seed(42)
  local x = dlt.randn(100, 256)
  for _, scale in ipairs({ 0.01, 0.1, 1.0 }) do
    local layers = {}
    for i = 1, 20 do
      layers[i] = nn.Linear(256, 256, { bias = false })
      nn.init.normal_(layers[i].weight, 0, scale)
    end
    forward(layers, x:clone(), relu)
  end
  dlt.manual_seed(42)
  x = dlt.randn(100, 256)
  for _, act in ipairs({ relu, tanh }) do
    for _, scheme in ipairs({ "random", "xavier", "kaiming" }) do
      local layers = {}
      for i = 1, 30 do
        local l = nn.Linear(256, 256, { bias = false })
        if scheme == "xavier" then nn.init.xavier_normal_(l.weight)
        elseif scheme == "kaiming" then nn.init.kaiming_normal_(l.weight, { mode = "fan_in", nonlinearity = "relu" })
        else nn.init.normal_(l.weight, 0, 0.1) end
        layers[i] = l
      end
      forward(layers, x:clone(), act)
    end
  end
end

local w = dlt.empty(256, 256)
local b = dlt.randn(100, 256)
local layer = nn.Linear(256, 256, { bias = false })
local cases = {
  { "initialization.lua compute", 1, notebook_section },
  { "normal_ 256x256", 100, function() for _ = 1, 100 do nn.init.normal_(w, 0, 1) end end },
  { "uniform_ 256x256", 100, function() for _ = 1, 100 do nn.init.uniform_(w, -1, 1) end end },
  { "tanh 100x256", 100, function() for _ = 1, 100 do b:tanh() end end },
  { "Linear 100x256x256 forward", 100, function() for _ = 1, 100 do layer(b) end end },
}
print(string.format("%-30s %12s %12s", "case", "wall ms", "cpu ms"))
for _, c in ipairs(cases) do
  local wall, cpu = time(c[3])
  print(string.format("%-30s %12.3f %12.3f", c[1], wall / c[2], cpu / c[2]))
end
