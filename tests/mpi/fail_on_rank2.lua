-- fail_on_rank2.lua: the job test_failure.lua starts: rank 2 raises an error while rank 1
-- waits for it in an all_reduce (which would never complete).
local dist = dlt.distributed
dist.init_process_group()
if dist.get_rank() == 2 then error("rank two fails on purpose") end
local t = dlt.ones(3)
dist.all_reduce(t)
print("rank 1 finished: the job did not end")
