-- test_docs_snippets.lua: every ```lua block of README.md and docs/*.md runs as shown.
-- Each block runs on its own, in a fresh dltlua process (where `dlt` is a global) in an
-- empty folder, so it must define everything else it uses (nn, plt, data files). A
-- block followed by a plain ``` block must print exactly that text. A block that is an
-- excerpt of a notebook script says so on the line before it,
--   <!-- excerpt: scripts/optimizers.lua -->
-- and must appear in that script line for line (the script runs in test_scripts.lua).
-- A block that trains over MPI says so, `<!-- needs: MPI -->` on the line before it; in
-- a dlt without MPI (built with -DDLT_MPI=OFF, or its module missing) such a block must
-- fail saying how to install it, as the page promises.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"

local exe = arg[-1]
assert(exe and exe:find("dltlua"), "run this test with dltlua, got " .. tostring(exe))
local q, run = T.quote, T.shell

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

local function pages()
  local out = { "README.md" }
  local p = io.popen("ls docs/*.md")
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

-- {code, line, expected (or nil), excerpt (or nil)} for each ```lua block of text
local function blocks(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  local out, i = {}, 1
  while i <= #lines do
    local info = lines[i]:match("^```(%S*)%s*$")
    if info then
      local start, body = i, {}
      i = i + 1
      while i <= #lines and not lines[i]:match("^```%s*$") do
        body[#body + 1] = lines[i]
        i = i + 1
      end
      if info == "lua" then
        local b = { code = table.concat(body, "\n") .. "\n", line = start,
          excerpt = start > 1 and lines[start - 1]:match("^<!%-%- excerpt: (%S+) %-%->$"),
          needs_mpi = start > 1 and lines[start - 1]:match("^<!%-%- needs: MPI %-%->$") ~= nil }
        -- the output block: the next fence if only blank lines come between
        local j = i + 1
        while j <= #lines and lines[j]:match("^%s*$") do j = j + 1 end
        if j <= #lines and (lines[j]:match("^```%s*$") or lines[j]:match("^```text%s*$")) then
          local exp = {}
          j = j + 1
          while j <= #lines and not lines[j]:match("^```%s*$") do
            exp[#exp + 1] = lines[j]
            j = j + 1
          end
          b.expected = table.concat(exp, "\n") .. "\n"
        end
        out[#out + 1] = b
      end
    end
    i = i + 1
  end
  return out
end

local function trim_lines(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" then out[#out + 1] = line end
  end
  return table.concat(out, "\n")
end

local work = os.tmpname()
os.remove(work)
local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")
local abs_exe = exe:sub(1, 1) == "/" and exe or cwd .. "/" .. exe
local mpi = run(q(abs_exe) .. " -e 'io.write(tostring(dlt.distributed.is_available()))'") == "true"

local total = 0
for _, page in ipairs(pages()) do
  local list = blocks(read(page))
  for n, b in ipairs(list) do
    total = total + 1
    local where = string.format("%s:%d (Lua block %d)", page, b.line + 1, n)
    if b.excerpt then
      T.test(where .. " is an excerpt of " .. b.excerpt, function()
        local script = trim_lines(read(b.excerpt))
        local piece = trim_lines(b.code)
        assert(script:find(piece, 1, true), where .. ": this block is not found line for line in "
          .. b.excerpt .. "; copy it from the script again")
      end)
    else
      T.test(where .. " runs" .. (b.expected and " and prints what the page shows" or ""), function()
        local dir = work .. "-" .. total
        assert(os.execute("mkdir -p " .. q(dir)))
        local f = assert(io.open(dir .. "/snippet.lua", "w"))
        f:write(b.code)
        f:close()
        local out, rc = run("cd " .. q(dir) .. " && DLT_FIGDIR=figures " .. q(abs_exe) .. " snippet.lua")
        os.execute("rm -rf " .. q(dir))
        if b.needs_mpi and not mpi then
          assert(rc ~= 0 and out:find("apt-get install libopenmpi-dev openmpi-bin", 1, true), string.format(
            "%s needs MPI, which this dlt lacks: it must fail saying how to install it, but printed\n%s", where, out))
          return
        end
        if rc ~= 0 then
          error(string.format("%s fails (status %d); every block must run on its own in dltlua "
            .. "(define nn, plt and whatever else it uses):\n%s", where, rc, out), 0)
        end
        if b.expected and out ~= b.expected then
          error(string.format("%s prints\n%s\nbut the page shows\n%s\n(seed the random "
            .. "generator with dlt.manual_seed, and paste the real output)", where, out, b.expected), 0)
        end
      end)
    end
  end
end

T.test("the pages have Lua blocks at all", function()
  assert(total > 50, "only " .. total .. " blocks found")
end)

T.run()
