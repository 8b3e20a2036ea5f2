#!/usr/bin/env bash
# The test command: makes sure what the tests need is here, then runs
# `cargo test --workspace` (extra arguments are passed to it).
#
# The tests need PostgreSQL at DATABASE_URL (default 127.0.0.1:5432, user postgres, trust) and Redis
# at REDIS_URL (default 127.0.0.1:6379); this starts a local cluster or server when one is
# installed but down. They also start their own PgBouncer and redis-server, which this installs
# from Debian's packages when missing. The blob store tests need an S3 API: scripts/moto.sh installs
# moto from PyPI and starts its server. Anything that cannot be provided stops the run with one line saying
# how to get it: no test is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    fail "$1 is missing: install it with \`sudo apt-get install -y $1\`"
  fi
  echo "installing $1 (Debian package)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1"; } >/dev/null \
    || fail "cannot install $1: \`apt-get install -y $1\` failed"
}

# PostgreSQL: the tests create and drop databases on it.
if [[ -z "${DATABASE_URL:-}" ]]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
      cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
      pg_ctlcluster --skip-systemctl-redirect "$cluster" main start >/dev/null 2>&1 || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null \
      || fail "no PostgreSQL at 127.0.0.1:5432: start one (\`docker compose up -d postgres\`) or set DATABASE_URL"
  fi
fi

# Redis: the shared rate-limit tests.
if [[ -z "${REDIS_URL:-}" ]] && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /tmp/trellis-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/trellis-redis --logfile /tmp/trellis-redis/redis.log
    for _ in $(seq 1 20); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.5; done
  fi
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null \
    || fail "no Redis at 127.0.0.1:6379: start one (\`docker compose up -d redis\`) or set REDIS_URL"
fi

# PgBouncer: the transaction-pooling tests run their own; the Redis outage
# tests stop and start a redis-server of their own.
if [[ ! -x /usr/sbin/pgbouncer && ! -x /usr/bin/pgbouncer ]]; then
  apt_install pgbouncer
fi
command -v redis-server >/dev/null 2>&1 || apt_install redis-server

# S3: the blob store tests talk to moto's server (installed in a venv under target/).
eval "$(bash scripts/moto.sh)"

exec cargo test --workspace "$@"
