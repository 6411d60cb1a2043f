-- init.lua: attaches the parts of dlt written in Lua to the table the C engine built.
-- The parts most scripts do not use are loaded on first use (lua/dlt/lazy.lua): each
-- is declared with the names it defines, and reading one of them loads it.
local dlt = require "dlt"
local lazy = require "dlt.lazy"

-- scripts' helpers: progress bar, NumPy-style printing, plot.history (owner: scripts)
lazy.on(dlt, { "progress" }, function()
  dlt.progress = require "dlt.progress"
  require("dlt.methods").guard_progress(dlt.progress)
end)
lazy.on(dlt, { "fmt" }, function() dlt.fmt = require "dlt.fmt" end)
if dlt.plot and not dlt.plot.history then
  lazy.on(dlt.plot, { "history" }, function() dlt.plot.history = require "dlt.history" end)
end
-- plt.plot, plt.title, ... on gca()/gcf() (owner: plot)
if dlt.plot then
  lazy.on(dlt.plot, { "plot", "semilogx", "semilogy", "loglog", "errorbar", "twinx", "twiny",
    "annotate", "clabel", "scatter", "hist", "bar", "fill_between", "contour", "contourf",
    "imshow", "axhline", "axvline", "axvspan", "text", "title", "xlabel", "ylabel", "xlim",
    "ylim", "xscale", "yscale", "legend", "grid", "axis", "suptitle", "tight_layout" }, "dlt.pyplot")
end

-- optimizers, schedulers, early stopping, the LR range test (owner: optim)
lazy.on(dlt, { "optim" }, function()
  local optim = require "dlt.optim"
  require("dlt.methods").guard_optimizers(optim)
  lazy.on(optim, { "lr_scheduler" }, function()
    optim.lr_scheduler = require "dlt.lr_scheduler"
    require("dlt.methods").guard_schedulers(optim.lr_scheduler)
  end)
  -- stochastic weight averaging (AveragedModel is an nn.Module)
  lazy.on(optim, { "swa_utils" }, function()
    local swa = require "dlt.swa_utils"
    swa.SWALR = optim.lr_scheduler.SWALR
    optim.swa_utils = swa
  end)
end)
lazy.on(dlt, { "EarlyStopping" }, function() dlt.EarlyStopping = require "dlt.early_stopping" end)
lazy.on(dlt, { "lr_find" }, function() dlt.lr_find = require "dlt.lr_find" end)

-- datasets, loaders, toy data, train_test_split, load_csv (owner: io)
lazy.on(dlt, { "data" }, function()
  local data = require "dlt.data"
  dlt.data = data
  lazy.on(data, { "read_idx", "Subset", "random_split", "FashionMNIST", "MNIST", "transforms" },
    function()
      for k, v in pairs(require "dlt.datasets") do rawset(data, k, v) end
    end)
  require("dlt.methods").guard_data(data)
end)

-- nn.Module, the shared module methods and the printout (owner: nn)
require "dlt.nn"
local nn, F = dlt.nn, dlt.nn.functional
-- convolutions, pooling, Flatten (owner: conv)
lazy.on(nn, { "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
  "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Dropout2d", "Flatten",
  "Unflatten" }, "dlt.nn_conv", F, { "dropout2d" })
-- ELU, Softplus, Hardtanh, PReLU, ..., Embedding (owner: port)
lazy.on(nn, { "ELU", "SELU", "CELU", "Softplus", "Mish", "Hardswish", "Hardtanh", "ReLU6",
  "LogSoftmax", "Softmin", "PReLU", "Embedding" }, "dlt.nn_act", F, { "softmin", "prelu", "embedding" })
-- the losses' weighted and K-dimensional cases over the C kernels (owner: nn)
lazy.on(nn, { "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
  "HuberLoss", "KLDivLoss" }, "dlt.nn_losses", F, { "cross_entropy", "nll_loss",
  "binary_cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss",
  "kl_div" })

-- deep copies (owner: optim)
lazy.on(dlt, { "deepcopy" }, function() dlt.deepcopy = require "dlt.deepcopy" end)

-- data-parallel training: DDP, SyncBatchNorm, rank-aware printing and saving (owner: mpi).
-- dlt.save becomes rank-aware when this loads, before any process group can be up.
local dist_c = rawget(dlt, "distributed")
lazy.on(dlt, { "distributed" }, function()
  dlt.distributed = dist_c
  require "dlt.distributed"
end, nn, { "SyncBatchNorm", "parallel" })
-- Tensor:is_true, printable state_dicts, loops over loaders (owner: workbench)
require "dlt.traps"
-- nn.summary; Module:num_parameters loads it on its first call (owner: workbench)
lazy.on(nn, { "summary" }, "dlt.summary")
local function num_parameters(self, opts) return require("dlt.summary").num_parameters(self, opts) end
nn.Module.num_parameters = num_parameters
nn._cmethods.num_parameters = num_parameters
-- a method called with '.' says "call it as obj:method()" (owner: workbench)
require "dlt.methods"
-- help(x): the entry of docs/*.md that documents x (owner: workbench); dlt.help loads
-- on the first call, as a script that never asks for help need not pay for it
function dlt.help(...) return require("dlt.help").help(...) end

return dlt
