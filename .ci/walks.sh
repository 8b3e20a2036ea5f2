#!/usr/bin/env bash
# Outside clients walk the quick start against a release binary, each from the server's own
# OpenAPI document: what a front-end team or a Python user would do with /api/openapi.json.
#
#   .ci/walks.sh [BINARY]     (default: ${CARGO_TARGET_DIR:-target}/release/trellis; builds nothing)
#
# Starts BINARY on a fresh PostgreSQL database and a free port (rate limits off), then runs:
#   ts      openapi-typescript + openapi-fetch: types generated from the served document, the walk
#           (.ci/clients/walk.ts) compiled with `tsc --strict` against them, run with node;
#   python  openapi-python-client: a package generated from the served document (unedited),
#           installed into .venv/, driven by .ci/clients/walk.py;
#   docs    Swagger UI at /docs in headless Chromium (playwright-core, Debian's chromium):
#           Authorize with a token, Try it out GET /api/me, Execute, read the answer; no request
#           may leave the server's host:port.
# Each walk prints one line per step and a PASS/FAIL line; every walk runs even if one fails, and
# the script fails if any did. The walk sources and the pinned tools (package.json,
# package-lock.json, requirements.txt) live in .ci/clients/; everything generated goes to
# target/clients/ (git-ignored). The server is stopped and the database dropped on exit, whatever
# happens. The whole run is bounded by WALKS_TIMEOUT_SECS (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${WALKS_TIMEBOXED:-}" ]]; then
  exec timeout --kill-after=15 "${WALKS_TIMEOUT_SECS:-600}" env WALKS_TIMEBOXED=1 bash "$0" "$@"
fi

binary=${1:-${CARGO_TARGET_DIR:-target}/release/trellis}
clients=.ci/clients
out=target/clients
node_dir=$out/node
venv=.venv
pg=(-h 127.0.0.1 -p 5432 -U postgres)
database="trellis_walks_$$"
server_pid=""
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
die() { echo "walks: $*" >&2; exit 1; }

cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  psql "${pg[@]}" -q -d postgres -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$out"
install_log=$out/install.log
: >"$install_log"

# Runs an install command quietly; on failure shows the end of its output and one clear line.
install() {
  local what=$1
  shift
  if ! "$@" >>"$install_log" 2>&1; then
    tail -n 15 "$install_log" | sed 's/^/  | /' >&2
    die "cannot install $what (\`$*\` failed; full output in $install_log)"
  fi
}

step "tools"
[[ -x "$binary" ]] || die "no server binary at $binary (build it: cargo build --release -p trellis-server)"
command -v node >/dev/null 2>&1 || die "node is not installed (Node 20 or later is needed)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "node $(node --version) is too old (Node 20 or later is needed)"

# npm ci into target/clients/node/ (a copy of package.json and package-lock.json), skipped while
# node_modules there was installed from the same lock file.
mkdir -p "$node_dir"
cp "$clients/package.json" "$clients/package-lock.json" "$node_dir/"
lock_sum=$(sha256sum "$clients/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$node_dir/node_modules/.walks-lock.sha256" 2>/dev/null)" != "$lock_sum" ]]; then
  install "the npm packages (.ci/clients/package-lock.json)" \
    npm ci --prefix "$node_dir" --ignore-scripts --no-audit --no-fund
  echo "$lock_sum" >"$node_dir/node_modules/.walks-lock.sha256"
fi
bin=$node_dir/node_modules/.bin

if [[ ! -x /usr/bin/chromium ]]; then
  install "Debian's chromium (apt-get update)" apt-get update -qq
  install "Debian's chromium" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium
fi

[[ -x "$venv/bin/python" ]] || install "a virtualenv in $venv" python3 -m venv "$venv"
install "the Python client generator (.ci/clients/requirements.txt)" \
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$clients/requirements.txt"

echo "node $(node --version), npm $(npm --version)"
echo "openapi-typescript $("$bin/openapi-typescript" --version 2>/dev/null | tail -n 1)," \
  "openapi-fetch $(node -p "require('./$node_dir/node_modules/openapi-fetch/package.json').version")," \
  "typescript $("$bin/tsc" --version | cut -d' ' -f2)," \
  "playwright-core $(node -p "require('./$node_dir/node_modules/playwright-core/package.json').version")"
/usr/bin/chromium --version 2>/dev/null | head -n 1
echo "openapi-python-client $("$venv/bin/pip" show openapi-python-client 2>/dev/null | sed -n 's/^Version: //p')," \
  "$("$venv/bin/python" --version)"

step "database $database"
psql "${pg[@]}" -q -d postgres -c "CREATE DATABASE \"$database\""
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

