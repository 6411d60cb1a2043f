-- test_random.lua: the generator's state from Lua: get_rng_state / set_rng_state repeat
-- the stream exactly, across every kind of draw, and refuse what is not a state.
package.path = "tests/lua/?.lua;" .. package.path
local T = require "harness"
local dlt = require "dlt"

local function same(a, b) return (a - b):abs():max():item() == 0 end

T.test("set_rng_state(get_rng_state()) repeats every later draw", function()
  dlt.manual_seed(3)
  dlt.rand(5)
  local st = dlt.random.get_rng_state()
  T.eq(type(st), "string", "the state is a string")
  T.eq(#st, 64, "of 64 hex digits")
  local a, b, c = dlt.randn(40000), dlt.rand(100), dlt.randperm(50)
  local d = dlt.zeros(7):bernoulli_(0.3)
  dlt.random.set_rng_state(st)
  T.eq(same(a, dlt.randn(40000)), true, "randn (the bulk fill)")
  T.eq(same(b, dlt.rand(100)), true, "rand")
  T.eq(same(c, dlt.randperm(50)), true, "randperm")
  T.eq(same(d, dlt.zeros(7):bernoulli_(0.3)), true, "bernoulli_")
end)

T.test("get_rng_state after manual_seed is the seed's state", function()
  dlt.manual_seed(11)
  local s1 = dlt.random.get_rng_state()
  dlt.rand(3)
  T.eq(dlt.random.get_rng_state() ~= s1, true, "drawing moves the state")
  dlt.manual_seed(11)
  T.eq(dlt.random.get_rng_state(), s1, "the same seed, the same state")
  T.eq(dlt.initial_seed(), 11, "initial_seed")
end)

T.test("set_rng_state refuses what get_rng_state cannot return", function()
  T.raises(function() dlt.random.set_rng_state("abc") end, "expected a state from get_rng_state")
  T.raises(function() dlt.random.set_rng_state(string.rep("g", 64)) end, "expected a state from get_rng_state")
  T.raises(function() dlt.random.set_rng_state(string.rep("0", 64)) end, "all-zero state")
  T.raises(function() dlt.random.set_rng_state() end, "bad argument #1")
end)

T.run()
