#!/usr/bin/env bash
# Each sort's first page over HTTP, end to end: the release binary on a fresh database, one user
# with 10,000 projects (bench/lists/seed.sql's shapes), wrk -t1 -c8 for DURATION seconds per sort
# on GET /api/projects?limit=20&sort=S. Prints one line per sort: req/s and latency p50 / p99.
#
#   bench/lists/sorts.sh [BINARY] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$(realpath "${1:-target/release/trellis}")
duration=${2:-5}
pg=postgres://postgres@127.0.0.1:5432
db="trellis_sorts_$$"
work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; wait 2>/dev/null; psql -X -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
psql -X -q "$pg/postgres" -c "CREATE DATABASE $db"
port=$((30000 + $$ % 20000))
(cd "$work" && exec env -i PATH="$PATH" DATABASE_URL="$pg/$db" HOST=127.0.0.1 PORT=$port \
  RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 BCRYPT_COST=10 RUST_LOG=warn \
  JWT_SECRET=trellis-sorts-bench-secret-of-32-bytes-at-least "$binary") >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/register" -H 'Content-Type: application/json' \
  -d '{"email":"ada@bench.example","password":"sorts-password","full_name":"Ada"}' | jq -r .token)
psql -X -q "$pg/$db" -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO projects (user_id, name, description, status, budget, deadline, created_at)
SELECT u.id, 'Project ' || md5(i::text), 'the mission, phase ' || (i % 7),
       (ARRAY['active', 'completed', 'archived'])[i % 3 + 1],
       CASE WHEN i % 4 <> 0 THEN (i % 900) + 0.25 END,
       CASE WHEN i % 5 <> 0 THEN DATE '2030-01-01' + (i % 365) END,
       now() - i * interval '1 second'
FROM users AS u CROSS JOIN generate_series(1, 10000) AS i;
VACUUM ANALYZE projects;
SQL
for sort in -created_at created_at -updated_at name -name deadline -deadline budget -budget; do
  wrk -t1 -c8 -d1s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/projects?limit=20&sort=$sort" >/dev/null
  wrk -t1 -c8 -d"${duration}s" --latency -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/projects?limit=20&sort=$sort" >"$work/wrk"
  printf '%-12s %10s req/s  p50 %8s  p99 %8s\n' "$sort" \
    "$(awk '/Requests\/sec/ {print $2}' "$work/wrk")" \
    "$(awk '$1 == "50%" {print $2}' "$work/wrk")" "$(awk '$1 == "99%" {print $2}' "$work/wrk")"
done
