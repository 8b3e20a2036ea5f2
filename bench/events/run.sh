#!/usr/bin/env bash
# Event-stream benchmark: two instances (A on 3101, B on 3102) on one fresh database.
#   bench/events/run.sh [BINARY]   (default: target/release/trellis, else target/debug/trellis)
#
# 1. 10,000 idle SSE subscribers on A: RSS per subscriber (bench.py idle; IDLE=0 skips it).
# 2. Delivery latency, 1,000 subscribers of 100 owners, for each of RATES (writes/s):
#    same instance (write and stream on B), then across two (write on A, stream on B), by the
#    compiled client bench/events/loadgen (built here in release), SECONDS_ measured after
#    WARMUP seconds at the same rate.
# 3. TERMINATE=1: one more cross-instance run at TERMINATE_RATE (1000) writes/s during which
#    B's listener backend is killed with pg_terminate_backend at 10 s (per-second timeline on
#    stderr): no event may be lost.
# SYNCHRONOUS_COMMIT=off (a diagnostic): the bench database's commits do not wait for the flush.
# One JSON line per run on stdout (see the loadgen's doc for the fields).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/trellis}
[[ -x $BIN ]] || BIN=target/debug/trellis
DB=trellis_bench_events
PG=${PG:-postgres://postgres@127.0.0.1:5432}
RATES=${RATES:-200 500 1000}
LOADGEN_MANIFEST=bench/events/loadgen/Cargo.toml
LOADGEN=bench/events/loadgen/target/release/trellis-events-loadgen
# One cargo at a time on a shared machine: lcargo (a flock wrapper) when there is one.
CARGO=$(command -v lcargo || echo cargo)
"$CARGO" build --release --quiet --manifest-path "$LOADGEN_MANIFEST"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
# A diagnostic, for this database only: SYNCHRONOUS_COMMIT=off shows what the writes can do when
# a commit does not wait for its WAL flush (one owner's writes hold its advisory lock until then,
# and before migration V7 every write's NOTIFY held a database-wide one).
if [[ -n ${SYNCHRONOUS_COMMIT:-} ]]; then
  psql -q "$PG/postgres" -c "ALTER DATABASE $DB SET synchronous_commit = '$SYNCHRONOUS_COMMIT'"
fi
# No limit may throttle the bench: rate limits off, streams per user raised.
common=(DATABASE_URL="$PG/$DB" JWT_SECRET=bench-secret-bench-secret-bench-secret-32 BCRYPT_COST=10
        RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 EVENTS_MAX_PER_USER=10000
        WORKERS=2 RUST_LOG=warn LOG_FORMAT=json)
env "${common[@]}" PORT=3101 "$BIN" >/tmp/bench-events-a.log 2>&1 & A=$!
env "${common[@]}" PORT=3102 "$BIN" >/tmp/bench-events-b.log 2>&1 & B=$!
trap 'kill $A $B 2>/dev/null || true; wait $A $B 2>/dev/null || true
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
for port in 3101 3102; do
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "instance on $port not ready" >&2; exit 1; }
done
echo "binary: $BIN; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [[ ${IDLE:-1} != 0 ]]; then
  python3 bench/events/bench.py idle --base http://127.0.0.1:3101 --pid $A \
    --subscribers "${SUBSCRIBERS:-10000}" --per-user 10000
fi
latency() { # WRITE_PORT READ_PORT RATE [extra loadgen arguments]
  local write=$1 read=$2 rate=$3
  shift 3
  "$LOADGEN" --write "http://127.0.0.1:$write" --read "http://127.0.0.1:$read" \
    --owners 100 --per-owner 10 --rate "$rate" --seconds "${SECONDS_:-20}" --warmup "${WARMUP:-3}" \
    --writers "${WRITERS:-32}" --pid A=$A --pid B=$B "$@"
}
for rate in $RATES; do
  latency 3102 3102 "$rate"
  latency 3101 3102 "$rate"
done
if [[ ${TERMINATE:-0} != 0 ]]; then
  # B's listener: the backend whose client port is one of B's sockets to PostgreSQL.
  ports=$(ss -tnpH state established "( dport = :5432 )" | grep "pid=$B," |
          awk '{split($3, a, ":"); print a[length(a)]}' | paste -sd, -)
  kill_listener="psql -AtX '$PG/$DB' -c \"SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'trellis-listener' AND client_port IN ($ports)\""
  latency 3101 3102 "${TERMINATE_RATE:-1000}" --hook-at 10 --hook "$kill_listener" --drain 10
fi
