-- normalization.lua: section 4 of the notebook, "Batch Normalization": what the
-- normalization does to a distribution, BatchNorm's train and eval modes, and
-- BatchNorm against LayerNorm.
-- Run: dltlua scripts/normalization.lua   (figures go to $DLT_FIGDIR, default figures/)
local dlt = require "dlt"
local notebook = require "dlt.notebook"
local nn, plt = dlt.nn, dlt.plot
local fmt = dlt.fmt

notebook.setup()
dlt.manual_seed(42)

-- As data flows through a deep net, the distribution of activations shifts from
-- layer to layer (internal covariate shift), like a thrower who keeps changing how
-- he throws. BatchNorm normalizes each mini-batch:
--   x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps),   y = gamma * x_hat + beta
-- with a learnable scale gamma and shift beta, so a layer can undo it if it must.

local F64 = { dtype = "float64" }
dlt.manual_seed(42)

-- activations before BatchNorm: shifted and skewed
local batch_size = 1000
local before_bn = dlt.empty(batch_size, F64):exponential_(1 / 2) +
  dlt.randn(batch_size, F64) * 0.5 + 5

-- BatchNorm by hand (NumPy's std: the population one)
local mu = before_bn:mean():item()
local sigma = before_bn:std(nil, false, { unbiased = false }):item()
local normalized = (before_bn - mu) / (sigma + 1e-8)

-- learnable scale and shift
local gamma, beta = 1.5, 0.5
local after_bn = gamma * normalized + beta

local fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })

local ax = axes[1]
ax:hist(before_bn, { bins = 50, alpha = 0.7, color = "red", edgecolor = "black" })
ax:axvline(mu, { color = "black", linestyle = "--", linewidth = 2, label = string.format("Mean: %.1f", mu) })
ax:set_xlabel("Activation Value")
ax:set_ylabel("Count")
ax:set_title("Before BatchNorm\n(shifted, varying scale)")
ax:legend()

ax = axes[2]
ax:hist(normalized, { bins = 50, alpha = 0.7, color = "yellow", edgecolor = "black" })
ax:axvline(0, { color = "black", linestyle = "--", linewidth = 2, label = "Mean: 0, Std: 1" })
ax:set_xlabel("Activation Value")
ax:set_ylabel("Count")
ax:set_title("After Normalization\n(zero mean, unit variance)")
ax:legend()

ax = axes[3]
ax:hist(after_bn, { bins = 50, alpha = 0.7, color = "green", edgecolor = "black" })
ax:axvline(beta, { color = "black", linestyle = "--", linewidth = 2,
  label = string.format("Mean: %.2f", after_bn:mean():item()) })
ax:set_xlabel("Activation Value")
ax:set_ylabel("Count")
ax:set_title(string.format("After Scale/Shift\n(gamma=%s, beta=%s)", fmt.py(gamma), fmt.py(beta)))
ax:legend()

fig:tight_layout()
notebook.savefig(fig, "normalization_batchnorm")
plt.close(fig)

-- Training mode normalizes with the current batch's statistics (noisy, different
-- every batch); eval mode uses the running averages gathered in training
-- (consistent, deterministic). Always call model:train() before training and
-- model:eval() before inference.
local bn = nn.BatchNorm1d(4)

bn:train()   -- batch statistics
local x_batch = dlt.randn(32, 4) * 5 + 10   -- a batch of 32

print("Training mode:")
print("  Input mean: " .. fmt.array(x_batch:mean(1), { decimals = 2 }))
print("  Input std:  " .. fmt.array(x_batch:std(1), { decimals = 2 }))

local y_batch = bn(x_batch)
print("  Output mean: " .. fmt.array(y_batch:mean(1):detach(), { decimals = 2 }) .. " (approx 0)")
print("  Output std:  " .. fmt.array(y_batch:std(1):detach(), { decimals = 2 }) .. " (approx 1)")

-- one training step has moved the running statistics
print("\n  Running mean: " .. fmt.array(bn.running_mean, { decimals = 2 }))
print("  Running var:  " .. fmt.array(bn.running_var, { decimals = 2 }))

bn:eval()    -- running statistics
local x_single = dlt.randn(1, 4) * 5 + 10   -- a single sample

print("\nEvaluation mode (single sample):")
print("  Input: " .. fmt.array(x_single, { decimals = 2 }))
local y_single = bn(x_single)
print("  Output: " .. fmt.array(y_single:detach(), { decimals = 2 }))
print("  (Uses running statistics, not batch statistics)")

-- Why it helps: higher learning rates without diverging, a regularizing noise from
-- the batch statistics, less sensitivity to initialization, a smoother loss
-- landscape. It can hurt with very small batches.
--
-- LayerNorm normalizes across the features of each sample instead of across the
-- batch (Transformers, RNNs); InstanceNorm within one sample's spatial dims,
-- GroupNorm over groups of channels.
local batch, features = 4, 8
local x = dlt.randn(batch, features) * 3 + 2

-- BatchNorm normalizes each column (feature) across the batch
local batch_norm = nn.BatchNorm1d(features)
batch_norm:train()
local bn_out = batch_norm(x)

-- LayerNorm normalizes each row (sample) across the features
local layer_norm = nn.LayerNorm(features)
local ln_out = layer_norm(x)

fig, axes = plt.subplots(1, 3, { figsize = { 15, 4 } })

local im0 = axes[1]:imshow(x:detach(), { cmap = "RdBu", aspect = "auto", vmin = -6, vmax = 6 })
axes[1]:set_xlabel("Features")
axes[1]:set_ylabel("Batch samples")
axes[1]:set_title("Original Input")
fig:colorbar(im0, { ax = axes[1] })

local im1 = axes[2]:imshow(bn_out:detach(), { cmap = "RdBu", aspect = "auto", vmin = -3, vmax = 3 })
axes[2]:set_xlabel("Features")
axes[2]:set_ylabel("Batch samples")
axes[2]:set_title("BatchNorm\n(normalizes columns)")
fig:colorbar(im1, { ax = axes[2] })

local im2 = axes[3]:imshow(ln_out:detach(), { cmap = "RdBu", aspect = "auto", vmin = -3, vmax = 3 })
axes[3]:set_xlabel("Features")
axes[3]:set_ylabel("Batch samples")
axes[3]:set_title("LayerNorm\n(normalizes rows)")
fig:colorbar(im2, { ax = axes[3] })

fig:tight_layout()
notebook.savefig(fig, "normalization_bn_vs_ln")
plt.close(fig)

print("BatchNorm: Each COLUMN has mean~0, std~1")
print("LayerNorm: Each ROW has mean~0, std~1")