step "trellis ($binary) on $base (rate limits off)"
HOST=127.0.0.1 PORT=$port APP_ENV=development LOG_FORMAT=json BCRYPT_COST=10 \
  RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 \
  JWT_SECRET="walks-secret-$(head -c 24 /dev/urandom | base64)" \
  "$binary" >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$base/health/ready"
echo
curl -fsS "$base/api/openapi.json" -o "$out/openapi.json"
echo "document: $out/openapi.json ($(wc -c <"$out/openapi.json") bytes)"

# --- the walks: each is a function that prints its lines and returns non-zero on failure --------

walk_ts() {
  cp "$clients/walk.ts" "$clients/tsconfig.json" "$node_dir/"
  rm -rf "$node_dir/dist" "$node_dir/api.d.ts"
  if ! timeout 60 "$bin/openapi-typescript" "$base/api/openapi.json" -o "$node_dir/api.d.ts" >"$out/ts-generate.log" 2>&1; then
    cat "$out/ts-generate.log"
    echo "ts: FAIL generate openapi-typescript could not turn the document into types"
    return 1
  fi
  echo "ts: ok   generate $(grep -c '' "$node_dir/api.d.ts") lines of types in $node_dir/api.d.ts"
  if ! (cd "$node_dir" && timeout 120 node_modules/.bin/tsc -p tsconfig.json --strict) >"$out/ts-tsc.log" 2>&1; then
    sed 's/^/  | /' "$out/ts-tsc.log"
    echo "ts: FAIL compile  tsc --strict: $(grep -c 'error TS' "$out/ts-tsc.log") errors: the walk does not type-check against the document's types"
    return 1
  fi
  echo "ts: ok   compile  tsc --strict, no errors"
  timeout 60 node "$node_dir/dist/walk.js" "$base"
}

walk_python() {
  local package=$out/python/trellis-client
  rm -rf "$out/python"
  mkdir -p "$out/python"
  if ! PATH="$PWD/$venv/bin:$PATH" timeout 120 "$venv/bin/openapi-python-client" generate \
    --url "$base/api/openapi.json" --meta setup --output-path "$package" \
    >"$out/python-generate.log" 2>&1; then
    sed 's/^/  | /' "$out/python-generate.log"
    echo "python: FAIL generate openapi-python-client could not generate a client from the document"
    return 1
  fi
  # One warning is expected and harmless: the generator has no model for the OpenMetrics text of
  # GET /metrics (a scrape endpoint, not an API call) and leaves that response out. Any other
  # warning fails the walk.
  local warnings
  warnings=$(grep -c '^WARNING' "$out/python-generate.log" || true)
  local known
  known=$(grep -c '^WARNING parsing GET /metrics' "$out/python-generate.log" || true)
  if [[ "$warnings" != "$known" ]] || grep -q 'Unsupported content_type' "$out/python-generate.log" \
    && ! grep -q 'Unsupported content_type application/openmetrics-text' "$out/python-generate.log"; then
    sed 's/^/  | /' "$out/python-generate.log"
    echo "python: FAIL generate the generator warned about more than the /metrics text response"
    return 1
  fi
  echo "python: ok   generate $(find "$package" -name '*.py' | wc -l) modules in $package"
  if ! timeout 180 "$venv/bin/pip" install -q --disable-pip-version-check "$package" >"$out/python-install.log" 2>&1; then
    sed 's/^/  | /' "$out/python-install.log"
    echo "python: FAIL install pip install of the generated package failed"
    return 1
  fi
  echo "python: ok   install  trellis-client into $venv"
  timeout 60 "$venv/bin/python" "$clients/walk.py" "$base"
}

walk_docs() {
  cp "$clients/docs-walk.ts" "$clients/tsconfig.json" "$clients/tsconfig.docs.json" "$node_dir/"
  rm -f "$out/docs-walk-failure.png"
  if ! (cd "$node_dir" && timeout 120 node_modules/.bin/tsc -p tsconfig.docs.json --strict) >"$out/docs-tsc.log" 2>&1; then
    sed 's/^/  | /' "$out/docs-tsc.log"
    echo "docs: FAIL compile  tsc --strict on docs-walk.ts"
    return 1
  fi
  timeout 120 node "$node_dir/dist/docs-walk.js" "$base" "$out"
}

summary=()
failed=0
for name in ts python docs; do
  step "walk: $name"
  walk_started=$SECONDS
  if "walk_$name"; then
    summary+=("$name: PASS ($((SECONDS - walk_started)) s)")
  else
    summary+=("$name: FAIL ($((SECONDS - walk_started)) s)")
    failed=$((failed + 1))
  fi
done

step "summary"
printf '%s\n' "${summary[@]}"
echo "walks: $((3 - failed)) passed, $failed failed ($((SECONDS - started)) s; logs in $out)"
((failed == 0))
