-- test_layers.lua: the include rule of docs/architecture.md: each folder of src/ includes
-- only its own headers and those of the layers below it; a new folder must be placed.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

-- folder -> the folders its files may include (its own, then the layers below)
local allowed = {
  core = { core = true },
  autograd = { core = true, autograd = true },
  nn = { core = true, autograd = true, nn = true },
  optim = { core = true, autograd = true, optim = true },
  dist = { core = true, autograd = true, dist = true },
  plot = { core = true, autograd = true, nn = true, optim = true, dist = true, plot = true },
  lua = { core = true, autograd = true, nn = true, optim = true, dist = true, plot = true, lua = true },
}
-- src/dltlua.c, the interpreter, and its line-editing module (src/dltlua_readline.*)
allowed["."] = { ["."] = true }
for k in pairs(allowed.lua) do allowed["."][k] = true end

-- "core/x.c" -> "core"; "dltlua.c" -> "."
local function folder_of(path)
  return path:match("^([^/]+)/") or "."
end

-- The violations in one file's text: a list of messages naming file, line and include.
local function violations(path, text)
  local out, from = {}, folder_of(path)
  local ok = allowed[from]
  if not ok then
    return { string.format("src/%s: folder %s is not in the layer table of test_layers.lua", path, from) }
  end
  local line = 0
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = line + 1
    local inc = l:match('^%s*#%s*include%s*"([^"]+)"')
    if inc then
      local to = inc:match("^([^/]+)/")
      if not to then
        out[#out + 1] = string.format("src/%s:%d: #include \"%s\" names no folder (write \"%s/%s\")",
          path, line, inc, from, inc)
      elseif not ok[to] then
        out[#out + 1] = string.format("src/%s:%d: %s includes \"%s\", from %s, which is not below it",
          path, line, from, inc, to)
      end
    end
  end
  return out
end

local function source_files()
  local p = io.popen("cd src && find . -type f \\( -name '*.c' -o -name '*.h' -o -name '*.inc' \\) | sort")
  local files = {}
  for f in p:lines() do files[#files + 1] = f:gsub("^%./", "") end
  p:close()
  return files
end

T.test("every include in src/ follows the layer table", function()
  local files, bad = source_files(), {}
  assert(#files > 50, "found only " .. #files .. " source files: run from the source root")
  for _, f in ipairs(files) do
    local h = assert(io.open("src/" .. f, "rb"))
    local text = h:read("a")
    h:close()
    for _, v in ipairs(violations(f, text)) do bad[#bad + 1] = v end
  end
  if #bad > 0 then error("layer violations:\n" .. table.concat(bad, "\n")) end
end)

T.test("an upward include is reported with file, line and folders", function()
  local v = violations("core/storage.c", '#include <stdio.h>\n\n#include "autograd/node.h"\n#include "core/tensor.h"\n')
  T.eq(#v, 1, "violations")
  T.eq(v[1], 'src/core/storage.c:3: core includes "autograd/node.h", from autograd, which is not below it')
  v = violations("autograd/fused.h", '# include "nn/kernels.h"\n')
  T.eq(#v, 1, "violations of autograd -> nn")
  T.eq(#violations("plot/png.c", '#include "lua/common.h"\n'), 1, "plot -> lua")
  T.eq(#violations("optim/adam.c", '#include "nn/module.h"\n'), 1, "optim -> nn (same layer)")
end)

T.test("includes of lower layers and system headers pass", function()
  T.eq(#violations("nn/module.c", '#include <math.h>\n#include "autograd/fused.h"\n#include "core/ops.h"\n'), 0)
  T.eq(#violations("dltlua.c", '#include "lua/common.h"\n#include "plot/plot.h"\n'), 0)
end)

T.test("a folder-less include and an unplaced folder are reported", function()
  T.eq(#violations("core/blas.c", '#include "worker.h"\n'), 1, "folder-less include")
  local v = violations("serve/http.c", '#include "core/ops.h"\n')
  T.eq(#v, 1, "unplaced folder")
  assert(v[1]:find("not in the layer table", 1, true), v[1])
end)

T.run()
