#!/usr/bin/env bash
# Checks that run after `swift test`: things that are not XCTest cases but must hold.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug

# The CLIs print real usage.
"$bin/labctl" --help >/dev/null
"$bin/labsvc" --help >/dev/null
echo "checks: CLI usage ok"

# The code's layout follows .swift-format (`swift format -i -r Sources Tests` applies it).
swift format lint --strict --parallel -r Sources Tests Package.swift
echo "checks: swift format ok"

# Files derived from lab manifests are up to date (every manifest parses, nothing is stale).
"$bin/labctl" gen --check
echo "checks: generated files ok"

# The Docker path, statically (no engine needed): every lab's committed compose file combined with
# the base stack, for every variant; the Prometheus configuration with its targets and rules.
if command -v docker-compose >/dev/null 2>&1; then
  while IFS=$'\t' read -r _week _slug _id dir; do
    lab="labs/$(basename "$dir")"
    for env_dir in "$lab"/compose/*/; do
      variant=$(basename "$env_dir")
      LAB_VARIANT="$variant" docker-compose -f compose.yaml -f "$lab/compose.yaml" config -q \
        || { echo "checks: docker-compose config failed for $lab ($variant)" >&2; exit 1; }
    done
  done < <("$bin/labctl" list --paths)
  echo "checks: docker-compose config ok for every lab and variant"
else
  echo "checks: docker-compose not installed (apt install docker-compose): compose files not validated"
fi
if command -v promtool >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # The config names the container's paths; point them at the repository's files.
  sed "s|/etc/prometheus/|$PWD/prometheus/|g" prometheus/prometheus.compose.yml >"$tmp/prometheus.yml"
  promtool check config "$tmp/prometheus.yml" >/dev/null
  find prometheus/rules -name '*.yml' -print0 | xargs -0 promtool check rules >/dev/null
  echo "checks: promtool config, targets and rules ok"
else
  echo "checks: promtool not installed (apt install prometheus): Prometheus configuration not validated"
fi

# The decoders of untrusted bytes (OTLP protobuf and JSON, trace segments, lab.yaml) under libFuzzer,
# FUZZ_RUNS (default 150,000) inputs per target from the committed seed corpus and seed 1, so a run
# here and CI's start from the same mutations; longer, random-seed runs explore (see Fuzz/README.md).
bash scripts/fuzz.sh --runs "${FUZZ_RUNS:-150000}"
echo "checks: fuzzing ok"
