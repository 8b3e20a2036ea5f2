-- GET /api/projects/{id}: a random one of the small user's 50 seeded
-- projects (ids: see bench/seed.sql). Authorization comes from -H.
dofile("bench/wrk/report.lua")

function request()
   return wrk.format("GET", string.format("/api/projects/00000001-0000-7000-8000-%012x", math.random(50)))
end
