-- init.lua: attaches the parts of dlt written in Lua to the table the C engine built.
local dlt = require "dlt"

return dlt
