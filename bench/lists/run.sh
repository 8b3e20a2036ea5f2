#!/usr/bin/env bash
# The lists bench at the statement level: the exact listing statements the
# PostgreSQL adapter runs (*.sql.in, printed from the adapter by
# `trellis_postgres::testkit::project_listing_sql`), prepared, at c=1, on a
# fresh database cloned from the migrated test template (run the postgres
# tests once first). Prints p50/p99/mean per scenario.
#
#   bench/lists/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
base="postgres://postgres@127.0.0.1:5432"
binary=${TRELLIS_BINARY:-../../target/debug/trellis}
[[ -x $binary ]] || { echo "no binary at $binary: run \`cargo build\` first" >&2; exit 1; }
db="trellis_lists_bench_$$"
work=$(mktemp -d)
trap 'psql -X -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
psql -X -q "$base/postgres" -c "CREATE DATABASE $db"
DATABASE_URL="$base/$db" JWT_SECRET=bench-only-secret-bench-only-secret "$binary" migrate >/dev/null
psql -X -q "$base/$db" -f seed.sql >/dev/null
q() { psql -X -Atq "$base/$db" -c "$1"; }
ada=$(q "SELECT id FROM users WHERE email = 'user0@bench.invalid'")
# The position of Ada's 9,980th project, newest first.
read -r at id < <(q "SELECT to_json(created_at)#>>'{}', id FROM projects WHERE user_id = '$ada'
                     ORDER BY created_at DESC, id DESC OFFSET 9979 LIMIT 1" | tr '|' ' ')
first_at=$(q "SELECT to_json(created_at)#>>'{}' FROM projects WHERE user_id = '$ada' ORDER BY created_at DESC, id DESC LIMIT 1")
first_id=$(q "SELECT id FROM projects WHERE user_id = '$ada' ORDER BY created_at DESC, id DESC LIMIT 1")
all="{active,completed,archived}"
script() { # name, template, substitutions (sed)
  sed -e "$3" "$2" > "$work/$1.sql"
  echo ";" >> "$work/$1.sql"
}
subst_offset='s/\$1/:owner/g; s/\$2/:statuses/g; s/\$3/:lim/g; s/\$4/:off/g; s/\$5/:pattern/g; s/\$6/:rest/g'
subst_keyset='s/\$1/:owner/g; s/\$2/:statuses/g; s/\$3/:lim/g; s/\$4/:after_id/g; s/\$5/:after_at/g; s/\$6/:nulls/g'
script first offset.sql.in "$subst_offset"
script offset500 offset.sql.in "$subst_offset"
script cursor_deep keyset.sql.in "$subst_keyset"
script cursor_first keyset.sql.in "$subst_keyset"
script search search.sql.in "$subst_offset"
# q: a random user of the 1,000 and a random word of the list.
{ echo '\set u random(1, 1000)'; echo '\set w random(1, 20)'; cat "$work/search.sql"; } > "$work/search_random.sql"
sed -i "s/:owner/(SELECT id FROM users WHERE email = 'user' || :u || '@bench.invalid')/g; s/:pattern/('%' || (string_to_array('apollo gemini mercury voyager pioneer viking cassini juno galileo hubble kepler spitzer chandra webb rosetta hayabusa artemis orion dragon falcon', ' '))[:w] || '%')/g" "$work/search_random.sql"
run() { # name, script, -D args...
  local name=$1 file=$2; shift 2
  (cd "$work" && rm -f pgbench_log.* && pgbench -n -M prepared -c 1 -T "$secs" -l -f "$file" "$@" "$base/$db" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; })
  cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n > "$work/lat"
  local n; n=$(wc -l < "$work/lat")
  awk -v n="$n" -v name="$name" '{ a[NR] = $1; s += $1 } END {
      p50 = int(n * 0.50); if (p50 < 1) p50 = 1
      p99 = int(n * 0.99); if (p99 < 1) p99 = 1
      printf "%-40s n=%-6d p50=%7.3f ms  p99=%7.3f ms  mean=%7.3f ms\n", name, n, a[p50] / 1000, a[p99] / 1000, s / n / 1000 }' "$work/lat"
}
run "first page (offset 0, with total)" first.sql -D owner="$ada" -D statuses="$all" -D lim=20 -D off=0 -D pattern=x -D rest='{}'
run "cursor page after item 1" cursor_first.sql -D owner="$ada" -D statuses="$all" -D lim=21 -D after_id="$first_id" -D after_at="$first_at" -D nulls=00000000-0000-0000-0000-000000000000
run "cursor page at depth 9,980" cursor_deep.sql -D owner="$ada" -D statuses="$all" -D lim=21 -D after_id="$id" -D after_at="$at" -D nulls=00000000-0000-0000-0000-000000000000
run "offset page 500 (offset 9,980)" offset500.sql -D owner="$ada" -D statuses="$all" -D lim=20 -D off=9980 -D pattern=x -D rest='{}'
run "q: one word, 1 of 1,000 users" search_random.sql -D statuses="$all" -D lim=20 -D off=0 -D rest='{}'
run "q: 'apollo' for the 10,000-project user" search.sql -D owner="$ada" -D statuses="$all" -D lim=20 -D off=0 -D pattern=%apollo% -D rest='{}'
