-- test_data.lua: dlt.data: TensorDataset, DataLoader batch counts and shuffling, the
-- toy data sets' shapes, labels and geometry, train_test_split and load_csv.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local D = dlt.data

-- X has an id column 1..n, so batches show which rows they hold
local function ids(n)
  local X = dlt.zeros(n, 2)
  for i = 1, n do X[i] = dlt.tensor({ i, -i }) end
  return X, dlt.arange(1, n + 1) * 10
end

local function all_rows(loader)
  local seen, sizes = {}, {}
  for xb, yb in loader:iter() do
    sizes[#sizes + 1] = xb:size(1)
    T.eq(yb:size(1), xb:size(1), "x and y batches agree")
    for j = 1, xb:size(1) do
      T.eq(yb[j], xb[j][1] * 10, "y row travels with its x row")
      seen[#seen + 1] = math.tointeger(xb[j][1])
    end
  end
  return seen, sizes
end

T.test("dlt.data is a table of the API's functions", function()
  T.eq(type(D), "table")
  for _, k in ipairs { "TensorDataset", "DataLoader", "make_moons", "make_circles", "make_blobs",
    "train_test_split", "load_csv" } do
    T.eq(type(D[k]), "function", k)
  end
end)

T.test("TensorDataset indexes rows of every tensor and checks their counts", function()
  local X, y = ids(5)
  local ds = D.TensorDataset(X, y)
  T.eq(#ds, 5)
  local r = ds[3]
  T.close(r[1], { 3, -3 }, 0, 0, "x row")
  T.eq(r[2], 30, "a 1-D tensor gives a number")
  T.raises(function() return ds[6] end, "TensorDataset: index 6 out of range 1..5")
  T.raises(function() D.TensorDataset(X, dlt.zeros(4)) end, "TensorDataset: tensor 2 has 4 rows, tensor 1 has 5")
  T.raises(function() D.TensorDataset(X, { 1, 2 }) end, "TensorDataset: argument 2 must be a tensor, got table")
  T.raises(function() D.TensorDataset() end, "TensorDataset: expected at least one tensor")
end)

T.test("DataLoader: #loader and batch sizes with and without drop_last", function()
  local ds = D.TensorDataset(ids(10))
  local l = D.DataLoader(ds, { batch_size = 3 })
  T.eq(#l, 4, "ceil(10/3)")
  local seen, sizes = all_rows(l)
  T.close(sizes, { 3, 3, 3, 1 }, 0, 0, "sizes")
  for i = 1, 10 do T.eq(seen[i], i, "unshuffled order") end
  local d = D.DataLoader(ds, { batch_size = 3, drop_last = true })
  T.eq(#d, 3, "floor(10/3)")
  seen, sizes = all_rows(d)
  T.close(sizes, { 3, 3, 3 }, 0, 0, "sizes with drop_last")
  T.eq(#D.DataLoader(ds), 10, "batch_size defaults to 1")
  T.eq(#D.DataLoader(ds, { batch_size = 10, drop_last = true }), 1)
  T.eq(#D.DataLoader(ds, { batch_size = 11, drop_last = true }), 0)
  T.eq(#D.DataLoader(ds, { batch_size = 11 }), 1)
end)

T.test("DataLoader shuffle covers every row once and repeats under manual_seed", function()
  local ds = D.TensorDataset(ids(23))
  local l = D.DataLoader(ds, { batch_size = 4, shuffle = true })
  dlt.manual_seed(7)
  local a = all_rows(l)
  local b = all_rows(l)
  dlt.manual_seed(7)
  local c = all_rows(l)
  local sorted, same_ab, identity = {}, true, true
  for i = 1, 23 do
    sorted[i] = a[i]
    T.eq(a[i], c[i], "same seed, same order")
    if a[i] ~= b[i] then same_ab = false end
    if a[i] ~= i then identity = false end
  end
  table.sort(sorted)
  for i = 1, 23 do T.eq(sorted[i], i, "each row once") end
  T.eq(same_ab, false, "each epoch draws a new order")
  T.eq(identity, false, "shuffled")
end)

T.test("DataLoader options are checked", function()
  local ds = D.TensorDataset(ids(4))
  T.raises(function() D.DataLoader(ds, { batchsize = 2 }) end, "DataLoader: unknown option 'batchsize'")
  T.raises(function() D.DataLoader(ds, { batch_size = 0 }) end, "DataLoader: batch_size must be at least 1, got 0")
  T.raises(function() D.DataLoader(ds, { batch_size = 1.5 }) end, "DataLoader: batch_size must be an integer, got 1.5")
  T.raises(function() D.DataLoader(ds, { shuffle = 1 }) end, "DataLoader: option 'shuffle' must be a boolean, got number")
  T.raises(function() D.DataLoader(5) end, "DataLoader: expected a dataset")
end)

T.test("DataLoader stacks the rows of a dataset written in Lua", function()
  local ds = setmetatable({}, {
    __len = function() return 5 end,
    __index = function(_, i) return { dlt.tensor({ i, 2 * i }), i } end,
  })
  local got = {}
  for xb, yb in D.DataLoader(ds, { batch_size = 2 }):iter() do got[#got + 1] = { xb, yb } end
  T.eq(#got, 3)
  T.close(got[1][1], { { 1, 2 }, { 2, 4 } }, 0, 0, "stacked x")
  T.close(got[3][2], { 5 }, 0, 0, "numbers become a tensor")
end)

T.test("make_moons: shapes, dtype, label balance and the notebook's geometry", function()
  local X, y = D.make_moons(101, { shuffle = false })
  T.eq(X.dtype, "float32")
  T.eq(y.dtype, "float32")
  T.eq(X:size(1), 101)
  T.eq(X:size(2), 2)
  T.eq(y:dim(), 1)
  T.eq(y:sum():item(), 51, "n - n//2 ones")
  -- the outer moon: (cos t, sin t) for t = linspace(0, pi, 50); the inner: (1 - cos t, 0.5 - sin t)
  T.close(X[1], { 1, 0 }, 0, 1e-7, "first outer point")
  T.close(X[50], { -1, 0 }, 0, 1e-6, "last outer point")
  T.close(X[51], { 0, 0.5 }, 0, 1e-7, "first inner point")
  T.close(X[101], { 2, 0.5 }, 0, 1e-6, "last inner point")
  local t = math.pi * 7 / 49
  T.close(X[8], { math.cos(t), math.sin(t) }, 0, 1e-7, "angle linspace")
  for i = 1, 101 do
    local a, b = X[i][1], X[i][2]
    local r = y[i] == 0 and a * a + b * b or (a - 1) ^ 2 + (b - 0.5) ^ 2
    T.close(r, 1, 0, 1e-6, "radius of point " .. i)
  end
end)

T.test("make_moons: Gaussian noise of the given std, shuffled, repeatable", function()
  dlt.manual_seed(1)
  local X0 = D.make_moons(4000, { shuffle = false })
  local X = D.make_moons(4000, { noise = 0.1, shuffle = false })
  local r = (X - X0):double()
  T.close(r:mean():item(), 0, 0, 0.01, "noise mean")
  T.close(r:std():item(), 0.1, 0.03, 0, "noise std")
  dlt.manual_seed(3)
  local A, ya = D.make_moons(50, { noise = 0.2 })
  dlt.manual_seed(3)
  local B, yb = D.make_moons(50, { noise = 0.2 })
  T.close(A, B, 0, 0, "same seed")
  T.close(ya, yb, 0, 0, "same labels")
  T.eq(ya:sum():item(), 25, "balance survives the shuffle")
  local first_half = ya:narrow(1, 1, 25):sum():item()
  T.eq(first_half > 0 and first_half < 25, true, "labels are mixed by the shuffle")
  T.raises(function() D.make_moons(100, { nosie = 0.1 }) end, "make_moons: unknown option 'nosie'")
  T.raises(function() D.make_moons(1) end, "make_moons: n must be at least 2, got 1")
  T.raises(function() D.make_moons(10, { noise = -1 }) end, "make_moons: noise must be >= 0")
end)

T.test("make_circles: two rings of radius 1 and factor", function()
  local X, y = D.make_circles(40, { factor = 0.5, shuffle = false })
  T.eq(X:size(1), 40)
  T.eq(y:sum():item(), 20)
  for i = 1, 40 do
    local r = math.sqrt(X[i][1] ^ 2 + X[i][2] ^ 2)
    T.close(r, y[i] == 0 and 1 or 0.5, 0, 1e-6, "radius " .. i)
  end
  T.close(X[2], { math.cos(2 * math.pi / 20), math.sin(2 * math.pi / 20) }, 0, 1e-7, "no endpoint")
  T.raises(function() D.make_circles(10, { factor = 1 }) end, "make_circles: factor must be in [0, 1), got 1")
end)

T.test("make_blobs: counts per centre, labels 1..k, points about their centres", function()
  local X, y = D.make_blobs(10, { centers = { { 0, 0 }, { 5, 5 }, { -5, 5 } }, cluster_std = 0, shuffle = false })
  T.eq(X:size(1), 10)
  T.close(y, { 1, 1, 1, 1, 2, 2, 2, 3, 3, 3 }, 0, 0, "n//k each, the first n%k one more")
  T.close(X[6], { 5, 5 }, 0, 0, "std 0 puts points on the centre")
  T.close(X[10], { -5, 5 }, 0, 0)
  dlt.manual_seed(2)
  local Xb, yb = D.make_blobs(3000, { centers = 2, n_features = 3, cluster_std = 0.5 })
  T.eq(Xb:size(2), 3)
  for c = 1, 2 do
    local idx = {}
    for i = 1, 3000 do if yb[i] == c then idx[#idx + 1] = i end end
    T.eq(#idx, 1500)
    local pts = Xb:index_select(1, dlt.tensor(idx)):double()
    local sd = pts:std(1)
    T.close(sd, { 0.5, 0.5, 0.5 }, 0.1, 0, "cluster_std")
    local lo = pts:mean(1)
    for j = 1, 3 do T.eq(lo[j] > -10.1 and lo[j] < 10.1, true, "centre in center_box") end
  end
  T.raises(function() D.make_blobs(10, { centres = 2 }) end, "make_blobs: unknown option 'centres'")
  T.raises(function() D.make_blobs(10, { centers = 2, cluster_std = { 1 } }) end, "cluster_std must be a number or a list of 2")
end)

T.test("train_test_split: sizes, rows kept together, every row once", function()
  local X, y = ids(10)
  dlt.manual_seed(5)
  local Xtr, Xte, ytr, yte = D.train_test_split(X, y, { test_size = 0.25 })
  T.eq(Xte:size(1), 3, "ceil(0.25 * 10) test rows")
  T.eq(Xtr:size(1), 7)
  local seen = {}
  for i = 1, 7 do
    T.eq(ytr[i], Xtr[i][1] * 10, "train labels follow rows")
    seen[#seen + 1] = math.tointeger(Xtr[i][1])
  end
  for i = 1, 3 do
    T.eq(yte[i], Xte[i][1] * 10, "test labels follow rows")
    seen[#seen + 1] = math.tointeger(Xte[i][1])
  end
  table.sort(seen)
  for i = 1, 10 do T.eq(seen[i], i, "each row once") end
  local a, b = D.train_test_split(X, nil, { test_size = 4, shuffle = false })
  T.close(a:select(2, 1), { 1, 2, 3, 4, 5, 6 }, 0, 0, "unshuffled train is the head")
  T.close(b:select(2, 1), { 7, 8, 9, 10 }, 0, 0, "an integer test_size counts rows")
  local c = D.train_test_split(X, y)
  T.eq(c:size(1), 8, "test_size defaults to 0.2")
  T.raises(function() D.train_test_split(X, y, { test_size = 1.5 }) end, "test_size must be a fraction in (0, 1) or a row count, got 1.5")
  T.raises(function() D.train_test_split(X, y, { test_size = 10 }) end, "leaves 10 test and 0 train rows")
  T.raises(function() D.train_test_split(X, dlt.zeros(3)) end, "train_test_split: X has 10 rows, y has 3")
  T.raises(function() D.train_test_split(X, y, { size = 1 }) end, "train_test_split: unknown option 'size'")
end)

T.test("load_csv: header detected, names returned, errors name line and column", function()
  local p = os.tmpname()
  local f = io.open(p, "w")
  f:write("x1,x2,label\n0.5,1,0\n-2,3e1,1\n")
  f:close()
  local t, names = D.load_csv(p)
  T.eq(t.dtype, "float32")
  T.close(t, { { 0.5, 1, 0 }, { -2, 30, 1 } }, 0, 0, "values")
  T.eq(#names, 3)
  T.eq(names[3], "label")
  local d = D.load_csv(p, { dtype = "float64" })
  T.eq(d.dtype, "float64")
  T.raises(function() D.load_csv(p, { header = false }) end, "load_csv: '" .. p .. "' line 1, column 1: cannot read 'x1' as a number")
  T.raises(function() D.load_csv(p, { headers = true }) end, "load_csv: unknown option 'headers'")
  f = io.open(p, "w")
  f:write("1,2\n3,4,5\n")
  f:close()
  T.raises(function() D.load_csv(p) end, "line 2 has 3 columns, expected 2")
  -- the parser's errors point at the caller's line, as the argument checks' do
  local line = debug.getinfo(1, "l").currentline + 1
  T.raises(function() D.load_csv(p) end, "test_data.lua:" .. line .. ": load_csv: '")
  os.remove(p)
  T.raises(function() D.load_csv(p) end, "load_csv: cannot open '" .. p .. "': No such file or directory")
end)

T.run()
