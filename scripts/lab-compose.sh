#!/usr/bin/env bash
# The compose path of `make lab WEEK=n` (needs a Docker engine): the shared observability stack plus
# the lab's generated compose file, both variants' scenarios, then the URLs to open.
set -euo pipefail
cd "$(dirname "$0")/.."
week="$1"
dir=$(.build/release/labctl list --paths | awk -v w="$week" '$1==w || $2==w {print $3; exit}')
if [[ -z "$dir" || ! -f "$dir/compose.yaml" ]]; then
  echo "lab $week has no generated compose file (run: labctl gen)" >&2
  exit 2
fi
compose=(docker compose -f compose.yaml -f "$dir/compose.yaml")
"${compose[@]}" up -d --build --wait
for variant in before after; do
  LAB_VARIANT=$variant "${compose[@]}" run --rm scenario
done
echo
echo "Grafana (the lab's dashboard):  http://localhost:3000"
echo "Jaeger (traces):                http://localhost:16686"
echo "Prometheus:                     http://localhost:9090"
echo "Stop everything with: make down"
