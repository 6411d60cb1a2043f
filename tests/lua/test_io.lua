-- test_io.lua: dlt.save / dlt.load (safetensors) and dlt.save_npy / dlt.load_npy from
-- Lua: exact round trips, files written by torch and numpy, and errors naming the fault.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local tmp = os.tmpname()  -- a fresh file name; our files get suffixes of it
local made = {}
local function path(suffix)
  made[#made + 1] = tmp .. suffix
  return tmp .. suffix
end

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end

T.test("save/load round trips float32 and float64 exactly, names sorted into the file", function()
  local a = dlt.tensor({ { 0.1, -2.5, 3 }, { 1e-30, 7, 1 / 3 } })
  local b = dlt.tensor({ 1 / 3, 2 / 3 }, { dtype = "float64" })
  local s = dlt.tensor(4.25)
  local p = path(".safetensors")
  dlt.save(p, { ["net.0.weight"] = a, ["net.0.bias"] = b, step = s })
  local t, meta = dlt.load(p)
  T.eq(meta, nil, "no metadata")
  T.eq(t["net.0.weight"].dtype, "float32")
  T.eq(t["net.0.bias"].dtype, "float64")
  T.close(t["net.0.weight"], a, 0, 0, "weight")
  T.close(t["net.0.bias"], b, 0, 0, "bias")
  T.eq(t.step:dim(), 0, "0-D stays 0-D")
  T.eq(t.step:item(), 4.25)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  T.eq(n, 3, "tensor count")
  -- the header lists the names in sorted order, so the same table gives the same bytes
  local f = io.open(p, "rb")
  local bytes = f:read("a")
  f:close()
  local hlen = string.unpack("<I8", bytes)
  local header = bytes:sub(9, 8 + hlen)
  T.eq(hlen % 8, 0, "header padded to 8 bytes")
  T.eq(#bytes, 8 + hlen + 6 * 4 + 2 * 8 + 4, "file size")
  local i1, i2, i3 = header:find('"net.0.bias"'), header:find('"net.0.weight"'), header:find('"step"')
  T.eq(i1 < i2 and i2 < i3, true, "sorted names")
end)

T.test("a transposed view is saved in its logical order; metadata round trips", function()
  local a = dlt.tensor({ { 1, 2, 3 }, { 4, 5, 6 } }):t()
  local p = path("-t.safetensors")
  dlt.save(p, { a = a }, { format = "pt", note = "é \"quoted\"" })
  local t, meta = dlt.load(p)
  T.close(t.a, { { 1, 4 }, { 2, 5 }, { 3, 6 } }, 0, 0, "transposed")
  T.eq(meta.format, "pt")
  T.eq(meta.note, "é \"quoted\"")
end)

-- tests/fixtures/io_torch.safetensors: written by tests/golden/gen_io.py from torch tensors
T.test("load reads the file the golden script wrote from torch", function()
  local t, meta = dlt.load("tests/fixtures/io_torch.safetensors")
  T.eq(meta.format, "pt")
  local want = {}
  for i = 0, 11 do want[#want + 1] = i / 8 - 0.5 end
  T.eq(t.f32.dtype, "float32")
  T.eq(t.f32:size(1), 3)
  T.close(t.f32:reshape(12), want, 0, 0, "f32 = arange(12)/8 - 0.5")
  T.close(t.f64, { 0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3 }, 0, 0, "f64 = arange(6)/3")
  T.close(t.f16, { -1, -0.75, -0.5, -0.25 }, 0, 0, "f16")
  T.close(t.bf16, { -3, -1, 1, 3 }, 0, 0, "bf16")
  T.eq(t.num_batches_tracked:item(), 7, "int64 scalar")
end)

T.test("save_npy/load_npy round trip; numpy's fortran-order file loads in C order", function()
  local a = dlt.tensor({ { 1.5, 2 }, { -3, 4 }, { 5, 6 } }, { dtype = "float64" })
  local p = path(".npy")
  dlt.save_npy(p, a)
  local b = dlt.load_npy(p)
  T.eq(b.dtype, "float64")
  T.close(b, a, 0, 0, "npy round trip")
  local f = dlt.load_npy("tests/fixtures/io_f8_fortran.npy")  -- arange(12).reshape(3,4)/3
  T.eq(f:size(1), 3)
  T.close(f[2], { 4 / 3, 5 / 3, 2, 7 / 3 }, 0, 0, "row 2")
  T.close(dlt.load_npy("tests/fixtures/io_f8_be.npy"), { 0, 1 / 7, 2 / 7, 3 / 7, 4 / 7 }, 0, 0, "big-endian")
end)

T.test("a save into a missing directory names the path and the reason, and writes nothing", function()
  local p = tmp .. "-missing/x.safetensors"
  local err = T.raises(function() dlt.save(p, { a = dlt.ones(2) }) end,
    "save: cannot open '" .. p .. "': No such file or directory")
  T.eq(exists(p), false, "no file")
  T.raises(function() dlt.save_npy(p, dlt.ones(2)) end, "save_npy: cannot open '" .. p .. "': No such file or directory")
  T.eq(type(err), "string")
end)

T.test("a failed save keeps the old file whole", function()
  local p = path("-keep.safetensors")
  dlt.save(p, { a = dlt.ones(3) })
  T.raises(function() dlt.save(p, { a = dlt.ones(3), b = "x" }) end, "save: value of 'b' is a string, expected a tensor")
  T.close(dlt.load(p).a, { 1, 1, 1 }, 0, 0, "old contents")
end)

T.test("bad arguments are errors naming the function and value", function()
  T.raises(function() dlt.save(1, {}) end, "save: expected a path (string), got number")
  T.raises(function() dlt.save("a\0b", {}) end, "save: path contains a NUL byte")
  T.raises(function() dlt.save(path(".st"), dlt.ones(2)) end, "table of tensors by name expected")
  T.raises(function() dlt.save(path(".st"), { dlt.ones(2) }) end, "save: tensor name 1 is a number, expected a string")
  T.raises(function() dlt.save(path(".st"), { a = dlt.ones(1) }, { k = 1 }) end, "save: metadata value 1 is a number")
  T.raises(function() dlt.save(path(".st"), { __metadata__ = dlt.ones(1) }) end, "'__metadata__' is reserved")
  T.raises(function() dlt.save_npy(path(".npy"), { 1, 2 }) end, "tensor expected")
  T.raises(function() dlt.load(tmp .. "-none") end, "load: cannot open '" .. tmp .. "-none': No such file or directory")
  T.raises(function() dlt.load_npy(tmp .. "-none") end, "load_npy: cannot open '")
end)

T.test("files of the wrong kind are refused, not misread", function()
  local p = path(".txt")
  local f = io.open(p, "wb")
  f:write("hello, this is not a tensor file")
  f:close()
  T.raises(function() dlt.load(p) end, "is not a safetensors file")
  T.raises(function() dlt.load_npy(p) end, "is not a .npy file")
  T.raises(function() dlt.load_npy("tests/fixtures/io_torch.safetensors") end, "is not a .npy file")
  T.raises(function() dlt.load("tests/fixtures/io_f4.npy") end, "is not a safetensors file")
  T.raises(function() dlt.load_npy("tests/fixtures/io_c8.npy") end, "dtype '<c8' is not supported")
end)

T.test("every truncation of a saved file is refused", function()
  local p = path("-cut.safetensors")
  dlt.save(p, { w = dlt.ones(2, 3), b = dlt.zeros(3, { dtype = "float64" }) })
  local f = io.open(p, "rb")
  local bytes = f:read("a")
  f:close()
  local q = path("-cut2.safetensors")
  for n = 0, #bytes - 1, 7 do
    local g = io.open(q, "wb")
    g:write(bytes:sub(1, n))
    g:close()
    T.raises(function() dlt.load(q) end, "load: '" .. q .. "'", "prefix " .. n)
  end
end)

T.run()  -- exits non-zero on a failure, leaving the temporaries in /tmp to look at
os.remove(tmp)
for _, p in ipairs(made) do os.remove(p) end
