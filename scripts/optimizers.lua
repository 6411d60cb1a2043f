-- optimizers.lua: section 1 of the notebook, "Optimizers": SGD, Momentum, RMSprop
-- and Adam written from scratch, their paths on the Rosenbrock function, and
-- the same optimizers as dlt.optim provides them.
-- Run: dltlua scripts/optimizers.lua   (figures go to $DLT_FIGDIR, default figures/)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, optim, plt = dlt.nn, dlt.optim, dlt.plot

notebook.setup()
dlt.manual_seed(42)

-- Imagine finding the lowest point of a mountainous landscape blindfolded: all you
-- feel is the slope under your feet. Gradient descent always steps downhill, but it
-- oscillates across narrow valleys, crawls over plateaus, and uses one step size
-- for steep and gentle directions alike. Each optimizer below fixes part of that.
--
-- SGD:      theta <- theta - lr * grad
-- Momentum: v <- beta * v + grad;  theta <- theta - lr * v          (a ball rolling downhill)
-- RMSprop:  s <- beta * s + (1 - beta) * grad^2;
--           theta <- theta - lr * grad / (sqrt(s) + eps)            (per-parameter step size)
-- Adam:     m, v as momentum and RMSprop, bias-corrected by 1 - beta^t  (both at once)

-- The Rosenbrock function: a narrow curved valley, easy to find, hard to follow.
-- Minimum at (1, 1). Works on numbers and on tensors alike.
local function rosenbrock(x, y)
  return (1 - x) ^ 2 + 100 * (y - x ^ 2) ^ 2
end

local function rosenbrock_grad(x, y)
  local dx = -2 * (1 - x) - 400 * x * (y - x ^ 2)
  local dy = 200 * (y - x ^ 2)
  return dlt.tensor({ dx, dy }, { dtype = "float64" })
end

-- Optimizer implementations from scratch, on float64 tensors like NumPy's arrays.
local function SGDOptimizer(lr)
  local self = { lr = lr or 0.001 }
  function self.step(params, grad)
    return params - self.lr * grad
  end
  return self
end

local function MomentumOptimizer(lr, beta)
  local self = { lr = lr or 0.001, beta = beta or 0.9 }
  function self.step(params, grad)
    if self.v == nil then self.v = dlt.zeros_like(params) end
    self.v = self.beta * self.v + grad
    return params - self.lr * self.v
  end
  return self
end

local function RMSpropOptimizer(lr, beta, eps)
  local self = { lr = lr or 0.001, beta = beta or 0.9, eps = eps or 1e-8 }
  function self.step(params, grad)
    if self.s == nil then self.s = dlt.zeros_like(params) end
    self.s = self.beta * self.s + (1 - self.beta) * grad ^ 2
    return params - self.lr * grad / (self.s:sqrt() + self.eps)
  end
  return self
end

local function AdamOptimizer(lr, beta1, beta2, eps)
  local self = { lr = lr or 0.001, beta1 = beta1 or 0.9, beta2 = beta2 or 0.999,
                 eps = eps or 1e-8, t = 0 }
  function self.step(params, grad)
    if self.m == nil then
      self.m = dlt.zeros_like(params)
      self.v = dlt.zeros_like(params)
    end
    self.t = self.t + 1
    self.m = self.beta1 * self.m + (1 - self.beta1) * grad
    self.v = self.beta2 * self.v + (1 - self.beta2) * grad ^ 2
    local m_hat = self.m / (1 - self.beta1 ^ self.t)
    local v_hat = self.v / (1 - self.beta2 ^ self.t)
    return params - self.lr * m_hat / (v_hat:sqrt() + self.eps)
  end
  return self
end

