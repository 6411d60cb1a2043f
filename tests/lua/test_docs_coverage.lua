-- test_docs_coverage.lua: docs/ documents the whole public API. Every public name (the
-- functions, values and tables under dlt, dlt.nn, dlt.optim, dlt.data, dlt.plot, ...,
-- and the methods of tensors, modules, optimizers, schedulers, loaders, axes and
-- figures, as lua/dlt/help.lua lists them) has an entry in docs/*.md, the entry that
-- help(x) prints; and every entry documents a name that exists.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local help = require "dlt.help"

-- the reference page where an entry for name belongs
local page_for
function page_for(name)
  local cls = name:match("^(%u[%w_]*):")
  local pages = {
    Tensor = "docs/tensor.md", Module = "docs/api-nn.md", ModuleList = "docs/api-nn.md",
    Optimizer = "docs/api-optim.md", LRScheduler = "docs/api-optim.md",
    EarlyStopping = "docs/api-optim.md", DataLoader = "docs/api-data.md",
    TensorDataset = "docs/api-data.md", Axes = "docs/api-plot.md", Figure = "docs/api-plot.md",
    DistributedDataParallel = "docs/api-distributed.md", SyncBatchNorm = "docs/api-distributed.md",
    Bar = "docs/autograd.md",
  }
  if cls then
    if pages[cls] then return pages[cls] end
    -- a class reachable under dlt (optim.swa_utils.AveragedModel): beside its entry
    for _, n in ipairs(help.public_names()) do
      if n:match("%." .. cls .. "$") then return page_for(n) end
    end
    return "the reference page of its class"
  end
  for _, p in ipairs({ { "^dlt%.nn%.parallel", "docs/api-distributed.md" },
    { "^dlt%.nn%.SyncBatchNorm", "docs/api-distributed.md" }, { "^dlt%.data%.Distributed", "docs/api-distributed.md" },
    { "^dlt%.nn", "docs/api-nn.md" }, { "^dlt%.optim", "docs/api-optim.md" },
    { "^dlt%.EarlyStopping", "docs/api-optim.md" }, { "^dlt%.lr_find", "docs/api-optim.md" },
    { "^dlt%.data", "docs/api-data.md" }, { "^dlt%.plot", "docs/api-plot.md" },
    { "^dlt%.autograd", "docs/autograd.md" }, { "^dlt%.fmt", "docs/autograd.md" },
    { "^dlt%.progress", "docs/autograd.md" }, { "^dlt%.distributed", "docs/api-distributed.md" } }) do
    if name:match(p[1]) then return p[2] end
  end
  return "docs/tensor.md (tensor functions) or docs/autograd.md (utilities), or a page of its own under docs/"
end

local public = help.public_names()

T.test("the walk finds the public API (tensor methods, nn, optim, data, plot, axes)", function()
  local want = { "dlt.zeros", "Tensor:sum", "dlt.nn.Linear", "Module:parameters", "dlt.optim.Adam",
    "Optimizer:step", "LRScheduler:step", "dlt.data.DataLoader", "DataLoader:iter",
    "dlt.plot.subplots", "Axes:plot", "Figure:savefig", "dlt.nn.functional.relu" }
  local have = {}
  for _, n in ipairs(public) do have[n] = true end
  for _, n in ipairs(want) do assert(have[n], "public_names() misses " .. n) end
  assert(#public > 300, "only " .. #public .. " public names found")
end)

T.test("every public name has an entry in docs/", function()
  local missing = {}
  for _, name in ipairs(public) do
    if not help.entry(name) then
      missing[#missing + 1] = string.format("  %s: add an entry to %s", name, page_for(name))
    end
  end
  if #missing > 0 then
    error(string.format("%d public name(s) without documentation:\n%s\n"
      .. "An entry is a heading of backticked signatures, a paragraph and an example, e.g.\n"
      .. "  ### `nn.Conv2d(in_channels, out_channels, kernel_size[, {stride, padding}])`\n"
      .. "  What it computes, shapes, defaults. (then a ```lua example that runs on its own)\n"
      .. "Several names may share one heading (`dlt.exp(t)` · `Tensor:exp()`). "
      .. "Prefixes nn., F., init., optim., lr_scheduler., plt., data. stand for dlt.nn., ...; "
      .. "methods are written Class:method. Rebuild (the pages are compiled in) and rerun.",
      #missing, table.concat(missing, "\n")), 0)
  end
end)

T.test("every entry documents a name that exists, and says something", function()
  local known = { help = true }
  for _, n in ipairs(public) do known[n] = true end
  local stale = {}
  for _, key in ipairs(help.keys()) do
    local e = help.entry(key)
    if not known[key] then
      stale[#stale + 1] = string.format("  %s (docs/%s.md) is not a public name", key, e.page)
    elseif not e.body:match("%a%a%a") then
      stale[#stale + 1] = string.format("  %s (docs/%s.md) has no description", key, e.page)
    end
  end
  if #stale > 0 then error("entries to fix:\n" .. table.concat(stale, "\n"), 0) end
end)

T.test("help(x) prints the entry for values, instances and names", function()
  T.eq(help.text(dlt.zeros):match("^[^\n]*"), "dlt.zeros(...sizes[, {dtype, requires_grad}])", "function")
  assert(help.text(dlt.ones(2)):find("dlt.Tensor", 1, true), "a tensor shows the Tensor entry")
  assert(help.text(dlt.nn.Linear(2, 3)):find("nn.Linear(in_features", 1, true), "a module shows its class")
  assert(help.text("Tensor:sum"):find("Tensor:sum([dim[, keepdim]])", 1, true), "a method by name")
  assert(help.text(dlt.Tensor.sum):find("Tensor:sum", 1, true), "a method by value")
  assert(help.text("no_such_thing"):find("no entry for 'no_such_thing'", 1, true), "unknown name")
end)

T.test("help(x) of an object, or of a method taken from one, prints its entry", function()
  local first = function(x) return (help.text(x):match("^[^\n]*")) end
  local model = dlt.nn.Sequential(dlt.nn.Linear(2, 1))
  local opt = dlt.optim.SGD(model:parameters(), { lr = 0.1 })
  local sched = dlt.optim.lr_scheduler.StepLR(opt, { step_size = 1 })
  local loader = dlt.data.DataLoader(dlt.data.TensorDataset(dlt.zeros(2, 1)))
  local fig, ax = dlt.plot.subplots()
  T.eq(first(opt), "optim.SGD(params, {lr, momentum, dampening, weight_decay, nesterov, maximize})", "an optimizer")
  assert(help.text(opt):find("Methods of this Optimizer, called as obj:method(...) "
    .. "(help(\"Optimizer:step\") shows one):\n  add_param_group · load_state_dict", 1, true), help.text(opt))
  T.eq(first(opt.step), "Optimizer:step([closure])", "an optimizer's method")
  T.eq(first(sched), "lr_scheduler.StepLR(opt, {step_size, gamma})", "a scheduler")
  T.eq(first(sched.step), "LRScheduler:step([metric])", "a scheduler's method")
  T.eq(first(loader), "data.DataLoader(dataset, {batch_size, shuffle, drop_last})", "a loader")
  T.eq(first(loader.iter), "DataLoader:iter()", "a loader's method")
  T.eq(first(ax), "Methods of this Axes, called as obj:method(...) (help(\"Axes:plot\") shows one):", "an Axes")
  assert(first(ax.plot):find("^Axes:plot%(x"), first(ax.plot))
  assert(first(fig.savefig):find("^Figure:savefig%(path"), first(fig.savefig))
  T.eq(first(model.append), "nn.Sequential(...modules)", "a Sequential's append")
  T.eq(first(dlt.EarlyStopping({ patience = 1 })), "dlt.EarlyStopping({patience, min_delta, mode, restore_best_weights})",
    "an EarlyStopping")
  T.eq(first(dlt.progress.bar(2)), "Methods of this Bar, called as obj:method(...) (help(\"Bar:close\") shows one):",
    "a progress bar")
  T.eq(first(dlt), first(nil), "help(dlt) is the overview")
  dlt.plot.close(fig)
end)

T.run()
