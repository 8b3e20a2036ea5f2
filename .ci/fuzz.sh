#!/usr/bin/env bash
# Fuzz the running server with schemathesis, driven by its own OpenAPI document.
#
# Builds the release binary, starts it on a fresh PostgreSQL database and a free port (rate limits
# off), signs up an admin for a bearer token, validates /api/openapi.json against the OpenAPI 3.1
# schema, then runs schemathesis with every check (.ci/schemathesis.toml), a fixed seed and a stateful phase that follows
# the document's links. Any failure fails the script. The server is stopped and the database
# dropped on exit, whatever happens. Reports go to target/fuzz/.
#
# FUZZ_SEED and FUZZ_MAX_EXAMPLES (per operation) override the defaults; the whole run is bounded
# by FUZZ_TIMEOUT_SECS (default 540).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${FUZZ_TIMEBOXED:-}" ]]; then
  exec timeout --kill-after=15 "${FUZZ_TIMEOUT_SECS:-540}" env FUZZ_TIMEBOXED=1 bash "$0" "$@"
fi

seed=${FUZZ_SEED:-20261124}
max_examples=${FUZZ_MAX_EXAMPLES:-60}
out=target/fuzz
venv=.venv
pg=(-h 127.0.0.1 -p 5432 -U postgres)
database="trellis_fuzz_$$"
email="fuzz-admin-$$@example.com"
password="fuzzing-password-$$"
server_pid=""

step() { printf '\n==> %s\n' "$*"; }

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

step "Python tools in $venv (pinned in .ci/fuzz-requirements.txt)"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r .ci/fuzz-requirements.txt

step "cargo build --release -p trellis-server"
cargo build --release -p trellis-server
binary="${CARGO_TARGET_DIR:-target}/release/trellis"

step "database $database"
psql "${pg[@]}" -q -d postgres -c "CREATE DATABASE \"$database\""
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"

mkdir -p "$out"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

step "trellis on $base (rate limits off)"
secret="fuzz-secret-$(head -c 24 /dev/urandom | base64)"
HOST=127.0.0.1 PORT=$port APP_ENV=development LOG_FORMAT=json BCRYPT_COST=10 \
  RATE_LIMIT_MAX=0 AUTH_RATE_LIMIT_MAX=0 LOGIN_FAILURES_MAX=0 JWT_SECRET="$secret" \
  "$binary" >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$base/health/ready"
echo

step "an admin to fuzz with"
curl -fsS -X POST "$base/api/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"full_name\":\"Fuzz Admin\"}" >/dev/null
"$binary" users promote "$email" >/dev/null
# The fuzzer logs out, ends sessions and changes passwords: with its login's token it would be
# locked out after the first such call, and every later operation would only see 401. It gets
# the same claims without `sid` instead, signed with the server's secret: a token of before
# sessions existed, judged by its signature and expiry alone (API.md, "Sessions").
token=$(curl -fsS -X POST "$base/api/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" |
  JWT_SECRET="$secret" "$venv/bin/python" -c '
import base64, hashlib, hmac, json, os, sys
b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=")
payload = json.load(sys.stdin)["token"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
del claims["sid"]
signed = b64(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + b"." + b64(json.dumps(claims).encode())
mac = hmac.new(os.environ["JWT_SECRET"].encode(), signed, hashlib.sha256).digest()
print((signed + b"." + b64(mac)).decode())')
curl -fsS "$base/api/me" -H "Authorization: Bearer $token" >/dev/null

step "the OpenAPI documents (JSON bodies, and form bodies) are valid OpenAPI 3.1"
curl -fsS "$base/api/openapi.json" -o "$out/openapi.json"
"$venv/bin/openapi-spec-validator" "$out/openapi.json"
curl -fsS "$base/api/openapi-forms.json" -o "$out/openapi-forms.json"
"$venv/bin/openapi-spec-validator" "$out/openapi-forms.json"

# One run per document: the JSON bodies, then the form bodies of the operations that take them.
fuzz() {
  local document=$1 name=$2 config=$3
  step "schemathesis on $document: every check, seed $seed, up to $max_examples cases per operation"
  set +e
  "$venv/bin/schemathesis" --config-file "$config" run "$base$document" \
    --url "$base" \
    --header "Authorization: Bearer $token" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 2 \
    --request-timeout 10 \
    --report junit,ndjson \
    --report-dir "$out/$name" \
    --no-color 2>&1 | tee "$out/$name-summary.txt"
  local status=${PIPESTATUS[0]}
  set -e
  local summary
  summary=$(grep -A1 '^Test cases:' "$out/$name-summary.txt" | tail -n 1 | sed 's/^ *//')
  echo "fuzz $document: ${summary:-no summary} (seed $seed, exit $status; reports in $out/$name)"
  return "$status"
}

status=0
fuzz /api/openapi.json json .ci/schemathesis.toml || status=1
fuzz /api/openapi-forms.json forms .ci/schemathesis-forms.toml || status=1
exit "$status"