-- Run an optimizer and record its path (a list of positions, the start included).
local function optimize_path(optimizer, start, grad_fn, n_steps)
  n_steps = n_steps or 500
  local path = { start:clone() }
  local params = start:clone()
  for _ = 1, n_steps do
    local grad = grad_fn(params[1], params[2])
    params = optimizer.step(params, grad)
    path[#path + 1] = params:clone()
    -- stop if converged or diverged
    local dx, dy = params[1] - 1.0, params[2] - 1.0
    if math.sqrt(dx * dx + dy * dy) < 0.01 then break end
    if math.abs(params[1]) > 10 or math.abs(params[2]) > 10 then break end
  end
  return dlt.stack(path, 1)
end

local start = dlt.tensor({ -1.0, 1.5 }, { dtype = "float64" })

-- Each optimizer with its tuned learning rate (an ordered list: Lua tables have no order).
local names = { "SGD", "Momentum", "RMSprop", "Adam" }
local optimizers = {
  SGD = SGDOptimizer(0.0002),
  Momentum = MomentumOptimizer(0.0002, 0.9),
  RMSprop = RMSpropOptimizer(0.01),
  Adam = AdamOptimizer(0.05),
}
local paths = {}
for _, name in ipairs(names) do
  paths[name] = optimize_path(optimizers[name], start, rosenbrock_grad, 500)
end

-- The loss surface and the optimization paths.
local fig, axes = plt.subplots(1, 2, { figsize = { 14, 6 } })

local x = dlt.linspace(-2, 2, 200, { dtype = "float64" })
local y = dlt.linspace(-1, 3, 200, { dtype = "float64" })
local X, Y = dlt.meshgrid(x, y)
local Z = rosenbrock(X, Y)

-- Left: every path on the contour plot
local ax = axes[1]
ax:contour(X, Y, Z, { levels = dlt.logspace(0, 3.5, 20, { dtype = "float64" }),
                      cmap = "viridis", alpha = 0.7 })
ax:plot(1, 1, "r*", { markersize = 15, label = "Minimum (1,1)" })
ax:plot(start[1], start[2], "ko", { markersize = 10, label = "Start" })

local colors = { SGD = "blue", Momentum = "red", RMSprop = "green", Adam = "orange" }
for _, name in ipairs(names) do
  local path = paths[name]
  ax:plot(path:select(2, 1), path:select(2, 2), "-", {
    color = colors[name], label = string.format("%s (%d steps)", name, path:size(1)),
    linewidth = 2, alpha = 0.8 })
end
ax:set_xlabel("x")
ax:set_ylabel("y")
ax:set_title("Optimizer Paths on Rosenbrock Function")
ax:legend({ loc = "upper left" })
ax:set_xlim(-2, 2)
ax:set_ylim(-1, 3)

-- Right: loss over steps
ax = axes[2]
for _, name in ipairs(names) do
  local path = paths[name]
  local losses = rosenbrock(path:select(2, 1), path:select(2, 2))
  ax:plot(losses, { color = colors[name], label = name, linewidth = 2 })
end
ax:set_xlabel("Step")
ax:set_ylabel("Loss (log scale)")
ax:set_title("Loss Convergence")
ax:set_yscale("log")
ax:legend()
ax:grid(true, { alpha = 0.3 })

fig:tight_layout()
notebook.savefig(fig, "optimizers_paths")
plt.close(fig)

print("Final positions and loss:")
for _, name in ipairs(names) do
  local final = paths[name][paths[name]:size(1)]
  local final_loss = rosenbrock(final[1], final[2])
  print(string.format("  %-10s: (%.4f, %.4f), loss=%.6f", name, final[1], final[2], final_loss))
end

-- Adam is the usual default: it works out of the box (beta1=0.9, beta2=0.999,
-- lr=0.001), copes with sparse gradients, is less sensitive to the learning rate
-- and converges fast. SGD with momentum still often reaches better final accuracy
-- on vision tasks, and Adam too benefits from a learning-rate schedule.

-- The same optimizers as the library provides them.
local model = nn.Linear(10, 1)

-- SGD with momentum
local sgd_optimizer = optim.SGD(model:parameters(), { lr = 0.01, momentum = 0.9 })
-- Adam (the most common default)
local adam_optimizer = optim.Adam(model:parameters(), { lr = 0.001 })
-- AdamW (Adam with decoupled weight decay: often better)
local adamw_optimizer = optim.AdamW(model:parameters(), { lr = 0.001, weight_decay = 0.01 })

local py = dlt.fmt.py
print("PyTorch optimizer examples:")
print(string.format("  SGD: lr=%s, momentum=%s", py(sgd_optimizer.defaults.lr),
  py(sgd_optimizer.defaults.momentum)))
print(string.format("  Adam: lr=%s, betas=%s", py(adam_optimizer.defaults.lr),
  py(adam_optimizer.defaults.betas)))
print(string.format("  AdamW: lr=%s, weight_decay=%s", py(adamw_optimizer.defaults.lr),
  py(adamw_optimizer.defaults.weight_decay)))
