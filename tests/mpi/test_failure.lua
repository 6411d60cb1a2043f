-- test_failure.lua (run by dltlua, not under mpirun: it starts the job itself): a Lua
-- error on one rank ends the whole job within seconds, with that rank's message and a
-- non-zero status, while the other rank waits in a collective.
-- Arguments: the mpirun command (with its flags) and the dltlua to run.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local mpirun, dltlua = arg[1], arg[2]

T.test("an error on rank 2 ends the job in bounded time with rank 2's message", function()
  local t0 = dlt.clock()
  -- timeout: if the job hung, this test fails after 60 s instead of hanging ctest
  local out, rc = T.shell(string.format("timeout 60 %s -np 2 %s tests/mpi/fail_on_rank2.lua", mpirun, T.quote(dltlua)))
  local secs = dlt.clock() - t0
  T.eq(rc ~= 0 and rc ~= 124, true, "non-zero status, not the timeout's (rc " .. tostring(rc) .. ")")
  T.eq(out:find("rank 2 of 2: tests/mpi/fail_on_rank2.lua:5: rank two fails on purpose", 1, true) ~= nil, true,
    "the failing rank's message, naming the rank:\n" .. out)
  T.eq(out:find("rank 1 finished", 1, true), nil, "rank 1 did not go on")
  T.eq(secs < 30, true, string.format("ended in %.1f s", secs))
end)

T.run()
