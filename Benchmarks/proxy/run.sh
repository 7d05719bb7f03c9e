#!/usr/bin/env bash
# Redis throughput direct vs through `labsvc proxy` (no toxics), both measured with redis-benchmark.
# Goal: the proxy keeps >= 80% of direct throughput. See README.md for the figures and how to read them.
#
#   Benchmarks/proxy/run.sh                  # defaults below
#   REQUESTS=200000 PIPELINE=16 ROUNDS=5 Benchmarks/proxy/run.sh
#   LABSVC=.build/release/labsvc Benchmarks/proxy/run.sh   # an already built release labsvc
#
# Needs: redis-server, redis-benchmark, redis-cli (Debian: redis-server, redis-tools), python3, swift.
# Optional: haproxy (Debian: haproxy) — when installed, a third column measures the same traffic through
# HAProxy in TCP mode, an independent C proxy, so the ratio can be read against what any proxy costs here.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-1}
ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-set,get,incr,lpush}
GOAL=${GOAL:-0.80}

for program in redis-server redis-benchmark redis-cli python3 swift; do
    command -v "$program" >/dev/null || { echo "missing $program (Debian: redis-server / redis-tools / python3)" >&2; exit 2; }
done

source "$ROOT/Benchmarks/common.sh"
release_labsvc

wait_for_redis() {
    for _ in $(seq 100); do
        redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    echo "nothing answers PING on port $1; logs in $WORK" >&2
    exit 1
}

REDIS_PORT=$(free_port)
PROXY_PORT=$(free_port)
ADMIN_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_for_redis "$REDIS_PORT"
"$LABSVC" proxy --listen "127.0.0.1:$PROXY_PORT" --upstream "127.0.0.1:$REDIS_PORT" \
    --admin "127.0.0.1:$ADMIN_PORT" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
wait_for_redis "$PROXY_PORT"

HAPROXY_PORT=
if command -v haproxy >/dev/null; then
    HAPROXY_PORT=$(free_port)
    cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 4096
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend redis
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend redis
backend redis
    server redis 127.0.0.1:$REDIS_PORT
EOF
    haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
    PIDS+=($!)
    wait_for_redis "$HAPROXY_PORT"
else
    echo "haproxy not installed: no reference column (apt-get install haproxy)" >&2
fi

# One CSV per run: "test","rps",... (redis-benchmark --csv).
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -t "$TESTS" -n "$REQUESTS" -c "$CLIENTS" -P "$PIPELINE" --csv 2>/dev/null \
        | awk -F'","' 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2); print $1, $2 }'
}

# Alternate direct and proxied runs so drift on the shared machine hits both alike.
for round in $(seq "$ROUNDS"); do
    bench "$REDIS_PORT" | sed "s/^/direct $round /" >>"$WORK/results"
    bench "$PROXY_PORT" | sed "s/^/proxy $round /" >>"$WORK/results"
    if [[ -n "$HAPROXY_PORT" ]]; then bench "$HAPROXY_PORT" | sed "s/^/haproxy $round /" >>"$WORK/results"; fi
done

echo "redis-benchmark -t $TESTS -n $REQUESTS -c $CLIENTS -P $PIPELINE; median of $ROUNDS rounds (requests/s)"
python3 - "$WORK/results" "$GOAL" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    target, _, test, rps = line.split()
    runs.setdefault(test, {}).setdefault(target, []).append(float(rps))
goal = float(sys.argv[2])
reference = all("haproxy" in by for by in runs.values())
header = f"{'test':<8}{'direct':>12}{'proxy':>12}{'ratio':>8}"
print(header + (f"{'haproxy':>12}{'ratio':>8}{'ours/haproxy':>14}" if reference else ""))
ok = True
for test, by in runs.items():
    direct, proxy = statistics.median(by["direct"]), statistics.median(by["proxy"])
    ratio = proxy / direct
    ok &= ratio >= goal
    row = f"{test:<8}{direct:>12.0f}{proxy:>12.0f}{ratio:>8.2f}"
    if reference:
        haproxy = statistics.median(by["haproxy"])
        row += f"{haproxy:>12.0f}{haproxy / direct:>8.2f}{proxy / haproxy:>14.2f}"
    print(row)
print(f"goal: proxy >= {goal:.0%} of direct: {'met' if ok else 'NOT met'}")
sys.exit(0 if ok else 1)
PY
