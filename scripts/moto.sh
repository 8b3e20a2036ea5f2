#!/usr/bin/env bash
# A real S3 API for the tests: moto's server on loopback.
#
# Prints `export TRELLIS_TEST_S3_ENDPOINT=http://127.0.0.1:PORT` for
# `eval "$(bash scripts/moto.sh)"`. If TRELLIS_TEST_S3_ENDPOINT is set and
# answers, it is kept; otherwise moto is installed in a venv at
# target/moto-venv (once) and started in the background on a free port,
# where it keeps running after the tests for the next run to reuse (its
# log: target/moto-venv/server.log).
# Everything else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.1
venv=target/moto-venv

fail() { printf 'scripts/moto.sh: %s\n' "$*" >&2; exit 1; }
answers() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null \
  || python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }

# The endpoint given, or the server an earlier run left running.
for endpoint in "${TRELLIS_TEST_S3_ENDPOINT:-}" "$(cat "$venv/server.endpoint" 2>/dev/null)"; do
  if [[ -n "$endpoint" ]] && answers "$endpoint"; then
    echo "export TRELLIS_TEST_S3_ENDPOINT=$endpoint"
    exit 0
  fi
done

if ! "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  echo "installing moto[server]==$MOTO_VERSION into $venv" >&2
  mkdir -p target
  python3 -m venv "$venv" >&2 || fail "cannot create a venv: install python3-venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 \
    || fail "cannot install moto[server]==$MOTO_VERSION from PyPI"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$venv/server.log" 2>&1 &
for _ in $(seq 1 60); do
  if answers "$endpoint"; then
    echo "$endpoint" >"$venv/server.endpoint"
    echo "export TRELLIS_TEST_S3_ENDPOINT=$endpoint"
    exit 0
  fi
  kill -0 $! 2>/dev/null || break
  sleep 0.5
done
fail "moto did not answer at $endpoint (see $venv/server.log)"
