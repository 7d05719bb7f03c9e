#!/usr/bin/env bash
# Trace search over 100,000 stored spans, end to end: a release `labctl console` (its OTLP receiver and
# trace store, its Jaeger query API), loaded with 20,000 traces of 5 spans, then each query timed over
# HTTP from Python. Goal: every search answers in < 200 ms. See README.md.
#   Benchmarks/trace-search/run.sh              # builds labctl (release) in .build-bench unless LABCTL is set
#   LABCTL=.build/release/labctl Benchmarks/trace-search/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/Benchmarks/common.sh"
PYTHON=${LAB_PYTHON:-$ROOT/.venv/bin/python}
[[ -x "$PYTHON" ]] || { echo "no $PYTHON: run make setup (the OpenTelemetry protobuf bindings)" >&2; exit 1; }

if [[ -z "${LABCTL:-}" ]]; then
    build_path=${BUILD_PATH:-$ROOT/.build-bench}
    echo "building labctl (release) in $build_path ..." >&2
    swift build -c release --product labctl --package-path "$ROOT" --scratch-path "$build_path" >&2
    LABCTL="$(swift build -c release --package-path "$ROOT" --scratch-path "$build_path" --show-bin-path)/labctl"
fi

"$LABCTL" console --state-dir "$WORK/state" --labs-dir "$ROOT/labs" --console-port 0 --otlp-port 0 >"$WORK/console.out" 2>"$WORK/console.err" &
PIDS+=($!)
for _ in $(seq 200); do grep -q '^otlp ' "$WORK/console.out" 2>/dev/null && break; sleep 0.05; done
CONSOLE=$(awk '$1 == "console" {print $2}' "$WORK/console.out")
OTLP=$(awk '$1 == "otlp" {print $2}' "$WORK/console.out")
[[ -n "$CONSOLE" && -n "$OTLP" ]] || { cat "$WORK/console.err" >&2; exit 1; }
"$PYTHON" "$ROOT/Benchmarks/trace-search/search_bench.py" "$CONSOLE" "$OTLP" "${SPANS:-100000}"
echo "store: $(du -sh "$WORK/state/traces" | cut -f1) on disk; labctl console RSS: $(ps -o rss= -p "${PIDS[0]}" | awk '{printf "%.0f MiB", $1/1024}')"
