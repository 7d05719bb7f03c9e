#!/usr/bin/env bash
# Measures the load generator engine in a release build against a fast route, and compares its
# maximum throughput with wrk's on the same route. See README.md for what the figures mean.
#
#   Benchmarks/loadgen/run.sh                 # defaults below
#   RATES=1000,5000 DURATION=5 USERS=32 Benchmarks/loadgen/run.sh
set -euo pipefail
cd "$(dirname "$0")"

RATES=${RATES:-1000,2000,5000}
DURATION=${DURATION:-10}
USERS=${USERS:-64}

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

swift build -c release --product loadgen-bench >&2
BIN=.build/release/loadgen-bench

# The target runs in its own process, the same one for our generator and for wrk.
LOG=$(mktemp)
"$BIN" serve >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 50); do grep -q '^port ' "$LOG" && break; sleep 0.1; done
PORT=$(awk '/^port /{print $2}' "$LOG")
[ -n "$PORT" ] || { echo "target did not start:" >&2; cat "$LOG" >&2; exit 1; }
URL=http://127.0.0.1:$PORT

echo "## $(date -u +%FT%TZ)  $(nproc) cores  $(uname -r)"
echo
echo "### Open loop: achieved rate (${DURATION}s per rate, after a 2 s ramp)"
"$BIN" rate "$URL" "$RATES" "$DURATION"
echo
echo "### Maximum throughput, closed loop, $USERS connections, ${DURATION}s"
echo -n "loadgen: "
"$BIN" max "$URL" "$USERS" "$DURATION"
echo -n "bare:    "
"$BIN" bare "$URL" "$USERS" "$DURATION"
echo -n "wrk:     "
wrk -t2 -c"$USERS" -d"${DURATION}s" "$URL/fast" | awk '/Requests\/sec/{printf "responses/s %s  ", $2} /Latency/{printf "latency avg %s  ", $2} END{print ""}'
