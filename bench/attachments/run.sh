#!/usr/bin/env bash
# Attachments: throughput of a 100 MB upload and download against the same disk's plain copy (dd),
# the server's RSS during a 200 MB upload (it must not grow with the file), and 20 concurrent
# 10 MB uploads. The release binary on a fresh PostgreSQL database, files under a scratch
# directory on the same disk as the copies; curl is the client. Writes bench/attachments/RESULTS.md.
#
#   bench/attachments/run.sh [--runs N]     (default 3; medians are reported)
set -euo pipefail

runs=3
while (($#)); do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive whole number" >&2; exit 2; }

cd "$(dirname "$0")/../.."
repo=$PWD
pg="postgres://postgres@127.0.0.1:5432"
database="trellis_bench_files_$$"
work=$(mktemp -d "$repo/target/bench-attachments.XXXXXX")
server=""
say() { printf '==> %s\n' "$*" >&2; }

cleanup() {
  local status=$?
  trap - EXIT
  [[ -n $server ]] && { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  psql -q -X "$pg/postgres" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  [[ $status -ne 0 && -f $work/server.log ]] && tail -n 20 "$work/server.log" >&2
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v curl >/dev/null && command -v jq >/dev/null && command -v bc >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq bc >/dev/null
}

say "building the release binary"
cargo build --release --quiet -p trellis-server
binary="${CARGO_TARGET_DIR:-$repo/target}/release/trellis"

port=3900
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
base="http://127.0.0.1:$port"
psql -q -X "$pg/postgres" -c "CREATE DATABASE $database" >/dev/null
mkdir -p "$work/store" "$work/run"
(
  cd "$work/run"
  exec env -i PATH="$PATH" APP_ENV=development DATABASE_URL="$pg/$database" HOST=127.0.0.1 PORT="$port" \
    STORAGE_URL="file://$work/store" ATTACHMENT_MAX_BYTES=$((300 * 1024 * 1024)) \
    RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 BCRYPT_COST=10 RUST_LOG=warn LOG_FORMAT=json \
    JWT_SECRET=trellis-benchmark-secret-of-at-least-32-bytes "$binary"
) >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fsS "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$base/health/ready" >/dev/null

token=$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"email":"bench@files.example","password":"correct horse","full_name":"Bench"}' \
  "$base/api/register" | jq -r .token)
new_project() {
  curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"bench"}' "$base/api/projects" | jq -r .project.id
}
project=$(new_project)

# A PNG signature, then random bytes (no compression anywhere to flatter).
make_file() { # path megabytes
  { printf '\x89PNG\r\n\x1a\n'; head -c $(($2 * 1024 * 1024 - 8)) /dev/urandom; } >"$1"
}
say "making 100 MB, 200 MB and 10 MB files"
make_file "$work/100.png" 100
make_file "$work/200.png" 200
make_file "$work/10.png" 10

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
seconds() { # command...: wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
upload() { # file
  curl -fsS -o "$work/uploaded.json" -H "Authorization: Bearer $token" \
    -F "file=@$1;type=image/png" "$base/api/projects/$project/attachments"
}
download() { # id
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/api/projects/$project/attachments/$1"
}
mb=100
up=() down=() copy=() read_back=()
for run in $(seq 1 "$runs"); do
  say "run $run of $runs: 100 MB upload, download, dd copy and read"
  sync
  copy+=("$(seconds dd if="$work/100.png" of="$work/copy.png" bs=1M conv=fsync status=none)")
  read_back+=("$(seconds dd if="$work/copy.png" of=/dev/null bs=1M status=none)")
  rm -f "$work/copy.png"
  up+=("$(seconds upload "$work/100.png")")
  id=$(jq -r .attachment.id "$work/uploaded.json")
  [[ $(jq -r .attachment.sha256 "$work/uploaded.json") == $(sha256sum "$work/100.png" | cut -d' ' -f1) ]] ||
    { echo "the stored digest differs from the file's" >&2; exit 1; }
  down+=("$(seconds download "$id")")
  curl -fsS -X DELETE -H "Authorization: Bearer $token" "$base/api/projects/$project/attachments/$id"
done
up_s=$(printf '%s\n' "${up[@]}" | median)
down_s=$(printf '%s\n' "${down[@]}" | median)
copy_s=$(printf '%s\n' "${copy[@]}" | median)
read_s=$(printf '%s\n' "${read_back[@]}" | median)
rate() { echo "scale=1; $mb / $1" | bc -l; }

say "RSS during a 200 MB upload (sampled every 20 ms)"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
rss_before=$(rss)
upload "$work/200.png" &
uploading=$!
peak=$rss_before
while kill -0 "$uploading" 2>/dev/null; do
  now=$(rss)
  ((now > peak)) && peak=$now
  sleep 0.02
done
wait "$uploading"
growth_mb=$(printf '%.1f' "$(echo "($peak - $rss_before) / 1024" | bc -l)")

say "20 concurrent 10 MB uploads"
parallel_project=$(new_project)
start=$(date +%s.%N)
clients=()
for n in $(seq 1 20); do
  curl -sS -o "$work/parallel-$n.json" -w '%{http_code}\n' -H "Authorization: Bearer $token" \
    -F "file=@$work/10.png;type=image/png" "$base/api/projects/$parallel_project/attachments" >"$work/parallel-$n.code" &
  clients+=($!)
done
wait "${clients[@]}" || true
end=$(date +%s.%N)
created=$(cat "$work"/parallel-*.code | grep -c '^201$' || true)
parallel_s=$(echo "$end - $start" | bc -l)

load=$(cut -d' ' -f1-3 /proc/loadavg)
cat >"$repo/bench/attachments/RESULTS.md" <<EOF
# Attachments: throughput and memory

\`bench/attachments/run.sh --runs $runs\` on $(date -u +%Y-%m-%d), $(git rev-parse --short HEAD), release build,
local files on the same disk as the \`dd\` copies (\`$(df -h "$work" | awk 'NR==2 {print $1}')\`), curl as the client over loopback,
load average at the end $load. Medians of $runs runs.

| 100 MB | Trellis | plain copy (\`dd\`) | ratio |
|---|---|---|---|
| upload (multipart, hashed, sniffed, fsync'd) vs \`dd conv=fsync\` | $(printf '%.2f' "$up_s") s ($(rate "$up_s") MB/s) | $(printf '%.2f' "$copy_s") s ($(rate "$copy_s") MB/s) | $(echo "scale=2; $up_s / $copy_s" | bc -l)× the time |
| download vs \`dd\` read | $(printf '%.2f' "$down_s") s ($(rate "$down_s") MB/s) | $(printf '%.2f' "$read_s") s ($(rate "$read_s") MB/s) | $(echo "scale=2; $down_s / $read_s" | bc -l)× the time |

- RSS during a 200 MB upload: $((rss_before / 1024)) MB before, $((peak / 1024)) MB at most: **+$growth_mb MB** (target < 64 MB).
- 20 concurrent 10 MB uploads: $created of 20 answered 201 in $(printf '%.2f' "$parallel_s") s ($(echo "scale=1; 200 / $parallel_s" | bc -l) MB/s in all).
EOF
cat "$repo/bench/attachments/RESULTS.md"
[[ $created -eq 20 ]] || { echo "only $created of 20 concurrent uploads succeeded" >&2; exit 1; }
