# Sourced by bench/profile.sh and bench/create-owners.sh: one release server on a scratch
# database of its own, rate limits off, stopped and dropped when the script exits.
#
#   scratch_serve NAME BINARY
#
# Creates the database trellis_NAME_<pid>, serves BINARY on it (port 30000 + pid mod 20000), waits
# until it is ready, and sets: pg (the server's URL without a database), db, work (a temporary
# directory, the server's working directory; its log is $work/server.log), pid and base.

scratch_stop() {
  [[ -n ${pid:-} ]] && { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  [[ -n ${db:-} ]] && psql -q -X "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  [[ -n ${work:-} ]] && rm -rf "$work"
  return 0
}

scratch_serve() { # NAME BINARY
  local name=$1 binary=$2 port
  pg=postgres://postgres@127.0.0.1:5432
  db="trellis_${name}_$$"
  work=$(mktemp -d "${TMPDIR:-/tmp}/trellis-$name.XXXXXX")
  pid=""
  trap scratch_stop EXIT
  psql -q -X "$pg/postgres" -c "CREATE DATABASE $db"
  port=$((30000 + $$ % 20000))
  (cd "$work" && exec env -i PATH="$PATH" APP_ENV=development DATABASE_URL="$pg/$db" HOST=127.0.0.1 \
    PORT=$port RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 BCRYPT_COST=10 \
    RUST_LOG=warn LOG_FORMAT=json JWT_SECRET="trellis-$name-secret-of-at-least-32-bytes" \
    "$binary") >"$work/server.log" 2>&1 &
  pid=$!
  base=http://127.0.0.1:$port
  for _ in $(seq 1 100); do curl -fsS "$base/health/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the server did not get ready; its log:" >&2
  cat "$work/server.log" >&2
  return 1
}
