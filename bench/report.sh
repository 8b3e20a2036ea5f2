#!/usr/bin/env bash
# Renders RESULTS.md (on stdout) from what bench/run.sh measured.
#
#   bench/report.sh DIR
#
# DIR holds: results.tsv (scenario, clients, req/s, p50, p99, p99.9 in ms,
# status errors, socket errors, peak RSS MB, CPU s, PostgreSQL CPU s, requests;
# a scenario named `name@rev` ran against the baseline), pgbench.tsv (scenario,
# tps), storm-threads.tsv (thread name, CPU s), commands.txt, and facts.env
# (shell assignments: bcrypt_ms cores cpu_model pg_version commit duration
# warmup load_before load_after hwm_mb baseline).
set -euo pipefail

if (($# != 1)) || [[ ! -f $1/facts.env ]]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
dir=$1
results=$dir/results.tsv pgbench=$dir/pgbench.tsv storm_threads=$dir/storm-threads.tsv
commands=$dir/commands.txt
bcrypt_ms="" cores="" cpu_model="" pg_version="" commit="" duration="" warmup=""
load_before="" load_after="" hwm_mb="" baseline=""
# shellcheck source=/dev/null
source "$dir/facts.env"

# The value of column $2 (1-based) of scenario $1 in file $3 (default: results).
value() { awk -F'\t' -v name="$1" -v col="$2" '$1 == name { print $col; exit }' "${3:-$results}"; }
# awk arithmetic on the given expression, printed with format $1.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

cat <<EOF
# Trellis benchmark results

Written by \`bench/run.sh\` (do not edit by hand; run it again). Each scenario ran
${duration} s after a ${warmup} s warm-up, against Trellis's release build on PostgreSQL,
on the same machine as the load generator. A load average above the core count
means other work shared the cores: the figures are then lower bounds.

## Machine

| | |
|---|---|
| cores | ${cores} |
| CPU | ${cpu_model} |
| PostgreSQL | ${pg_version} |
| trellis commit | ${commit} |
| run at | $(date -u +%Y-%m-%dT%H:%MZ) |
| load average (1, 5, 15 min) | ${load_before} before the run, ${load_after} after it |

Trellis ran with \`RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 BCRYPT_COST=12 RUST_LOG=warn\`,
a fixed \`JWT_SECRET\` and its defaults otherwise (workers = cores, pool of 20
connections). The data: a user with 50 projects, one with 10,000, a writer and a
mixer with 50 each, and 1,000 other users with 10 projects each (\`bench/seed.sql\`).

## Why wrk

wrk (Debian's \`wrk\` package) is an event-loop C client: one thread drives 32
keep-alive connections at a small fraction of a core, which matters when the load
generator shares 2 cores with the server and PostgreSQL. Its Lua hooks build POST
bodies and the read/write mix per request, its \`done\` hook reports exact latency
percentiles (p50, p99, p99.9 from its HDR-style histogram) and the error counts in
a line the harness parses (\`bench/wrk/report.lua\`). ab has no scripting and
Keep-Alive quirks; hey and oha need Go or Rust toolchains from outside Debian's
packages, and spend more CPU per request than wrk.

## Figures

Latencies in ms. Errors: responses with status ≥ 400 / socket errors (connect,
read, write, timeout). RSS: the highest VmRSS of the server sampled every 100 ms
during the measured part; CPU: the server's user + system seconds in it. CPU per
request: the server's CPU time over the requests it answered, and PostgreSQL's
(the sum over all its processes) the same way; on a shared machine these move far
less from run to run than req/s.

| scenario | clients | req/s | p50 | p99 | p99.9 | errors (status / socket) | peak RSS MB | CPU s | Trellis CPU µs/req | PostgreSQL CPU µs/req |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
awk -F'\t' '{
  measured = ($9 > 0 && $12 > 0)
  rss = measured ? $9 : "—"; cpu = measured ? $10 : "—"
  own = measured ? sprintf("%.1f", 1e6 * $10 / $12) : "—"
  pg = measured ? sprintf("%.1f", 1e6 * $11 / $12) : "—"
  printf "| %s | %d | %s | %s | %s | %s | %d / %d | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, rss, cpu, own, pg
}' "$results"
if [[ -n $baseline ]]; then
  cat <<EOF

### Before and after: this build against ${baseline}

Each scenario ran four times in a row: this build, ${baseline} (on a database of its
own, seeded alike), ${baseline} again, this build again (rows \`#2\` above); the figures
below pool both rounds of each. Ratios: this build ÷ ${baseline}. PostgreSQL ran the
same statements for both, so Trellis's CPU over PostgreSQL's, per request, is the
figure least moved by whatever else the machine was doing.

| scenario | req/s | ${baseline} req/s | ratio | Trellis CPU µs/req | ${baseline} µs/req | ratio | Trellis ÷ PostgreSQL CPU | ${baseline} ÷ PostgreSQL CPU | p99 ms (worse round) | ${baseline} p99 ms |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  awk -F'\t' -v rev="$baseline" '{
    name = $1; sub(/#2$/, "", name)
    side = index(name, "@" rev) ? "b" : "a"; sub("@" rev "$", "", name)
    key = name SUBSEP side
    n[key] += $12; us[key] += $3 > 0 ? $12 / $3 : 0; cpu[key] += $10; pg[key] += $11
    if ($5 > p99[key]) p99[key] = $5
    names[name] = 1
  } END {
    for (name in names) {
      a = name SUBSEP "a"; b = name SUBSEP "b"
      if (!(b in n) || n[a] == 0 || n[b] == 0) continue
      ra = n[a] / us[a]; rb = n[b] / us[b]; ua = 1e6 * cpu[a] / n[a]; ub = 1e6 * cpu[b] / n[b]
      pa = pg[a] > 0 ? sprintf("%.2f", cpu[a] / pg[a]) : "—"; pb = pg[b] > 0 ? sprintf("%.2f", cpu[b] / pg[b]) : "—"
      printf "| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f | %s | %s | %s | %s |\n", name, ra, rb, ra / rb,
        ua, ub, ua / ub, pa, pb, p99[a], p99[b]
    }
  }' "$results" | sort
fi
cat <<EOF

\`login-storm\` is the 32-client login load that ran beside \`me-during-login-storm\`
(its RSS and CPU are in that row). Its status errors are logins shed with 503 by the
bounded hash queue (a few per core run, a few per core wait, the rest are refused at
once), which is what keeps \`me\` answered meanwhile. The server's CPU seconds in that window, by
thread name (\`actix-rt\` threads serve requests; bcrypt runs on tokio's blocking
pool):

| thread | CPU s |
|---|---:|
EOF
awk -F'\t' '$2 > 0 { name = $1; gsub(/\|/, "\\|", name); printf "| `%s` | %s |\n", name, $2 }' "$storm_threads"
cat <<EOF

## Ceiling: the same SQL in pgbench

pgbench runs the statements of \`crates/postgres-adapter\` (\`bench/pgbench/\`),
\`-M prepared\`, 32 clients, one thread, ${duration} s, on the same database.

| scenario | trellis req/s | pgbench tps | trellis ÷ pgbench |
|---|---:|---:|---:|
EOF
while IFS=$'\t' read -r name tps; do
  rps=$(value "$name" 3)
  printf '| %s | %s | %s | %s |\n' "$name" "$rps" "$tps" "$(calc '%.0f %%' "100 * $rps / $tps")"
done <"$pgbench"

login_rps=$(value login 3)
bcrypt_ceiling=$(calc '%.2f' "$cores * 1000 / $bcrypt_ms")
cat <<EOF

## Ceiling: bcrypt

One cost-12 hash takes ${bcrypt_ms} ms on one core (\`bcrypt_cost\` example, median),
so ${cores} cores can verify at most ${bcrypt_ceiling} logins/s. Trellis logged in
${login_rps}/s at 8 clients: $(calc '%.0f %%' "100 * $login_rps / $bcrypt_ceiling") of that ceiling.

## Targets

Reference: the Node service on this kind of machine (wrk -t1 -c32, 15 s).

| target | measured | verdict | what bounds it, where missed (measured) |
|---|---|---|---|
EOF

# A target's row; the bound is shown only when the target is missed.
row() { # target measured condition bound
  local verdict
  verdict=$(awk "BEGIN { print (($3) ? \"met\" : \"missed\") }")
  [[ $verdict == met ]] && set -- "$1" "$2" "$3" ""
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$verdict" "$4"
}
# How busy the server and the machine were in a scenario.
busy() { # scenario
  local cpu
  cpu=$(value "$1" 10)
  printf 'server CPU %s s of %s s wall (%s of %s cores); load average after the run %s' \
    "$cpu" "$duration" "$(calc '%.2f' "$cpu / $duration")" "$cores" "$load_after"
}
rate_target() { # scenario node-rps node-p99
  local name=$1 node_rps=$2 node_p99=$3 rps p99 tps
  rps=$(value "$name" 3)
  p99=$(value "$name" 5)
  tps=$(value "$name" 2 "$pgbench")
  row "$name ≥ 10 × $node_rps req/s and p99 ≤ $node_p99 ms ÷ 5" \
    "$rps req/s ($(calc '%.1f' "$rps / $node_rps")×), p99 $p99 ms" \
    "$rps >= 10 * $node_rps && $p99 <= $node_p99 / 5" \
    "$(busy "$name"); the same SQL alone: $tps tps"
}
rate_target list-50 383 128
rate_target me 509 122
rate_target create 357 352
for name in list-50 get me; do
  rps=$(value "$name" 3)
  tps=$(value "$name" 2 "$pgbench")
  row "$name ≥ 70 % of pgbench" "$(calc '%.0f %%' "100 * $rps / $tps")" "$rps >= 0.7 * $tps" \
    "$(busy "$name"), beside PostgreSQL and wrk on the same cores"
done
row "login ≥ 90 % of the bcrypt ceiling" "$(calc '%.0f %%' "100 * $login_rps / $bcrypt_ceiling")" \
  "$login_rps >= 0.9 * $bcrypt_ceiling" "$(busy login): bcrypt got that many cores, not $cores"
me_p99=$(value me 5)
storm_p99=$(value me-during-login-storm 5)
row "me p99 during a login storm ≤ 3 × without" \
  "$storm_p99 ms vs $me_p99 ms ($(calc '%.1f' "$storm_p99 / $me_p99")×)" "$storm_p99 <= 3 * $me_p99" \
  "CPU by thread in that window: $(awk -F'\t' '$2 > 0 { printf "%s%s %s s", sep, $1, $2; sep = ", " }' "$storm_threads" | sed 's/|/\\|/g')"
page1=$(value list-10k-page1 3)
page400=$(value list-10k-page400 3)
pg_page1=$(value list-10k-page1 2 "$pgbench")
pg_page400=$(value list-10k-page400 2 "$pgbench")
row "page 400 within 3 × page 1 (10,000 projects)" \
  "$page1 vs $page400 req/s ($(calc '%.1f' "$page1 / $page400")× slower)" "$page1 <= 3 * $page400" \
  "the same SQL alone: $pg_page1 vs $pg_page400 tps ($(calc '%.1f' "$pg_page1 / $pg_page400")×): OFFSET walks the skipped rows"
rss=$(awk -F'\t' '!index($1, "@") && $9 > max { max = $9 } END { print max + 0 }' "$results")
row "RSS ≤ 40 MB" "$rss MB (highest sample of all scenarios; VmHWM over the process's life: $hwm_mb MB)" \
  "$rss <= 40 && $hwm_mb <= 40" "see the peak RSS column"
errors=$(awk -F'\t' '{ sum += ($1 == "login-storm" ? 0 : $7) + $8 } END { print sum + 0 }' "$results")
row "zero errors (but the storm's shed logins)" "$errors" "$errors == 0" "see the errors column"

cat <<EOF

Where a target is missed, the figures above say what bounds it: the pgbench column
is what PostgreSQL alone does with the same statements on the same cores, the CPU
column how much of the ${cores} cores × ${duration} s the server itself used, and the
bcrypt line what the hashing allows.

## Commands

\`\$TOKEN\` is the bench user's JWT, \`\$UID\` its id; the port is chosen per run.

\`\`\`sh
EOF
cat "$commands"
echo '```'
