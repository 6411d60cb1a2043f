-- init.lua: attaches the parts of dlt written in Lua to the table the C engine built.
local dlt = require "dlt"

-- scripts' helpers: progress bar, NumPy-style printing, plot.history (owner: scripts)
dlt.progress = require "dlt.progress"
dlt.fmt = require "dlt.fmt"
if dlt.plot and not dlt.plot.history then dlt.plot.history = require "dlt.history" end
if dlt.plot then require "dlt.pyplot" end  -- plt.plot, plt.title, ... on gca()/gcf() (owner: plot)

-- optimizers, schedulers, early stopping, the LR range test (owner: optim)
require "dlt.optim"
dlt.optim.lr_scheduler = require "dlt.lr_scheduler"
dlt.EarlyStopping = require "dlt.early_stopping"
dlt.lr_find = require "dlt.lr_find"

-- datasets, loaders, toy data, train_test_split, load_csv (owner: io)
dlt.data = require "dlt.data"
for k, v in pairs(require "dlt.datasets") do dlt.data[k] = v end

-- nn.Module, the shared module methods and the printout (owner: nn)
require "dlt.nn"
require "dlt.nn_conv"  -- convolutions, pooling, Flatten (owner: conv)
require "dlt.nn_act"  -- ELU, Softplus, Hardtanh, PReLU, ..., Embedding (owner: port)

-- deep copies; stochastic weight averaging (AveragedModel is an nn.Module) (owner: optim)
require "dlt.nn_losses"
dlt.deepcopy = require "dlt.deepcopy"
dlt.optim.swa_utils = require "dlt.swa_utils"
dlt.optim.swa_utils.SWALR = dlt.optim.lr_scheduler.SWALR

-- data-parallel training: DDP, SyncBatchNorm, rank-aware printing and saving (owner: mpi)
require "dlt.distributed"
-- Tensor:is_true, printable state_dicts, loops over loaders, nn.summary (owner: workbench)
require "dlt.traps"
require "dlt.summary"
-- a method called with '.' says "call it as obj:method()" (owner: workbench)
require "dlt.methods"
-- help(x): the entry of docs/*.md that documents x (owner: workbench); dlt.help loads
-- on the first call, as a script that never asks for help need not pay for it
function dlt.help(...) return require("dlt.help").help(...) end

return dlt
