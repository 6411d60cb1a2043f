-- notebook.lua: the setup the notebook scripts under scripts/ share: the figure
-- folder ($DLT_FIGDIR, default figures/), saving a figure and saying where, the
-- notebook's plot style, and
-- scripts/pipeline.lua loaded as a module. Not part of the dlt table: scripts
-- `require "dlt.notebook"`.
local dlt = require "dlt"

local M = {}

-- the folder figures are written to
function M.figdir()
  return os.getenv("DLT_FIGDIR") or "figures"
end

-- Creates the figure folder, sets the notebook's seaborn whitegrid style, and
-- returns figpath(name), the PNG path of the figure called name.
function M.setup()
  local figdir = M.figdir()
  dlt.makedirs(figdir)
  dlt.plot.style.use("seaborn-v0_8-whitegrid")
  return function(name) return figdir .. "/" .. name .. ".png" end
end

-- Saves fig as the figure called name and prints where it went (stderr stays empty
-- off a terminal); returns the path.
function M.savefig(fig, name)
  local path = M.figdir() .. "/" .. name .. ".png"
  fig:savefig(path)
  print("Figure written to " .. path)
  return path
end

-- scripts/pipeline.lua's pieces (make_moons_data, BestPracticesNetwork, train_model,
-- loaders) without running its section. It is looked for beside the running
-- script, then one folder up (for scripts/exercises/).
function M.pipeline()
  local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
  for _, dir in ipairs({ here, here .. "/.." }) do
    if package.searchpath("pipeline", dir .. "/?.lua") then
      package.path = dir .. "/?.lua;" .. package.path
      return require "pipeline"
    end
  end
  error("notebook.pipeline: no pipeline.lua in '" .. here .. "' or '" .. here .. "/..'", 2)
end

return M
