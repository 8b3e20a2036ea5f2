-- POST /api/projects (bench/wrk/create.lua's body) as many owners in turn: one bearer token per
-- line of the file named by the environment variable OWNER_TOKENS.
dofile("bench/wrk/create.lua")

local tokens = {}
for line in io.lines(os.getenv("OWNER_TOKENS")) do
   tokens[#tokens + 1] = line
end
local turn = 0

request = function()
   turn = turn % #tokens + 1
   wrk.headers["Authorization"] = "Bearer " .. tokens[turn]
   return wrk.format()
end
