#!/usr/bin/env bash
# make setup: install what Distributed Lab needs on a Debian machine.
# Idempotent and quiet when everything is already there. As root it installs; otherwise it
# prints the exact command to run and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, and why each one is here.
APT_PACKAGES=(
  pkg-config          # finds hiredis for the CHiredis system-library target
  libhiredis-dev      # the Redis client library LabKit wraps
  redis-server        # real Redis for labs and tests
  redis-tools         # redis-cli / redis-benchmark (proxy checks, benchmarks)
  postgresql          # real PostgreSQL (initdb/pg_ctl) for labs and tests
  postgresql-contrib  # pgbench
  postgresql-15-wal2json  # logical decoding as JSON (week 27's change data capture)
  etcd-server         # real etcd for leader leases (weeks 24 and 30)
  prometheus          # real Prometheus + promtool for labs and tests
  docker-compose      # static validation of the compose path (no engine needed)
  python3-venv        # the virtualenv holding the independent test peers
  procps              # ps/pkill, used to check that nothing is left behind
  chromium            # headless browser: the tests open the HTML report and the lab console in it
  chromium-driver     # WebDriver for chromium: the console's browser test drives it (selenium)
  libjs-chart.js      # Chart.js, served locally by the lab console (/usr/share/javascript/chart.js)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]} (apt-get; this takes a minute or two)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start their own servers; labs start private ones, so stop the system ones.
  for svc in redis-server postgresql prometheus etcd; do
    (command -v service >/dev/null && service "$svc" stop >/dev/null 2>&1) || true
  done
fi

# Python peers: the official OpenTelemetry protobuf bindings and SDK, used by the tests to check our
# wire format against an implementation that is not ours. They live in .venv (git-ignored).
REQS=scripts/requirements-test.txt
if [[ ! -x .venv/bin/python ]] || ! cmp -s "$REQS" .venv/.installed-requirements 2>/dev/null; then
  echo "setup: installing Python test peers into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQS"
  cp "$REQS" .venv/.installed-requirements
fi
