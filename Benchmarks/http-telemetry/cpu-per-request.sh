#!/usr/bin/env bash
# CPU time per request of two servers loaded at the same time, so that both see the same machine.
#
# On a shared 2-core VM the speed of the machine moves by ±20% within a minute, which swamps a
# sequential A-then-B throughput comparison. Here two `wrk` runs (one connection pool each) hit two
# servers simultaneously for a few seconds; each server's CPU time (utime+stime from /proc) is divided
# by the requests it answered. Repeated for ROUNDS rounds.
#
#   Benchmarks/http-telemetry/cpu-per-request.sh                         # full telemetry vs tracing off
#   A=full B=bare Benchmarks/http-telemetry/cpu-per-request.sh           # full telemetry vs bare Hummingbird
#   A=off B=bare ROUNDS=5 D=8 Benchmarks/http-telemetry/cpu-per-request.sh
#
# Servers (servers.sh): full, off, bare. Builds nothing: run run.sh once first (it builds bare-hello),
# and give LABSVC (default: <repo>/.build-bench/release/labsvc).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LABSVC=${LABSVC:-$ROOT/.build-bench/release/labsvc}
BARE=$HERE/.build/release/bare-hello
PYTHON=${LAB_PYTHON:-$ROOT/.venv/bin/python}
[[ -x "$PYTHON" ]] || PYTHON=python3
A=${A:-full}; B=${B:-off}; ROUNDS=${ROUNDS:-4}; D=${D:-5}
for f in "$LABSVC" "$BARE"; do [[ -x "$f" ]] || { echo "missing $f (build it: see README.md)" >&2; exit 2; }; done

source "$ROOT/Benchmarks/common.sh"
source "$HERE/servers.sh"

SINK_PORT=$(free_port)
"$PYTHON" "$HERE/otlp_sink.py" "$SINK_PORT" 2>/dev/null &
PIDS+=($!)
PORT_A=$(free_port); start_server "$A" "$PORT_A"; PID_A=$SERVER_PID
PORT_B=$(free_port); start_server "$B" "$PORT_B"; PID_B=$SERVER_PID

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
TICK=$(getconf CLK_TCK)
echo "A = $A, B = $B: ${D}s per round, wrk -t1 -c32 against each at the same time"
for round in $(seq "$ROUNDS"); do
    a0=$(ticks "$PID_A"); b0=$(ticks "$PID_B")
    wrk -t1 -c32 -d"${D}s" "http://127.0.0.1:$PORT_A/work" >"$WORK/a" & wa=$!
    wrk -t1 -c32 -d"${D}s" "http://127.0.0.1:$PORT_B/work" >"$WORK/b" & wb=$!
    wait "$wa" "$wb"
    a1=$(ticks "$PID_A"); b1=$(ticks "$PID_B")
    python3 - "$A" "$B" "$((a1 - a0))" "$((b1 - b0))" "$(awk '/requests in/ {print $1}' "$WORK/a")" \
        "$(awk '/requests in/ {print $1}' "$WORK/b")" "$TICK" "$D" <<'PY'
import sys
a, b, ta, tb, ra, rb, tick, d = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
ca, cb = ta / tick / ra * 1e6, tb / tick / rb * 1e6
print(f"{a:>5} {ra / d:7.0f} rps {ca:6.1f} µs CPU/request | {b:>5} {rb / d:7.0f} rps {cb:6.1f} µs CPU/request"
      f" | CPU {a}/{b} {ca / cb:.2f}")
PY
done
