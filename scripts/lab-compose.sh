#!/usr/bin/env bash
# The compose path of `make lab WEEK=n` (needs a Docker engine): the shared observability stack
# (compose.yaml) plus the lab's generated labs/<lab>/compose.yaml; the lab's scenario for the
# `before` variant, then for `after` (its services recreated with that variant's env files);
# the comparison of the two; the URLs to open.
#
#   scripts/lab-compose.sh <week|slug>     run the lab
#   scripts/lab-compose.sh --find <lab>    print the lab's directory (labs/NN-slug) and id
#   scripts/lab-compose.sh --down          stop and remove every container and volume of the stack
#
# Environment: LABCTL (default .build/debug/labctl), LAB_VARIANTS (default "before after"),
# LAB_DURATION_SCALE (default 1), DRY_RUN=1 prints the docker commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."
labctl="${LABCTL:-.build/debug/labctl}"
variants="${LAB_VARIANTS:-before after}"

# docker compose (v2 plugin) if present, else docker-compose (v1).
compose_cli() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then echo "docker compose"; return; fi
  if docker compose version >/dev/null 2>&1; then echo "docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then echo "docker-compose"
  else echo "neither 'docker compose' nor 'docker-compose' is installed (Debian: apt install docker-compose)" >&2; exit 3
  fi
}

run() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then echo "+ ${LAB_VARIANT:+LAB_VARIANT=$LAB_VARIANT }$*"; else "$@"; fi
}

# find_lab NAME -> "directory<TAB>id" of the lab named by week (7, 07, week07), slug, id or directory.
find_lab() {
  local name="${1,,}"
  name="${name#week}"
  "$labctl" list --paths | awk -F'\t' -v n="$name" -v raw="${1,,}" '
    { dir = $4; sub(".*/", "", dir) }
    (n ~ /^[0-9]+$/ && $1 == n + 0) || $2 == raw || $3 == raw || dir == raw { print "labs/" dir "\t" $3; found = 1; exit }
    END { if (!found) exit 1 }'
}

if [[ "${1:-}" == "--find" ]]; then
  find_lab "${2:?usage: lab-compose.sh --find <lab>}" || { echo "no lab '${2}' (see: $labctl list)" >&2; exit 2; }
  exit 0
fi

read -r -a cli <<<"$(compose_cli)"
if [[ "${1:-}" == "--down" ]]; then
  # Lab services are not in compose.yaml: --remove-orphans removes them with the base stack.
  run "${cli[@]}" -f compose.yaml down --volumes --remove-orphans
  exit 0
fi

name="${1:?usage: lab-compose.sh <week|slug>}"
if ! row=$(find_lab "$name"); then
  echo "no lab '$name' (see: $labctl list)" >&2
  exit 2
fi
dir="${row%%$'\t'*}"
id="${row##*$'\t'}"
if [[ ! -f "$dir/compose.yaml" ]]; then
  echo "$dir has no generated compose file (run: $labctl gen)" >&2
  exit 2
fi

compose=("${cli[@]}" -f compose.yaml -f "$dir/compose.yaml")
# v2 waits for health checks itself; v1's `run` waits through the scenario's depends_on conditions.
wait=()
[[ "${cli[*]}" == "docker compose" ]] && wait=(--wait)
results=".lab/compose/$id"
run rm -rf "$results"
run mkdir -p "$results"

# The lab's own services (and infrastructure): everything of its file but the one-shot scenario.
lab_services() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then echo "<lab services>"; return; fi
  comm -23 <("${compose[@]}" config --services | sort) <("${cli[@]}" -f compose.yaml config --services | sort) | grep -vx scenario
}

echo "Building the image and starting the stack with $dir (variant ${variants%% *})…"
LAB_VARIANT="${variants%% *}" run "${compose[@]}" up -d --build "${wait[@]}"
first=1
for variant in $variants; do
  if [[ $first -eq 0 ]]; then
    echo "Switching $id to variant '$variant' (fresh containers, fresh infrastructure)…"
    # shellcheck disable=SC2046
    LAB_VARIANT="$variant" run "${compose[@]}" up -d --force-recreate --renew-anon-volumes "${wait[@]}" $(lab_services)
  fi
  first=0
  echo "Running the scenario of $id, variant '$variant'…"
  LAB_VARIANT="$variant" LAB_DURATION_SCALE="${LAB_DURATION_SCALE:-1}" run "${compose[@]}" run --rm scenario
done

status=0
run "$labctl" compare "$id" --from-results "$results" || status=$?
echo
echo "Grafana, the lab's dashboard:  http://localhost:3000/d/lab-$id"
echo "Jaeger, the traces:            http://localhost:16686"
echo "Prometheus:                    http://localhost:9090"
echo "The lab stays up (variant '${variants##* }'). Stop everything with: make down"
exit "$status"
