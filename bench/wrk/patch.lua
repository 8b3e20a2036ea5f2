-- PATCH /api/projects/{id}, round-robin over the writer's 50 seeded projects
-- (tag 3, see bench/seed.sql), so that clients seldom wait on one row lock.
dofile("bench/wrk/report.lua")

local next_project = 0
local body = '{"status":"completed","description":"Patched by the benchmark"}'
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   for name, value in pairs(wrk.headers) do headers[name] = value end
end

function request()
   next_project = next_project % 50 + 1
   return wrk.format("PATCH", string.format("/api/projects/00000003-0000-7000-8000-%012x", next_project), headers, body)
end
