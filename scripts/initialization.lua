-- initialization.lua: section 5 of the notebook, "Weight Initialization": how the
-- scale of the initial weights makes activations vanish or explode, Xavier against
-- Kaiming under ReLU and Tanh, and the nn.init calls.
-- Run: dltlua scripts/initialization.lua   (figures go to $DLT_FIGDIR, default figures/)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, plt = dlt.nn, dlt.plot
local fmt = dlt.fmt

notebook.setup()
dlt.manual_seed(42)

-- Poor initialization makes activations vanish (outputs near zero, gradients gone),
-- explode (outputs without bound) or die (ReLUs that never fire). The aim is to keep
-- activations and gradients at a steady scale through every layer: a drivable
-- baseline setup to tune from.

local function relu(t) return t:relu() end
local function tanh(t) return t:tanh() end

-- the mean |activation| at the input and after every layer
local function forward_activations(layers, x, activation)
  activation = activation or relu
  local magnitudes = { x:abs():mean():item() }
  for _, layer in ipairs(layers) do
    x = activation(layer(x))
    magnitudes[#magnitudes + 1] = x:abs():mean():item()
  end
  return magnitudes
end

-- n_layers square layers without bias, weights drawn from N(0, init_scale^2)
local function create_layers(n_layers, hidden_dim, init_scale)
  local layers = {}
  for _ = 1, n_layers do
    local layer = nn.Linear(hidden_dim, hidden_dim, { bias = false })
    nn.init.normal_(layer.weight, 0, init_scale)
    layers[#layers + 1] = layer
  end
  return layers
end

dlt.manual_seed(42)
local n_layers, hidden_dim = 20, 256
local x = dlt.randn(100, hidden_dim)

local fig, ax = plt.subplots(1, 1, { figsize = { 10, 6 } })
local scales = { 0.01, 0.1, 1.0 }
local colors = { "blue", "green", "red" }
local labels = { "Too Small (std=0.01)", "Better (std=0.1)", "Too Large (std=1.0)" }
for i, scale in ipairs(scales) do
  local layers = create_layers(n_layers, hidden_dim, scale)
  local mags = forward_activations(layers, x:clone())
  ax:plot(mags, "-o", { color = colors[i], label = labels[i], markersize = 4, linewidth = 2 })
end
ax:set_xlabel("Layer", { fontsize = 12 })
ax:set_ylabel("Mean Activation Magnitude", { fontsize = 12 })
ax:set_title("Effect of Weight Initialization Scale", { fontsize = 14 })
ax:set_yscale("log")
ax:legend()
ax:grid(true, { alpha = 0.3 })
ax:axhline(1, { color = "gray", linestyle = "--", alpha = 0.5 })
fig:tight_layout()
notebook.savefig(fig, "initialization_scale")
plt.close(fig)

print("Too small: Activations vanish (shrink to 0)")
print("Too large: Activations explode (grow unbounded)")
print("Just right: Activations stay roughly constant")

-- 5.1 Xavier/Glorot, for tanh and sigmoid: W ~ N(0, 2 / (n_in + n_out)) balances
-- the variance of inputs and outputs for activations symmetric around zero.
-- 5.2 Kaiming/He, for ReLU: W ~ N(0, 2 / n_in); ReLU zeroes half the activations,
-- so the weights are larger by the factor 2 to make up for it.
dlt.manual_seed(42)
n_layers, hidden_dim = 30, 256
x = dlt.randn(100, hidden_dim)

local function create_initialized_layers(n, dim, init_type)
  local layers = {}
  for _ = 1, n do
    local layer = nn.Linear(dim, dim, { bias = false })
    if init_type == "xavier" then
      nn.init.xavier_normal_(layer.weight)
    elseif init_type == "kaiming" then
      nn.init.kaiming_normal_(layer.weight, { mode = "fan_in", nonlinearity = "relu" })
    elseif init_type == "random" then
      nn.init.normal_(layer.weight, 0, 0.1)
    end
    layers[#layers + 1] = layer
  end
  return layers
end

local function capitalize(s) return s:sub(1, 1):upper() .. s:sub(2) end

local axes
fig, axes = plt.subplots(1, 2, { figsize = { 14, 5 } })

-- one panel: the activation magnitudes of each scheme's network under `activation`
local function compare_schemes(panel, activation, colors, title)
  for _, c in ipairs(colors) do
    local layers = create_initialized_layers(n_layers, hidden_dim, c[1])
    local mags = forward_activations(layers, x:clone(), activation)
    panel:plot(mags, "-o", { color = c[2], label = capitalize(c[1]), markersize = 3, linewidth = 2 })
  end
  panel:set_xlabel("Layer")
  panel:set_ylabel("Mean Activation Magnitude")
  panel:set_title(title)
  panel:set_yscale("log")
  panel:legend()
  panel:grid(true, { alpha = 0.3 })
  panel:set_ylim(1e-6, 1e2)
end

compare_schemes(axes[1], relu, { { "random", "red" }, { "xavier", "blue" }, { "kaiming", "green" } },
  "ReLU Activation\n(Kaiming is designed for ReLU)")
compare_schemes(axes[2], tanh, { { "random", "red" }, { "xavier", "blue" }, { "kaiming", "orange" } },
  "Tanh Activation\n(Xavier is designed for symmetric activations)")

fig:tight_layout()
notebook.savefig(fig, "initialization_relu_tanh")
plt.close(fig)

-- Which to use: Kaiming for ReLU, LeakyReLU, GELU, SiLU; Xavier for tanh, sigmoid
-- and layers without activation. The default init of nn.Linear works well in most cases.
local layer = nn.Linear(512, 256)

-- Xavier (for tanh/sigmoid)
nn.init.xavier_normal_(layer.weight)
print(string.format("Xavier: mean=%.6f, std=%.4f", layer.weight:mean():item(), layer.weight:std():item()))

-- Kaiming (for ReLU)
nn.init.kaiming_normal_(layer.weight, { mode = "fan_in", nonlinearity = "relu" })
print(string.format("Kaiming: mean=%.6f, std=%.4f", layer.weight:mean():item(), layer.weight:std():item()))

-- biases usually start at zero
nn.init.zeros_(layer.bias)
local all_zero = layer.bias:eq(0):all():item()   -- 1 when every element is 0
print("Bias: all zeros = " .. fmt.py(all_zero == 1 or all_zero == true))
