-- test_datasets.lua: dlt.data.read_idx on every IDX element type, plain and gzip, and on
-- hostile files; FashionMNIST against its raw files; the transforms; DataLoader batches.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local D = dlt.data
local TF = D.transforms

local dir = os.getenv("TMPDIR") or "/tmp"
dir = dir .. "/dlt_test_datasets_" .. tostring(os.time()) .. "_" .. tostring(math.random(1e9))
assert(dlt.makedirs(dir))

local function write(name, bytes)
  local p = dir .. "/" .. name
  local f = assert(io.open(p, "wb"))
  f:write(bytes)
  f:close()
  return p
end

local function gzip(p)
  assert(os.execute("gzip -kf '" .. p .. "'"))
  return p .. ".gz"
end

local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- an IDX file: header for type code and shape, then the packed data
local function idx(code, shape, data)
  local h = string.pack(">BBBB", 0, 0, code, #shape)
  for _, d in ipairs(shape) do h = h .. string.pack(">I4", d) end
  return h .. data
end

local FMT = { [0x08] = ">B", [0x09] = ">b", [0x0B] = ">i2", [0x0C] = ">i4", [0x0D] = ">f", [0x0E] = ">d" }

T.test("read_idx reads each element type, big-endian, in its declared shape", function()
  local values = {
    [0x08] = { 0, 1, 255, 7, 128, 3 },
    [0x09] = { -128, -1, 0, 1, 127, 5 },
    [0x0B] = { -32768, -2, 0, 300, 32767, 9 },
    [0x0C] = { -2147483648, -70000, 0, 70000, 2147483647, 11 },
    [0x0D] = { -1.5, 0.25, 0, 3.5, 1e30, -2 },
    [0x0E] = { -1e300, 0.1, 0, 1 / 3, 2 ^ 60, -7 },
  }
  for code, v in pairs(values) do
    local data = {}
    for i, x in ipairs(v) do data[i] = string.pack(FMT[code], x) end
    local p = write(string.format("t%02x.idx", code), idx(code, { 2, 3 }, table.concat(data)))
    for _, path in ipairs({ p, gzip(p) }) do
      local t = D.read_idx(path)
      T.eq(t:dim(), 2, "two dims")
      T.eq(t:size(1), 2)
      T.eq(t:size(2), 3)
      T.eq(t.dtype, code == 0x0D and "float32" or "float64", "dtype of type " .. code)
      for i = 1, 6 do
        local want = v[i]
        if code == 0x0D then want = string.unpack(">f", string.pack(">f", want)) end
        T.eq(t[(i - 1) // 3 + 1][(i - 1) % 3 + 1], want, string.format("type 0x%02x element %d", code, i))
      end
    end
  end
end)

T.test("read_idx converts to a requested dtype", function()
  local p = write("u8.idx", idx(0x08, { 4 }, string.char(0, 10, 200, 255)))
  local t = D.read_idx(p, { dtype = "float32" })
  T.eq(t.dtype, "float32")
  T.close(t, dlt.tensor({ 0, 10, 200, 255 }), 0, 0)
end)

T.test("read_idx refuses hostile files, naming the file", function()
  local cases = {
    { "magic.idx", string.char(1, 0, 8, 1, 0, 0, 0, 1, 5), "is not an IDX file" },
    { "type.idx", string.char(0, 0, 0x42, 1, 0, 0, 0, 1, 5), "unknown element type 0x42" },
    { "dims0.idx", string.char(0, 0, 8, 0), "declares 0 dims" },
    { "dims9.idx", string.char(0, 0, 8, 9), "declares 9 dims" },
    { "short.idx", string.char(0, 0, 8), "shorter than its header" },
    { "header.idx", string.char(0, 0, 8, 2, 0, 0, 0, 4), "shorter than its header" },
    { "big.idx", idx(0x08, { 1000, 1000 }, "abc"), "declares 1000000 bytes of data, the file has 3" },
    { "huge.idx", idx(0x0E, { 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF }, ""), "too large" },
    { "trail.idx", idx(0x08, { 2 }, "abc"), "declares 2 bytes of data, the file has 3" },
  }
  for _, c in ipairs(cases) do
    local p = write(c[1], c[2])
    T.raises(function() D.read_idx(p) end, c[3], c[1])
    T.raises(function() D.read_idx(p) end, p, c[1] .. " names the file")
  end
  T.raises(function() D.read_idx(dir .. "/missing.idx") end, "cannot open")
  T.raises(function() D.read_idx(dir) end, "read_idx")
end)

T.test("read_idx refuses lying or broken gzip files before allocating", function()
  -- a header declaring 4e9 bytes, compressed: the gzip's size says otherwise
  local p = gzip(write("lie.idx", idx(0x08, { 65536, 65536 }, "xyz")))
  T.raises(function() D.read_idx(p) end, "declares 4294967296 bytes of data")
  -- the compressed stream cut short
  local whole = slurp(gzip(write("cut.idx", idx(0x0C, { 3000 }, string.rep(string.pack(">i4", 12345), 3000)))))
  local cut = write("cut2.idx.gz", whole:sub(1, #whole // 2) .. whole:sub(-8))
  T.raises(function() D.read_idx(cut) end, "cut2.idx.gz")
  local junk = write("junk.gz", "\31\139" .. string.rep("\0", 40))
  T.raises(function() D.read_idx(junk) end, "junk.gz")
end)

local FM = "/usr/share/datasets/fashion-mnist"
local have_fm = io.open(FM .. "/t10k-labels-idx1-ubyte.gz", "rb")
if have_fm then have_fm:close() end

T.test("FashionMNIST test split: images (N,1,28,28) in [0,1], labels 1..10 as in the raw files", function()
  if not have_fm then error("dataset-fashion-mnist is not installed (tools/setup.sh installs it)") end
  local ds = D.FashionMNIST { train = false }
  T.eq(#ds, 10000)
  T.eq(ds.data:dim(), 4)
  T.eq(ds.data:size(2), 1)
  T.eq(ds.data:size(3), 28)
  T.eq(ds.data:size(4), 28)
  T.eq(ds.data.dtype, "float32")
  T.eq(ds.data:min():item(), 0)
  T.eq(ds.data:max():item(), 1)
  T.eq(#ds.images, 10000, "the images are kept as bytes")
  local m, s = ds.images:stats()
  T.close(m, ds.data:double():mean():item(), 1e-6, 0, "byte mean")
  T.close(s, ds.data:double():std():item(), 1e-6, 0, "byte std")
  T.eq(#ds.classes, 10)
  T.eq(ds.classes[1], "T-shirt/top")
  T.eq(ds.classes[10], "Ankle boot")
  -- the labels and the first image, decoded here from the raw bytes by gzip and string.unpack
  local h = io.popen("gzip -dc " .. FM .. "/t10k-labels-idx1-ubyte.gz")
  local raw = h:read("a")
  h:close()
  T.eq(#raw, 8 + 10000)
  for i = 1, 10000, 97 do T.eq(ds.targets[i], raw:byte(8 + i) + 1, "label " .. i) end
  h = io.popen("gzip -dc " .. FM .. "/t10k-images-idx3-ubyte.gz")
  local img = h:read(16 + 784)
  h:close()
  local x = ds[1][1]
  for k = 1, 784 do
    local want = img:byte(16 + k) / 255
    local got = x[1][(k - 1) // 28 + 1][(k - 1) % 28 + 1]
    if math.abs(got - want) > 1e-7 then error(string.format("pixel %d: %g, raw %g", k, got, want)) end
  end
  T.eq(ds[1][2], raw:byte(9) + 1)
end)

T.test("FashionMNIST options: mean/std normalise, unknown options and a missing root are named", function()
  if not have_fm then error("dataset-fashion-mnist is not installed (tools/setup.sh installs it)") end
  local a = D.FashionMNIST { train = false }
  local b = D.FashionMNIST { train = false, mean = 0.2860, std = 0.3530 }
  T.close(b.data:narrow(1, 1, 50), (a.data:narrow(1, 1, 50) - 0.2860) / 0.3530, 1e-6, 1e-6)
  a.mean, a.std = 0.5, 0.25   -- settable: applied to the images taken from now on
  T.close(a[7][1], (b[7][1] * 0.3530 + 0.2860 - 0.5) / 0.25, 1e-5, 1e-5)
  T.raises(function() D.FashionMNIST { batch = 3 } end, "FashionMNIST: unknown option 'batch'")
  T.raises(function() D.FashionMNIST { root = dir .. "/none" } end, "apt-get install dataset-fashion-mnist")
  T.raises(function() D.MNIST { root = dir .. "/none" } end, "t10k-images-idx3-ubyte")
  T.raises(function() D.FashionMNIST { train = "yes" } end, "train must be a boolean")
end)

T.test("MNIST reads a folder of IDX files a user has", function()
  local mdir = dir .. "/mnist"
  assert(dlt.makedirs(mdir))
  local pix = {}
  for i = 1, 3 * 4 * 4 do pix[i] = string.char((i * 37) % 256) end
  for _, split in ipairs({ "train", "t10k" }) do
    write("mnist/" .. split .. "-images-idx3-ubyte", idx(0x08, { 3, 4, 4 }, table.concat(pix)))
    gzip(dir .. "/mnist/" .. split .. "-images-idx3-ubyte")
    os.remove(dir .. "/mnist/" .. split .. "-images-idx3-ubyte")
    write("mnist/" .. split .. "-labels-idx1-ubyte", idx(0x08, { 3 }, string.char(0, 9, 4)))
  end
  local ds = D.MNIST { root = mdir }
  T.eq(#ds, 3)
  T.eq(ds.targets[2], 10)
  T.eq(ds.classes[ds.targets[3]], "4 - four")
  T.close(ds[1][1][1][1][2], (2 * 37 % 256) / 255, 1e-7, 0)
end)

T.test("Subset and random_split: PyTorch's lengths (counts or fractions), one permutation, batches in one call", function()
  local ds = D.TensorDataset(dlt.arange(1, 11):view(10, 1), dlt.arange(1, 11) * 10)
  dlt.manual_seed(1)
  local a, b = D.random_split(ds, { 7, 3 })
  T.eq(#a, 7)
  T.eq(#b, 3)
  local seen = {}
  for _, s in ipairs({ a, b }) do
    for i = 1, #s do
      local row = s[i]
      T.eq(row[2], row[1][1] * 10, "rows travel whole")
      assert(not seen[row[2]], "a row is in one part only")
      seen[row[2]] = true
    end
  end
  local n = 0
  for xb, yb in D.DataLoader(a, { batch_size = 4 }):iter() do
    for j = 1, xb:size(1) do T.eq(yb[j], xb[j][1] * 10) end
    n = n + xb:size(1)
  end
  T.eq(n, 7)
  local c, d = D.random_split(ds, { 0.75, 0.25 })
  T.eq(#c, 8, "floor(7.5) plus the remainder, as PyTorch 1.13")
  T.eq(#d, 2)
  local s = D.Subset(ds, { 2, 4, 6 })
  T.eq(#s, 3)
  T.eq(s[3][2], 60)
  T.raises(function() D.random_split(ds, { 5, 3 }) end, "lengths add up to 8, the data set has 10 rows")
  T.raises(function() D.Subset(ds, { 0 }) end, "Subset: index 0")
  T.raises(function() return s[4] end, "Subset: index 4 out of range 1..3")
end)

local function ramp(c, h, w)
  return dlt.arange(1, c * h * w + 1):view(c, h, w)
end

T.test("RandomCrop with padding is the image shifted by at most the padding, zeros around", function()
  dlt.manual_seed(3)
  local x = ramp(2, 6, 5)
  local crop = TF.RandomCrop({ 6, 5 }, { padding = 2 })
  local shifts = {}
  for _ = 1, 40 do
    local y = crop(x)
    T.eq(y:size(1), 2)
    T.eq(y:size(2), 6)
    T.eq(y:size(3), 5)
    local found
    for di = -2, 2 do
      for dj = -2, 2 do
        local ok = true
        for c = 1, 2 do
          for r = 1, 6 do
            for q = 1, 5 do
              local sr, sq = r + di, q + dj
              local want = (sr >= 1 and sr <= 6 and sq >= 1 and sq <= 5) and x[c][sr][sq] or 0
              if y[c][r][q] ~= want then ok = false end
            end
          end
        end
        if ok then found = di .. "," .. dj end
      end
    end
    assert(found, "a crop is not a shifted image")
    shifts[found] = true
  end
  local n = 0
  for _ in pairs(shifts) do n = n + 1 end
  assert(n >= 8, "crop positions vary (" .. n .. " distinct in 40)")
  T.raises(function() TF.RandomCrop(10)(x) end, "larger than the padded image")
  T.raises(function() TF.RandomCrop(3, { padding = -1 }) end, "padding must be an integer >= 0")
end)

T.test("RandomHorizontalFlip mirrors the last dim with probability p", function()
  local x = ramp(1, 2, 3)
  T.close(TF.RandomHorizontalFlip(1)(x), dlt.tensor({ { { 3, 2, 1 }, { 6, 5, 4 } } }), 0, 0)
  T.close(TF.RandomHorizontalFlip(0)(x), x, 0, 0)
  dlt.manual_seed(1)
  local flips = 0
  for _ = 1, 400 do
    if TF.RandomHorizontalFlip()(x)[1][1][1] == 3 then flips = flips + 1 end
  end
  assert(flips > 150 and flips < 250, "p = 0.5 flips about half: " .. flips)
  T.raises(function() TF.RandomHorizontalFlip(2) end, "p must be a probability")
end)

T.test("Normalize subtracts each channel's mean and divides by its std; Compose chains", function()
  local x = ramp(2, 2, 2)
  local y = TF.Compose { TF.Normalize({ 1, 5 }, { 2, 4 }) } (x)
  T.close(y[1], (x[1] - 1) / 2, 1e-7, 0)
  T.close(y[2], (x[2] - 5) / 4, 1e-7, 0)
  T.raises(function() TF.Normalize({ 1, 2, 3 }, { 1, 1, 1 })(x) end, "image has 2 channels")
  T.raises(function() TF.Normalize({ 1 }, { 0 }) end, "std[1] is 0")
  T.raises(function() TF.Compose { 3 } end, "item 1 is a number")
end)

T.test("DataLoader over an image data set: one call per batch, rows as ds[i] gives them", function()
  if not have_fm then error("dataset-fashion-mnist is not installed (tools/setup.sh installs it)") end
  local ds = D.FashionMNIST { train = false }
  local loader = D.DataLoader(ds, { batch_size = 64 })
  T.eq(#loader, 157)
  local b = 0
  for xb, yb in loader:iter() do
    b = b + 1
    if b == 2 then
      T.eq(xb:size(1), 64)
      T.close(xb[5], ds[64 + 5][1], 0, 0)
      T.eq(yb[5], ds[64 + 5][2])
    end
  end
  T.eq(b, 157)
  dlt.manual_seed(0)
  local flip = D.FashionMNIST { train = false, transform = TF.RandomHorizontalFlip(1) }
  local xb = D.DataLoader(flip, { batch_size = 4 }):iter()()
  T.close(xb[1], ds[1][1]:index_select(3, dlt.arange(28, 0, -1)), 0, 0)
end)

T.run()
os.execute("rm -rf '" .. dir .. "'")
