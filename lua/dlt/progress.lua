-- progress.lua: a one-line progress bar for training loops. It appears only on a
-- terminal (stderr a TTY) and only once a loop has run for `delay` seconds, so
-- short runs, pipes and files see nothing extra.
--   local bar = dlt.progress(epochs, {desc = "train"})
--   bar:update(epoch, {loss = l}); bar:print("a line"); bar:close()
local dlt = require "dlt"

local M = {}

local tty_cache
-- DLT_PROGRESS=0 turns the bar off, =1 forces it on (for testing the drawing)
local function stderr_is_tty()
  if tty_cache == nil then
    local env = os.getenv("DLT_PROGRESS")
    if env == "0" then
      tty_cache = false
    elseif env == "1" then
      tty_cache = true
    else
      tty_cache = dlt.isatty(io.stderr)
    end
  end
  return tty_cache
end

local Bar = {}
Bar.__index = Bar

local function check_opts(opts)
  if type(opts) ~= "table" then
    error("progress: options must be a table, got " .. type(opts), 3)
  end
  for k in pairs(opts) do
    if k ~= "desc" and k ~= "delay" and k ~= "unit" then
      error("progress: unknown option '" .. tostring(k) .. "'", 3)
    end
  end
end

function M.bar(total, opts)
  opts = opts or {}
  if type(total) ~= "number" or total < 1 then
    error("progress: total must be a positive number, got " .. tostring(total), 2)
  end
  check_opts(opts)
  local now = dlt.clock()
  return setmetatable({
    total = total, n = 0, desc = opts.desc or "", unit = opts.unit or "it",
    delay = opts.delay or 1.0, start = now, last_draw = -math.huge,
    -- in a process group only rank 1 draws (the others would draw over its line)
    enabled = stderr_is_tty() and dlt.distributed.is_main_process(), shown = false, stats = nil,
  }, Bar)
end

local function fmt_time(s)
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

local function fmt_stats(stats)
  if not stats then return "" end
  local keys = {}
  for k in pairs(stats) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = stats[k]
    if type(v) == "number" then v = string.format("%.4g", v) end
    parts[#parts + 1] = k .. "=" .. tostring(v)
  end
  return " " .. table.concat(parts, " ")
end

function Bar:line(now)
  local elapsed = now - self.start
  local rate = self.n > 0 and self.n / elapsed or 0
  local eta = rate > 0 and (self.total - self.n) / rate or 0
  local head = (self.desc ~= "" and self.desc .. " " or "") ..
    string.format("%d/%d ", self.n, self.total)
  local tail = string.format(" %3d%%%s %.1f %s/s %s<%s", math.floor(100 * self.n / self.total),
    fmt_stats(self.stats), rate, self.unit, fmt_time(elapsed), fmt_time(eta))
  -- a fixed bar width, so the line does not jitter as the numbers change
  local cols = tonumber(os.getenv("COLUMNS") or "") or 80
  local width = 25
  local filled = math.floor(width * self.n / self.total)
  local bar = string.rep("=", filled) .. (filled < width and ">" or "") ..
    string.rep(" ", math.max(0, width - filled - 1))
  local line = head .. "[" .. bar .. "]" .. tail
  if #line > cols - 1 then line = line:sub(1, cols - 1) end
  return line
end

function Bar:draw(now)
  io.stderr:write("\r\27[K", self:line(now))
  io.stderr:flush()
  self.shown, self.last_draw = true, now
end

-- n: items done so far; stats: a table of name = value shown after the bar
function Bar:update(n, stats)
  self.n, self.stats = math.min(n, self.total), stats or self.stats
  if not self.enabled then return end
  local now = dlt.clock()
  if now - self.start < self.delay then return end
  if now - self.last_draw >= 0.1 or self.n == self.total then self:draw(now) end
end

-- prints a line to stdout without tearing the bar
function Bar:print(s)
  if self.shown then
    io.stderr:write("\r\27[K")
    io.stderr:flush()
  end
  io.stdout:write(s, "\n")
  io.stdout:flush()
  if self.shown then self:draw(dlt.clock()) end
end

-- leaves the finished bar on its line (if it was ever shown)
function Bar:close()
  if self.shown then
    self:draw(dlt.clock())
    io.stderr:write("\n")
    io.stderr:flush()
    self.shown = false
  end
end

return setmetatable(M, { __call = function(_, total, opts) return M.bar(total, opts) end })
