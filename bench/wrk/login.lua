-- POST /api/login as the small user (every login a full bcrypt verify).
-- BENCH_EMAIL and BENCH_PASSWORD come from bench/run.sh.
dofile("bench/wrk/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
