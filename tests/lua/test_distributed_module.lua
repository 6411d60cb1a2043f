-- test_distributed_module.lua: Open MPI is loaded on the first distributed call, not at
-- start-up: neither dltlua nor dlt.so links it, so no MPI library is in the process
-- before that call; the call opens dlt's MPI module (dlt_mpi.so) and MPI with it, or says
-- which file is missing and how to get it. ctest runs it with dltlua and with the stock
-- lua5.4 and dlt.so (DLT_TEST_MPI_MODULE=present), with DLT_MPI_MODULE naming a file
-- that does not exist (=missing), and in a build without MPI (unset).
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"
local dist = dlt.distributed

local expect = os.getenv("DLT_TEST_MPI_MODULE")

-- true when a file whose path matches pattern is mapped into this process
local function mapped(pattern)
  local f = assert(io.open("/proc/self/maps"))
  local maps = f:read("a")
  f:close()
  return maps:find(pattern) ~= nil
end

T.test("before the first distributed call no Open MPI library is loaded", function()
  for _, lib in ipairs({ "/libmpi%.so", "/libopen%-rte%.so", "/libopen%-pal%.so", "/dlt_mpi%.so" }) do
    T.eq(mapped(lib), false, lib .. " mapped at start-up")
  end
end)

if expect == "present" then
  T.test("the first distributed call loads dlt_mpi.so and Open MPI", function()
    T.eq(dist.is_available(), true, "is_available")
    T.eq(mapped("/dlt_mpi%.so"), true, "dlt_mpi.so mapped")
    T.eq(mapped("/libmpi%.so"), true, "libmpi mapped")
    dist.init_process_group()
    T.eq(dist.get_world_size(), 1, "a process without mpirun is a group of one")
    dist.destroy_process_group()
  end)
elseif expect == "missing" then
  T.test("a missing module: is_available() is false and every call names the file", function()
    local path = assert(os.getenv("DLT_MPI_MODULE"), "DLT_MPI_MODULE")
    T.eq(dist.is_available(), false, "is_available")
    T.eq(mapped("/libmpi%.so"), false, "libmpi mapped")
    for _, call in ipairs({
      { "init_process_group", dist.init_process_group },
      { "barrier", dist.barrier },
      { "get_rank", dist.get_rank },
    }) do
      local err = T.raises(call[2], call[1] .. ": dlt's MPI module " .. path .. " (DLT_MPI_MODULE) does not exist")
      for _, how in ipairs({ "libopenmpi-dev openmpi-bin", "cmake --install", "set DLT_MPI_MODULE to its path" }) do
        T.eq(err:find(how, 1, true) ~= nil, true, call[1] .. "'s error says '" .. how .. "'")
      end
    end
    T.eq(dist.is_initialized(), false, "is_initialized")
  end)
else
  T.test("a build without MPI says so", function()
    T.eq(dist.is_available(), false, "is_available")
    T.raises(dist.init_process_group, "init_process_group: dlt was built without MPI")
  end)
end

T.run()
