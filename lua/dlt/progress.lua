-- progress.lua: a one-line progress bar for training loops. It appears only on a
-- terminal (stderr a TTY) and only once a loop has run for `delay` seconds, so
-- short runs, pipes and files see nothing extra.
--   local bar = dlt.progress(epochs, {desc = "train"})
--   bar:update(epoch, {loss = l}); bar:print("a line"); bar:close()
-- or as a loop, like tqdm: for i in dlt.progress(n), for i, v in dlt.progress(list),
--   for i, xb, yb in dlt.progress(loader), for i, line in dlt.progress(io.lines(path))
--   (counts from 1, closes itself at the end)
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
    if k ~= "desc" and k ~= "delay" and k ~= "unit" and k ~= "total" then
      error("progress: unknown option '" .. tostring(k) .. "'", 3)
    end
  end
end

-- what a loop over `over` yields after the count: nothing (a number), the list's
-- values, a loader's batches (anything with :iter() and a length), or what an iterator
-- function returns (io.lines(path), loader:iter(): its length is unknown, total -1)
local function items_of(over)
  if type(over) == "number" then return over, nil end
  if type(over) == "function" then return -1, function() return over end end
  local ok, iter = pcall(function() return over.iter end)
  if ok and type(iter) == "function" then
    return #over, function() return over:iter() end
  end
  if type(over) == "table" then
    return #over, function()
      local i = 0
      return function()
        i = i + 1
        if over[i] ~= nil then return over[i] end
      end
    end
  end
  return nil
end

function M.bar(over, opts)
  opts = opts or {}
  if type(over) == "number" and not (over >= 1) then
    error("progress: total must be a positive number, got " .. tostring(over), 2)
  end
  local total, make_iter = items_of(over)
  if type(total) ~= "number" then
    error("progress: expected a count, a list, a DataLoader or an iterator function, got "
      .. tostring(over), 2)
  end
  check_opts(opts)
  if total < 0 and opts.total ~= nil then
    if math.type(opts.total) ~= "integer" or opts.total < 0 then
      error("progress: total must be a count, got " .. tostring(opts.total), 2)
    end
    total = opts.total
  end
  local now = dlt.clock()
  return setmetatable({
    total = total, n = 0, desc = opts.desc or "", unit = opts.unit or "it",
    delay = opts.delay or 1.0, start = now, last_draw = -math.huge,
    -- in a process group only rank 1 draws (the others would draw over its line)
    enabled = stderr_is_tty() and dlt.distributed.is_main_process(), shown = false, stats = nil,
    make_iter = make_iter,
  }, Bar)
end

-- the generic for calls the bar: the count from 1, then what the loop is over yields
function Bar:__call()
  if self.total >= 0 and (self.n >= self.total and self.total > 0 or (self.total == 0 and self.started)) then
    self:close()
    return nil
  end
  self.started = true
  if self.make_iter and not self.iter then self.iter = self.make_iter() end
  local i = self.n + 1
  if self.iter then
    local r = table.pack(self.iter())
    if r[1] == nil then
      self:close()
      return nil
    end
    self:update(i)
    return i, table.unpack(r, 1, r.n)
  end
  self:update(i)
  return i
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
  if self.total < 0 then  -- an iterator of unknown length: the count and the rate, as tqdm
    return string.format("%s%d %s [%s, %.1f %s/s]%s", self.desc ~= "" and self.desc .. " " or "", self.n,
      self.unit, fmt_time(elapsed), rate, self.unit, fmt_stats(self.stats))
  end
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
  self.n, self.stats = self.total < 0 and n or math.min(n, self.total), stats or self.stats
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

return setmetatable(M, { __call = function(_, over, opts) return M.bar(over, opts) end })
