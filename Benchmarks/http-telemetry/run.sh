#!/usr/bin/env bash
# What a lab service's runtime costs in throughput: `wrk` against GET /work of `labsvc selftest backend`
# (full telemetry: a server span per request exported over OTLP/HTTP, the request-duration histogram,
# fault middleware, a Prometheus scrape every second) versus the same route on a bare Hummingbird app.
# Goal (issue #4): the runtime costs under 15% of throughput. See README.md.
#
#   Benchmarks/http-telemetry/run.sh                       # DURATION=10 CONNECTIONS=64 ROUNDS=3
#   LABSVC=.build/release/labsvc Benchmarks/http-telemetry/run.sh   # an already built release labsvc
#   DECODE=1 Benchmarks/http-telemetry/run.sh    # the sink decodes and counts spans (python; costs CPU)
#   BEFORE=/tmp/labsvc-old Benchmarks/http-telemetry/run.sh   # also another build, full telemetry, each round
#
# Needs: wrk (Debian: wrk), curl, python3, swift.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
GOAL=${GOAL:-0.85}
PYTHON=${LAB_PYTHON:-$ROOT/.venv/bin/python}
[[ -x "$PYTHON" ]] || PYTHON=python3

for program in wrk curl python3 swift; do
    command -v "$program" >/dev/null || { echo "missing $program (Debian: wrk / curl / python3)" >&2; exit 2; }
done

echo "building bare-hello (release) ..." >&2
swift build -c release --product bare-hello --package-path "$HERE" >&2
BARE="$(swift build -c release --package-path "$HERE" --show-bin-path)/bare-hello"
source "$ROOT/Benchmarks/common.sh"
source "$HERE/servers.sh"
release_labsvc

SINK_PORT=$(free_port)
# DECODE=1 makes the sink decode every request with the official protobuf bindings (costs CPU).
"$PYTHON" "$HERE/otlp_sink.py" "$SINK_PORT" ${DECODE:+--decode} 2>"$WORK/sink.log" &
SINK_PID=$!
PIDS+=($SINK_PID)

BARE_PORT=$(free_port); start_server bare "$BARE_PORT"
FULL_PORT=$(free_port); start_server full "$FULL_PORT"        # everything on: every request traced
NOTRACE_PORT=$(free_port); start_server off "$NOTRACE_PORT"   # the same without tracing: separates the costs
if [[ -n "${BEFORE:-}" ]]; then BEFORE_PORT=$(free_port); start_server full "$BEFORE_PORT" "$BEFORE"; fi

echo "bodies: bare $(curl -s "http://127.0.0.1:$BARE_PORT/work") / labsvc $(curl -s "http://127.0.0.1:$FULL_PORT/work")" >&2

# A Prometheus-like scrape of the labsvc under test every second while wrk runs.
scrape_loop() { while true; do curl -fs "$1/metrics" >/dev/null || true; sleep 1; done; }

run_wrk() {  # name url → "name rps"
    local name=$1 url=$2 scraper=
    if [[ "$name" != bare ]]; then scrape_loop "${url%/work}" & scraper=$!; fi
    local rps
    rps=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$url" | awk '/Requests\/sec/ {print $2}')
    [[ -n "$scraper" ]] && { kill "$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null || true; }
    echo "$name $rps"
}

# Alternate the three so that drift on the shared machine hits each alike.
for round in $(seq "$ROUNDS"); do
    run_wrk bare "http://127.0.0.1:$BARE_PORT/work" >>"$WORK/results"
    run_wrk labsvc-no-tracing "http://127.0.0.1:$NOTRACE_PORT/work" >>"$WORK/results"
    run_wrk labsvc-full "http://127.0.0.1:$FULL_PORT/work" >>"$WORK/results"
    if [[ -n "${BEFORE:-}" ]]; then run_wrk before-full "http://127.0.0.1:$BEFORE_PORT/work" >>"$WORK/results"; fi
done

kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true
exported=$(cat "$WORK/sink.log")
dropped=$(curl -s "http://127.0.0.1:$FULL_PORT/metrics" | grep -E '^telemetry_spans_(dropped|exported)' | tr '\n' ' ' || true)

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s GET /work; median of $ROUNDS rounds (requests/s)"
status=0
python3 - "$WORK/results" "$GOAL" <<'PY' || status=$?
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, rps = line.split()
    runs.setdefault(name, []).append(float(rps))
goal = float(sys.argv[2])
bare = statistics.median(runs["bare"])
# The machine drifts by ±20% within minutes, so each labsvc run is compared with the bare run of
# the same round (seconds apart), and the verdict is the median of those paired ratios.
def paired(name):
    return statistics.median(v / b for v, b in zip(runs[name], runs["bare"]))
print(f"{'server':<22}{'req/s':>10}{'vs bare':>9}   rounds (paired ratio = median over rounds of run / bare of the same round)")
for name, values in runs.items():
    median = statistics.median(values)
    print(f"{name:<22}{median:>10.0f}{paired(name):>9.2f}   {', '.join(f'{v:.0f}' for v in values)}")
full = paired("labsvc-full")
ok = full >= goal
print(f"goal: full telemetry costs under {1 - goal:.0%} of throughput: {'met' if ok else 'NOT met'} ({1 - full:.1%})")
sys.exit(0 if ok else 1)
PY
echo "$exported"
[[ -n "$dropped" ]] && echo "labsvc-full drop counters: $dropped"
exit $status
