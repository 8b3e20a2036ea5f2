#!/usr/bin/env bash
# Trellis benchmark harness: builds the release binary, serves it on a fresh
# PostgreSQL database, seeds it, runs every wrk scenario and the pgbench and
# bcrypt ceilings, and writes bench/RESULTS.md. See README.md, "Benchmarks".
#
#   bench/run.sh [--duration SECONDS] [--port PORT] [--smoke] [--baseline REV]
#
# --smoke: 3 s per scenario after a 1 s warm-up, results to bench/out/, and a
# non-zero exit if any scenario saw an error or the server died (for CI).
# --baseline REV: also build git revision REV, serve it on a database of its
# own seeded alike, and run the CPU scenarios against both, each right after
# the other (a before/after table measured in one run).
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

duration=15
warmup=3
smoke=false
port=""
baseline=""
while (($#)); do
  case "$1" in
    --baseline) baseline=${2:?--baseline needs a git revision}; shift 2 ;;
    --duration) duration=${2:?--duration needs a number of seconds}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --smoke) smoke=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if $smoke; then
  duration=3
  warmup=1
fi
[[ $duration =~ ^[1-9][0-9]*$ ]] || { echo "--duration must be a positive whole number" >&2; exit 2; }

cd "$(dirname "$0")/.."
repo=$PWD
pg_url_base="postgres://postgres@127.0.0.1:5432"
database="trellis_bench_$$"
declare -A pids=() bases=() databases=()
target_dir=${CARGO_TARGET_DIR:-$repo/target}
if $smoke; then out_dir="$repo/bench/out"; else out_dir="$repo/bench"; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/trellis-bench.XXXXXX")
# What bench/report.sh reads (see there).
results="$work/results.tsv"
commands="$work/commands.txt"
server_pid=""
server_died=false

say() { printf '==> %s\n' "$*" >&2; }

