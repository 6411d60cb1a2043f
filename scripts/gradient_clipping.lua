-- gradient_clipping.lua: the notebook's closing advice, "try implementing gradient
-- clipping for very deep networks": a 20-layer ReLU network initialized too large,
-- trained with and without clip_grad_norm_.
-- Run: dltlua scripts/gradient_clipping.lua   (figure: gradient_clipping.png in $DLT_FIGDIR)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt = dlt.nn, dlt.optim, dlt.plot

local P = notebook.pipeline()   -- scripts/pipeline.lua's pieces, its section not run

notebook.setup()

-- Every layer multiplies the signal, and backprop multiplies the gradient by the
-- same weights: with weights 1.2x the Kaiming scale, 20 layers make gradients
-- hundreds of times too large, and a few SGD steps throw the weights away.
-- clip_grad_norm_ rescales all gradients together so their joint L2 norm is at
-- most max_norm: the direction is kept, only the step is bounded.
local depth, width, gain = 20, 64, 1.2

local function deep_network()
  local layers = {}
  local fan_in = 2
  for i = 1, depth do
    local linear = nn.Linear(fan_in, width)
    nn.init.normal_(linear.weight, 0, gain * math.sqrt(2 / fan_in))
    nn.init.zeros_(linear.bias)
    layers[#layers + 1] = linear
    layers[#layers + 1] = nn.ReLU()
    fan_in = width
    if i == depth then break end
  end
  layers[#layers + 1] = nn.Linear(width, 1)
  return nn.Sequential(table.unpack(layers))
end

-- the joint L2 norm of every gradient
local function grad_norm(params)
  local sq = 0
  for _, p in ipairs(params) do
    if p.grad then sq = sq + p.grad:norm():item() ^ 2 end
  end
  return math.sqrt(sq)
end

local train_loader = P.loaders()
local criterion = nn.BCEWithLogitsLoss()

-- trains for `epochs` epochs; returns per-step gradient norms (before clipping) and losses
local function run(max_norm, epochs)
  dlt.manual_seed(42)
  local model = deep_network()
  local params = model:parameters()
  local optimizer = optim.SGD(params, { lr = 0.05 })
  local norms, losses = {}, {}
  local bar = dlt.progress(epochs, { desc = max_norm and "clipped" or "unclipped", unit = "epoch" })
  for epoch = 1, epochs do
    for xb, yb in train_loader:iter() do
      optimizer:zero_grad()
      local loss = criterion(model(xb), yb)
      loss:backward()
      local norm
      if max_norm then
        norm = dlt.nn.utils.clip_grad_norm_(params, max_norm)
        if type(norm) ~= "number" then norm = norm:item() end
      else
        norm = grad_norm(params)
      end
      optimizer:step()
      norms[#norms + 1] = norm
      losses[#losses + 1] = loss:item()
    end
    bar:update(epoch, { loss = losses[#losses] })
  end
  bar:close()
  return norms, losses
end

local epochs = 4
local n_plain, l_plain = run(nil, epochs)
local n_clip, l_clip = run(1.0, epochs)

local function finite_max(t)
  local m = -math.huge
  for _, v in ipairs(t) do if v == v and v > m and v < math.huge then m = v end end
  return m
end
local function last_finite(t)
  for i = #t, 1, -1 do if t[i] == t[i] and math.abs(t[i]) < math.huge then return t[i], i end end
  return 0 / 0, 0
end

local fig, axes = plt.subplots(1, 2, { figsize = { 14, 5 } })
local ax = axes[1]
ax:plot(n_plain, { color = "red", label = "No clipping", linewidth = 1.5 })
ax:plot(n_clip, { color = "green", label = "clip_grad_norm_(max_norm=1)", linewidth = 1.5 })
ax:axhline(1, { color = "gray", linestyle = "--", alpha = 0.5 })
ax:set_yscale("log")
ax:set_xlabel("Step")
ax:set_ylabel("Gradient norm (before clipping)")
ax:set_title(string.format("Gradient Norms, %d-layer ReLU Network", depth))
ax:legend()
ax:grid(true, { alpha = 0.3 })

ax = axes[2]
ax:plot(l_plain, { color = "red", label = "No clipping", linewidth = 1.5 })
ax:plot(l_clip, { color = "green", label = "With clipping", linewidth = 1.5 })
ax:set_yscale("log")
ax:set_xlabel("Step")
ax:set_ylabel("Training loss (log scale)")
ax:set_title("Training Loss")
ax:legend()
ax:grid(true, { alpha = 0.3 })
fig:tight_layout()
notebook.savefig(fig, "gradient_clipping")
plt.close(fig)

local lp, ip = last_finite(l_plain)
local lc = last_finite(l_clip)
print(string.format("Largest gradient norm before clipping: %.3g without clipping, %.3g with",
  finite_max(n_plain), finite_max(n_clip)))
if ip < #l_plain then
  print(string.format("Without clipping: the loss is no longer finite after step %d of %d", ip, #l_plain))
else
  print(string.format("Without clipping: final training loss %.4f", lp))
end
print(string.format("With clipping (max_norm=1): final training loss %.4f", lc))
