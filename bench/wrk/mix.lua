-- 90 % reads, 10 % writes, as the mixer user (tag 4, 50 seeded projects):
-- 40 % list page 1, 30 % get one project, 20 % me, 5 % patch, 5 % create.
-- The creates grow the mixer's listing during the run, as they would.
dofile("bench/wrk/report.lua")

local json = { ["Content-Type"] = "application/json" }
local create = '{"name":"Mixed project","description":"Created by the mixed benchmark","budget":99.5}'
local patch = '{"status":"archived"}'

function init(args)
   for name, value in pairs(wrk.headers) do json[name] = value end
end

local function project_path()
   return string.format("/api/projects/00000004-0000-7000-8000-%012x", math.random(50))
end

function request()
   local roll = math.random(100)
   if roll <= 40 then
      return wrk.format("GET", "/api/projects?limit=20")
   elseif roll <= 70 then
      return wrk.format("GET", project_path())
   elseif roll <= 90 then
      return wrk.format("GET", "/api/me")
   elseif roll <= 95 then
      return wrk.format("PATCH", project_path(), json, patch)
   else
      return wrk.format("POST", "/api/projects", json, create)
   end
end
