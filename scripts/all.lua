-- all.lua: regenerates every figure: the seven section scripts, the exercises, the
-- LR range test and the gradient-clipping demo, each in its own process, into
-- $DLT_FIGDIR (default figures/). With --docs it then copies each figure into
-- docs/img/, which the pages under docs/ show.
-- Run from the source root: build/dltlua scripts/all.lua [--docs]
local dlt = require "dlt"

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local interp = arg and arg[-1] or "dltlua"
local FIGDIR = require("dlt.notebook").figdir()

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local scripts = {
  "optimizers", "learning_rate", "regularization", "normalization", "initialization",
  "pipeline", "convolutional", "lr_finder", "gradient_clipping",
  "exercises/optimizer_comparison", "exercises/early_stopping", "exercises/dropout_rate",
}
-- the figures each script writes, as names without .png
local figures = {
  optimizers = { "optimizers_paths" },
  learning_rate = { "learning_rate_sizes", "learning_rate_schedulers", "learning_rate_warmup" },
  regularization = { "regularization_overfitting", "regularization_weights",
                     "regularization_dropout", "regularization_early_stopping" },
  normalization = { "normalization_batchnorm", "normalization_bn_vs_ln" },
  initialization = { "initialization_scale", "initialization_relu_tanh" },
  pipeline = { "pipeline_data", "pipeline_history", "pipeline_boundary" },
  convolutional = { "convolutional_filters", "convolutional_samples", "convolutional_history",
                    "convolutional_kernels", "convolutional_feature_maps", "convolutional_confusion",
                    "convolutional_mistakes" },
  lr_finder = { "learning_rate_finder" },
  gradient_clipping = { "gradient_clipping" },
  ["exercises/optimizer_comparison"] = { "exercise_optimizer_comparison" },
  ["exercises/early_stopping"] = {},
  ["exercises/dropout_rate"] = { "exercise_dropout_rate" },
}

local docs = false
for _, a in ipairs(arg or {}) do
  if a == "--docs" then docs = true
  else error("all.lua: unknown argument '" .. a .. "' (only --docs)") end
end

-- copies src to dst through a temporary file, so dst is never half-written
local function copy(src, dst)
  local f = assert(io.open(src, "rb"))
  local bytes = f:read("a")
  f:close()
  local tmp = dst .. ".tmp"
  local out = assert(io.open(tmp, "wb"))
  local ok, err = out:write(bytes)
  out:close()
  if not ok then os.remove(tmp); error("all.lua: cannot write " .. tmp .. ": " .. tostring(err)) end
  assert(os.rename(tmp, dst))
end

local failed = {}
local t0 = dlt.clock()
for _, name in ipairs(scripts) do
  local path = here .. "/" .. name .. ".lua"
  print(string.format("== %s", path))
  io.stdout:flush()
  local t = dlt.clock()
  local ok = os.execute(quote(interp) .. " " .. quote(path))
  if not ok then failed[#failed + 1] = name end
  for _, fig in ipairs(figures[name]) do
    local png = FIGDIR .. "/" .. fig .. ".png"
    local f = io.open(png, "rb")
    if not f then
      failed[#failed + 1] = name .. " (no " .. png .. ")"
    else
      f:close()
      if docs then
        os.execute("mkdir -p " .. quote(here .. "/../docs/img"))
        copy(png, here .. "/../docs/img/" .. fig .. ".png")
      end
    end
  end
  print(string.format("   %.2f s", dlt.clock() - t))
end
print(string.format("all figures in %s/ (%.2f s)%s", FIGDIR, dlt.clock() - t0,
  docs and ", copied to docs/img/" or ""))
if #failed > 0 then
  io.stderr:write("failed: " .. table.concat(failed, ", ") .. "\n")
  os.exit(1)
end
