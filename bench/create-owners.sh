#!/usr/bin/env bash
# What a create costs as PostgreSQL's commits allow: serves the release binary on a fresh
# database, signs up OWNERS users, and loads POST /api/projects (bench/wrk/create.lua's body)
# with their tokens in turn, wrk -t1 -c32; prints req/s, errors and the CPU per request of the
# server and of PostgreSQL. --trigger changes the events trigger on that scratch database only,
# to measure what its advisory lock costs (no-lock: one owner's events may then commit out of id
# order) and what the NOTIFY it made before migration V7 cost (notify-in-trigger: V4's function;
# the server announces as well): an experiment, never a setting. See docs/PERFORMANCE.md.
#
#   bench/create-owners.sh [--owners N] [--trigger shipped|no-lock|notify-in-trigger] [--duration SECONDS]
#
# Defaults: 1 owner, the shipped trigger, 8 s after a 2 s warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
owners=1
trigger=shipped
duration=8
while (($#)); do
  case "$1" in
    --owners) owners=${2:?--owners needs a number}; shift 2 ;;
    --trigger) trigger=${2:?--trigger needs a variant}; shift 2 ;;
    --duration) duration=${2:?--duration needs a number of seconds}; shift 2 ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ $owners =~ ^[1-9][0-9]*$ && $duration =~ ^[1-9][0-9]*$ ]] || { echo "--owners and --duration take whole numbers" >&2; exit 2; }
case $trigger in shipped | no-lock | notify-in-trigger) ;; *) echo "unknown --trigger $trigger" >&2; exit 2 ;; esac
for tool in wrk jq psql; do command -v $tool >/dev/null || { echo "needs $tool (bench/run.sh installs it)" >&2; exit 2; }; done
binary=${CARGO_TARGET_DIR:-$PWD/target}/release/trellis
[[ -x $binary ]] || cargo build --release --quiet -p trellis-server

# shellcheck source=bench/scratch.sh
source bench/scratch.sh
scratch_serve owners "$binary"

# The variants: a migration's own function, without the lock for no-lock.
variant() { # migration [lines to drop]
  sed -n '/^CREATE.* FUNCTION trellis_project_event/,/^\$\$;/p' "$1" |
    sed 's/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/' | grep -Ev "${2:-^-- }" |
    psql -q -X -v ON_ERROR_STOP=1 "$pg/$db" >/dev/null
}
case $trigger in
  no-lock) variant migrations/V7__events_announced_after_commit.sql 'PERFORM pg_advisory_xact_lock\(' ;;
  notify-in-trigger) variant migrations/V4__events.sql ;;
esac

for n in $(seq 1 "$owners"); do
  curl -fsS -X POST "$base/api/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"owner$n@bench.example\",\"password\":\"owners-password\",\"full_name\":\"Owner $n\"}" |
    jq -r '.token'
done >"$work/owners.tokens"
export OWNER_TOKENS=$work/owners.tokens

# shellcheck source=bench/measure.sh
source bench/measure.sh
wrk -t1 -c32 -d2s -s bench/wrk/owners.lua "$base/api/projects" >/dev/null
before=$(process_ticks "$pid") pg_before=$(postgres_ticks)
line=$(wrk -t1 -c32 -d"${duration}s" -s bench/wrk/owners.lua "$base/api/projects" | grep '^BENCH')
after=$(process_ticks "$pid") pg_after=$(postgres_ticks)
awk -v n="$(field requests "$line")" -v us="$(field duration_us "$line")" \
  -v status="$(field status_errors "$line")" -v socket="$(field socket_errors "$line")" \
  -v p99="$(field p99_us "$line")" -v t=$((after - before)) -v p=$((pg_after - pg_before)) \
  -v hz="$clock_ticks" -v owners="$owners" -v trigger="$trigger" 'BEGIN {
    printf "create, %d owner(s), trigger %s: %.0f req/s, errors %d / %d, Trellis %.1f µs/req, PostgreSQL %.1f µs/req, p99 %.2f ms\n",
      owners, trigger, n / (us / 1e6), status, socket, t / hz / n * 1e6, p / hz / n * 1e6, p99 / 1000 }'
