#!/usr/bin/env bash
# Where the server's CPU goes: serves a release binary on a fresh PostgreSQL database, signs up
# one user with 50 projects, and for each route samples the server with `perf record` (software
# clock, 999 Hz, call graphs) while wrk -t1 -c32 loads it, then writes the flat profile (self
# time by symbol, shares of at least 0.5 %) to OUT/<route>.txt. See docs/PERFORMANCE.md.
#
#   bench/profile.sh [--binary PATH] [--label NAME] [--out DIR] [--duration SECONDS]
#
# Defaults: target/release/trellis (built if missing), labelled with the checkout's
# commit (name another build's binary with --label), bench/profile/, 10 s per route.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
binary=${CARGO_TARGET_DIR:-$repo/target}/release/trellis
out=$repo/bench/profile
duration=10
label=$(git rev-parse --short HEAD)
while (($#)); do
  case "$1" in
    --binary) binary=$(realpath "${2:?--binary needs a path}"); shift 2 ;;
    --label) label=${2:?--label needs a name}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --duration) duration=${2:?--duration needs a number of seconds}; shift 2 ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

missing=()
command -v perf >/dev/null || missing+=(linux-perf)
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ -x $binary ]] || cargo build --release --quiet -p trellis-server

# shellcheck source=bench/scratch.sh
source bench/scratch.sh
scratch_serve profile "$binary"
token=$(curl -fsS -X POST "$base/api/register" -H 'Content-Type: application/json' \
  -d '{"email":"profile@bench.example","password":"profile-password","full_name":"Profile"}' | jq -r .token)
for n in $(seq 1 50); do
  curl -fsS -o /dev/null -X POST "$base/api/projects" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"name\":\"Project $n\",\"budget\":$n}"
done

mkdir -p "$out"
profile() { # name path script
  local name=$1 path=$2 script=$3
  wrk -t1 -c32 -d2s -s "$script" -H "Authorization: Bearer $token" "$base$path" >/dev/null
  wrk -t1 -c32 -d"$((duration + 1))s" -s "$script" -H "Authorization: Bearer $token" "$base$path" \
    >"$work/$name.wrk" &
  local load=$!
  perf record -q -e cpu-clock -F 999 -g -p "$pid" -o "$work/$name.data" -- sleep "$duration" 2>/dev/null
  wait "$load"
  {
    echo "# $name: wrk -t1 -c32 -d${duration}s $path on $label, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
    grep -E 'Requests/sec' "$work/$name.wrk"
    perf report -i "$work/$name.data" --no-children -g none --stdio --sort dso,sym --percent-limit 0.5 \
      2>/dev/null | grep -E '^ +[0-9]' | sed 's/ \+$//'
  } >"$out/$name.txt"
  echo "$out/$name.txt"
}
profile health /health bench/wrk/report.lua
profile me /api/me bench/wrk/report.lua
profile list-50 "/api/projects?limit=20" bench/wrk/report.lua
profile create /api/projects bench/wrk/create.lua