# --- Cleanup: whatever this script started, it stops. ----------------------
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local job pid name
  for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "${databases[@]}"; do
    psql -q -X "$pg_url_base/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [[ $status -ne 0 ]]; then
    for name in "${!pids[@]}"; do
      echo "--- last lines of the $name server's log ---" >&2
      tail -n 20 "$work/$name.log" >&2 || true
    done
  fi
  [[ -d $work/baseline ]] && git -C "$repo" worktree remove --force "$work/baseline" 2>/dev/null
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Tools ------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v pgbench >/dev/null || missing+=(postgresql-client)
if ((${#missing[@]})); then
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
psql -q -X "$pg_url_base/postgres" -c "SELECT 1" >/dev/null ||
  { echo "no PostgreSQL at 127.0.0.1:5432 (user postgres, trust): start one first" >&2; exit 1; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Build ------------------------------------------------------------------
say "building the release binary and the bcrypt example"
cargo build --release --quiet -p trellis-server
cargo build --release --quiet -p trellis-password --example bcrypt_cost
binary="$target_dir/release/trellis"
[[ -x $binary ]] || { echo "no binary at $binary" >&2; exit 1; }
if [[ -n $baseline ]]; then
  baseline=$(git rev-parse --short "$baseline^{commit}")
  say "building the baseline $baseline (its own target dir: $target_dir/baseline)"
  git worktree add --quiet --detach "$work/baseline" "$baseline"
  (cd "$work/baseline" && CARGO_TARGET_DIR="$target_dir/baseline" cargo build --release --quiet -p trellis-server)
fi

# --- Databases and servers ----------------------------------------------------
free_port() { # the first free port from $1 on
  local candidate=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; do candidate=$((candidate + 1)); done
  echo "$candidate"
}
# Serves `binary` on a fresh database as server `name` (its pid, address and
# database in pids, bases, databases), from an empty directory so that no
# .env of the checkout configures it, and waits until it is ready.
serve() { # name binary port
  local name=$1 program=$2 at=$3 db="${database}_$1"
  databases[$name]=$db
  bases[$name]="http://127.0.0.1:$at"
  psql -q -X "$pg_url_base/postgres" -c "CREATE DATABASE $db" >/dev/null
  say "$name: database $db; trellis on port $at"
  mkdir "$work/run-$name"
  (
    cd "$work/run-$name"
    exec env -u REDIS_URL -u DB_HOST -u DB_NAME -u DB_USER -u DB_PASSWORD \
      APP_ENV=development DATABASE_URL="$pg_url_base/$db" HOST=127.0.0.1 PORT="$at" \
      RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 BCRYPT_COST=12 RUST_LOG=warn LOG_FORMAT=json \
      JWT_SECRET=trellis-benchmark-secret-of-at-least-32-bytes "$program"
  ) >"$work/$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 1 100); do
    curl -fsS "${bases[$name]}/health/ready" >/dev/null 2>&1 && break
    kill -0 "${pids[$name]}" 2>/dev/null || { echo "trellis ($name) exited at start" >&2; exit 1; }
    sleep 0.2
  done
  curl -fsS "${bases[$name]}/health/ready" >/dev/null
}

# --- Seed -------------------------------------------------------------------
password="bench-password-1"
declare -A token uid
# Four users through server `name`'s API (token[name:user], uid[name:user]),
# then projects and 1,000 other users in SQL.
seed() { # name
  local name=$1 user answer
  say "seeding $name: 4 users through the API, projects and 1,000 other users in SQL"
  for user in small big writer mixer; do
    answer=$(curl -fsS -X POST "${bases[$name]}/api/register" -H 'Content-Type: application/json' \
      -d "{\"email\":\"$user@bench.example\",\"password\":\"$password\",\"full_name\":\"Bench $user\"}")
    token[$name:$user]=$(jq -r .token <<<"$answer")
    uid[$name:$user]=$(jq -r .user.id <<<"$answer")
  done
  # The owners of create-32-owners, one token per line (bench/wrk/owners.lua).
  seq 1 32 | xargs -P 8 -I{} curl -fsS -X POST "${bases[$name]}/api/register" \
    -H 'Content-Type: application/json' \
    -d "{\"email\":\"owner{}@bench.example\",\"password\":\"$password\",\"full_name\":\"Owner {}\"}" |
    jq -r .token >"$work/run-$name/owners.tokens"
  psql -q -X "$pg_url_base/${databases[$name]}" -v ON_ERROR_STOP=1 \
    -v small=small@bench.example -v big=big@bench.example \
    -v writer=writer@bench.example -v mixer=mixer@bench.example -f bench/seed.sql >/dev/null
}
# Points the measuring functions below at server `name`.
server=""
use() { server=$1 server_pid=${pids[$1]} base=${bases[$1]}; }

serve head "$binary" "$(free_port "${port:-$((20000 + $$ % 20000))}")"
seed head
if [[ -n $baseline ]]; then
  serve "$baseline" "$target_dir/baseline/release/trellis" "$(free_port $((${bases[head]##*:} + 1)))"
  seed "$baseline"
fi
use head
database=${databases[head]}

# --- Measuring the server -------------------------------------------------------
# shellcheck source=bench/measure.sh
source bench/measure.sh
cpu_ticks() { process_ticks "$server_pid"; } # the server's
thread_ticks() { # "thread name<TAB>utime + stime ticks" for each thread of the server
  local task
  for task in /proc/"$server_pid"/task/*; do
    printf '%s\t%s\n' "$(<"$task/comm")" "$(sed 's/.*) //' "$task/stat" | awk '{ print $12 + $13 }')"
  done
}
# CPU seconds per thread name between two thread_ticks snapshots, busiest first.
thread_seconds() { # before after
  awk -F'\t' -v hz="$clock_ticks" 'NR == FNR { before[$1] += $2; next } { after[$1] += $2 }
    END { for (name in after) printf "%s\t%.2f\n", name, (after[name] - before[name]) / hz }' "$1" "$2" |
    sort -t$'\t' -k2,2nr
}
sample_rss() { # keeps the highest VmRSS (kB) seen every 100 ms in file $1
  local max=0 kb
  echo 0 >"$1"
  while kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null); do
    if ((kb > max)); then
      max=$kb
      echo "$max" >"$1"
    fi
    sleep 0.1
  done
}
# Waits (at most 15 s) until the server is idle: work queued by a load that
# has ended, bcrypt above all, must not count against the next scenario.
settle() {
  local last now
  last=$(cpu_ticks)
  for _ in $(seq 1 75); do
    sleep 0.2
    now=$(cpu_ticks)
    ((now - last <= 2)) && return 0
    last=$now
  done
}

# wrk with the reference shape (-t1), its summary line parsed by report.lua.
wrk_run() { # clients seconds script path token [log] -> "BENCH ..." line
  local clients=$1 seconds=$2 script=$3 path=$4 bearer=$5 log=${6:-/dev/null} args
  args=(-t1 "-c$clients" "-d${seconds}s" --timeout 30s -s "$script")
  [[ -n $bearer ]] && args+=(-H "Authorization: Bearer $bearer")
  OWNER_TOKENS="$work/run-$server/owners.tokens" wrk "${args[@]}" "$base$path" | tee "$log" | grep '^BENCH '
}

record() { # name clients bench-line cpu-ticks rss-kb [postgres-cpu-ticks]
  local name=$1 clients=$2 line=$3 ticks=$4 rss=$5 pg_ticks=${6:-0}
  awk -v name="$name" -v c="$clients" -v n="$(field requests "$line")" -v pg="$pg_ticks" \
    -v us="$(field duration_us "$line")" -v se="$(field status_errors "$line")" \
    -v ke="$(field socket_errors "$line")" -v p50="$(field p50_us "$line")" \
    -v p99="$(field p99_us "$line")" -v p999="$(field p999_us "$line")" \
    -v ticks="$ticks" -v hz="$clock_ticks" -v rss="$rss" 'BEGIN {
      printf "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\n", name, c, n / (us / 1e6),
        p50 / 1000, p99 / 1000, p999 / 1000, se, ke, rss / 1024, ticks / hz, pg / hz, n }' >>"$results"
}

# One scenario: warm-up, then `duration` seconds measured, with the server's
# RSS sampled and its CPU time (and PostgreSQL's) counted around the measured
# part only. Against the baseline server, the row is named `name@baseline`;
# a second round's rows are suffixed `#2`.
round=""
scenario() { # name clients script path user (its token is sent; none for "")
  local name=$1 clients=$2 script=$3 path=$4 bearer="" before pg_before line sampler
  [[ -n $5 ]] && bearer=${token[$server:$5]}
  [[ $server == head ]] || name="$name@$server"
  name="$name$round"
  say "$name (-c$clients, ${warmup}s warm-up, ${duration}s)"
  local auth="-H 'Authorization: Bearer \$TOKEN' "
  [[ -n $bearer ]] || auth=""
  echo "wrk -t1 -c$clients -d${duration}s --timeout 30s -s $script $auth$base$path" >>"$commands"
  wrk_run "$clients" "$warmup" "$script" "$path" "$bearer" >/dev/null
  settle
  echo 0 >"$work/rss"
  sample_rss "$work/rss" &
  sampler=$!
  before=$(cpu_ticks)
  pg_before=$(postgres_ticks)
  line=$(wrk_run "$clients" "$duration" "$script" "$path" "$bearer" "$work/$name.wrk")
  record "$name" "$clients" "$line" $(($(cpu_ticks) - before)) "$(stop_sampler "$sampler")" \
    $(($(postgres_ticks) - pg_before))
  alive
}
stop_sampler() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; cat "$work/rss"; }
alive() { kill -0 "$server_pid" 2>/dev/null || { server_died=true; echo "trellis died" >&2; exit 1; }; }

# GET /api/me under a login storm: 32 clients log in for the whole window
# (plus its warm-up) while a second wrk measures /api/me.
storm() {
  local before line storm_pid sampler
  say "me-during-login-storm (-c32 me, -c32 login, ${duration}s)"
  echo "wrk -t1 -c32 -d$((duration + warmup + 1))s --timeout 30s -s bench/wrk/login.lua $base/api/login &  # the storm" >>"$commands"
  echo "wrk -t1 -c32 -d${duration}s --timeout 30s -s bench/wrk/report.lua -H 'Authorization: Bearer \$TOKEN' $base/api/me  # measured" >>"$commands"
  wrk_run 32 $((duration + warmup + 1)) bench/wrk/login.lua /api/login "" "$work/storm.wrk" >"$work/storm.line" &
  storm_pid=$!
  sleep "$warmup"
  echo 0 >"$work/rss"
  sample_rss "$work/rss" &
  sampler=$!
  before=$(cpu_ticks)
  thread_ticks >"$work/threads.before"
  line=$(wrk_run 32 "$duration" bench/wrk/report.lua /api/me "${token[$server:small]}")
  thread_ticks >"$work/threads.after"
  record me-during-login-storm 32 "$line" $(($(cpu_ticks) - before)) "$(stop_sampler "$sampler")"
  thread_seconds "$work/threads.before" "$work/threads.after" >"$work/storm-threads.tsv"
  wait "$storm_pid"
  record login-storm 32 "$(cat "$work/storm.line")" 0 0
  alive
  settle
}

export BENCH_EMAIL=small@bench.example BENCH_PASSWORD=$password
# Runs a scenario against this build; with --baseline, in the order this
# build, baseline, baseline, this build, so that a machine that gets busier
# or quieter during the pair favours neither.
both() { # scenario arguments
  use head
  scenario "$@"
  if [[ -n $baseline ]]; then
    use "$baseline"
    scenario "$@"
    round="#2"
    scenario "$@"
    use head
    scenario "$@"
    round=""
  fi
}
both health 32 bench/wrk/report.lua /health ""
both me 32 bench/wrk/report.lua /api/me small
both list-50 32 bench/wrk/report.lua "/api/projects?limit=20" small
scenario list-10k-page1 32 bench/wrk/report.lua "/api/projects?limit=20" big
scenario list-10k-page400 32 bench/wrk/report.lua "/api/projects?limit=20&page=400" big
both get 32 bench/wrk/get.lua /api/projects small
both create 32 bench/wrk/create.lua /api/projects writer
both create-32-owners 32 bench/wrk/owners.lua /api/projects ""
scenario patch 32 bench/wrk/patch.lua /api/projects writer
# The bcrypt ceiling, measured just before the login scenario so that both
# see the machine in the same state.
say "bcrypt ceiling (cost 12, one core)"
hashes=5
$smoke && hashes=2
echo "$target_dir/release/examples/bcrypt_cost 12 $hashes" >>"$commands"
bcrypt_ms=$("$target_dir/release/examples/bcrypt_cost" 12 "$hashes" | sed -n 's/.*ms_per_hash=\([0-9.]*\).*/\1/p')
scenario login 8 bench/wrk/login.lua /api/login ""
scenario mix-90-10 32 bench/wrk/mix.lua /api/projects mixer
storm

# --- Ceilings -----------------------------------------------------------------
pgbench_run() { # name script uid offset -> tps
  local name=$1 script=$2 user=$3 offset=$4 tps
  echo "pgbench -n -M prepared -c 32 -j 1 -T $duration -D uid=\$UID -D limit=20 -D offset=$offset -f $script $database" >>"$commands"
  pgbench -n -M prepared -c 32 -j 1 -T "$warmup" -D "uid=$user" -D limit=20 -D "offset=$offset" \
    -f "$script" "$pg_url_base/$database" >/dev/null 2>&1
  tps=$(pgbench -n -M prepared -c 32 -j 1 -T "$duration" -D "uid=$user" -D limit=20 -D "offset=$offset" \
    -f "$script" "$pg_url_base/$database" 2>&1 | tee "$work/$name.pgbench" |
    sed -n 's/^tps = \([0-9]*\).*/\1/p')
  grep -q '^number of failed transactions: 0 ' "$work/$name.pgbench" || { echo "pgbench $name failed" >&2; exit 1; }
  printf '%s\t%s\n' "$name" "$tps" >>"$work/pgbench.tsv"
}
say "pgbench ceilings (-M prepared, -c32, ${duration}s each)"
pgbench_run me bench/pgbench/me.sql "${uid[head:small]}" 0
pgbench_run list-50 bench/pgbench/list.sql "${uid[head:small]}" 0
pgbench_run list-10k-page1 bench/pgbench/list.sql "${uid[head:big]}" 0
pgbench_run list-10k-page400 bench/pgbench/list.sql "${uid[head:big]}" 7980
pgbench_run get bench/pgbench/get.sql "${uid[head:small]}" 0
pgbench_run create bench/pgbench/create.sql "${uid[head:writer]}" 0


# --- Report -----------------------------------------------------------------
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
{
  printf 'bcrypt_ms=%q\n' "$bcrypt_ms"
  printf 'cores=%q\n' "$(nproc)"
  printf 'cpu_model=%q\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  printf 'pg_version=%q\n' "$(psql -X -At "$pg_url_base/postgres" -c "SHOW server_version")"
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
  printf 'commit=%q\n' "$commit"
  printf 'duration=%q\nwarmup=%q\n' "$duration" "$warmup"
  printf 'load_before=%q\nload_after=%q\n' "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'hwm_mb=%q\n' "$(awk -v kb="$hwm_kb" 'BEGIN { printf "%.1f", kb / 1024 }')"
  printf 'baseline=%q\n' "$baseline"
} >"$work/facts.env"
mkdir -p "$out_dir"
report="$out_dir/RESULTS.md"
bench/report.sh "$work" >"$report"
say "wrote $report"

# The summary: CPU per request, this build's and PostgreSQL's, per scenario.
awk -F'\t' '$9 > 0 && $12 > 0 {
  printf "%s%s %.0f req/s %.1f+%.1f µs/req", sep, $1, $3, 1e6 * $10 / $12, 1e6 * $11 / $12; sep = "; "
} END { print "" }' "$results" | sed 's/^/summary (trellis+postgres CPU per request): /' >&2
# login-storm's status errors are the bounded hash queue shedding logins with
# 503 (by design: 32 clients against 2 cores); its socket errors still count.
errors=$(awk -F'\t' '{ sum += ($1 == "login-storm" ? 0 : $7) + $8 } END { print sum + 0 }' "$results")
if $smoke && { ((errors > 0)) || $server_died; }; then
  echo "smoke run failed: $errors errors" >&2
  exit 1
fi
