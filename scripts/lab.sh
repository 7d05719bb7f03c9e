#!/usr/bin/env bash
# make lab WEEK=n — run a lab the way a learner does.
#   With a Docker engine: the compose path (base stack + the lab's compose file, Grafana/Jaeger/Prometheus).
#   Without one: the native path — `labctl compare` (before vs after, verdicts, HTML report), then the
#   lab stays up (variant `after`) for exploration until Ctrl-C. DETACH=1 returns after the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
week="${1:-}"
labctl=.build/debug/labctl   # the one build `make test` also uses

if [[ -z "$week" ]]; then
  "$labctl" list
  echo
  echo "run one with: make lab WEEK=<n>"
  exit 0
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  exec bash scripts/lab-compose.sh "$week"
fi

echo "No Docker engine answers: running lab $week natively (real servers under .lab/)."
status=0
"$labctl" compare "$week" || status=$?
if [[ $status -ne 0 && $status -ne 1 ]]; then
  exit "$status"   # the lab could not run at all; compare said why
fi
if [[ "${DETACH:-0}" == "1" ]]; then
  echo "DETACH=1: not keeping the lab up."
  exit "$status"
fi
echo
echo "Keeping the lab up (variant 'after') for exploration. In another terminal:"
echo "  $labctl traces --slowest 3      # the slowest traces, then --trace <id> for a waterfall"
echo "  cat .lab/endpoints.json          # every URL: services, Prometheus"
echo "Ctrl-C here (or make down) stops everything."
exec "$labctl" up "$week" --variant after
