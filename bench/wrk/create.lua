-- POST /api/projects with the body bench/pgbench/create.sql mirrors.
dofile("bench/wrk/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Bench project","description":"Created by the benchmark","status":"active","budget":1234.5,"deadline":"2030-06-30"}'
