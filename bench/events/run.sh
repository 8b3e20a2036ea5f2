#!/usr/bin/env bash
# Event-stream benchmark (see bench.py): two instances on one fresh database.
#   bench/events/run.sh [BINARY]   (default: target/release/trellis, else target/debug/trellis)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/trellis}
[[ -x $BIN ]] || BIN=target/debug/trellis
DB=trellis_bench_events
PG=${PG:-postgres://postgres@127.0.0.1:5432}
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
common=(DATABASE_URL="$PG/$DB" JWT_SECRET=bench-secret-bench-secret-bench-secret-32 BCRYPT_COST=10
        RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 EVENTS_MAX_PER_USER=10000
        WORKERS=2 RUST_LOG=warn LOG_FORMAT=json)
env "${common[@]}" PORT=3101 "$BIN" >/tmp/bench-events-a.log 2>&1 & A=$!
env "${common[@]}" PORT=3102 "$BIN" >/tmp/bench-events-b.log 2>&1 & B=$!
trap 'kill $A $B 2>/dev/null || true' EXIT
for port in 3101 3102; do
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.2; done
done
echo "binary: $BIN"
python3 bench/events/bench.py idle --base http://127.0.0.1:3101 --pid $A \
  --subscribers "${SUBSCRIBERS:-10000}" --per-user 10000
python3 bench/events/bench.py latency --write http://127.0.0.1:3102 --read http://127.0.0.1:3102 \
  --rate "${RATE:-1000}" --seconds "${SECONDS_:-10}"
python3 bench/events/bench.py latency --write http://127.0.0.1:3101 --read http://127.0.0.1:3102 \
  --rate "${RATE:-1000}" --seconds "${SECONDS_:-10}"
