# Shared by the benchmark scripts (source it after `set -euo pipefail` and setting ROOT): a scratch
# directory and the background processes, both cleaned up on exit; free loopback ports; waiting for a
# URL to answer; a release `labsvc`.

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for_url URL — up to 10 s; exits with the logs' location when nothing answers.
wait_for_url() {
    for _ in $(seq 200); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "nothing answers $1; logs in $WORK" >&2
    ls "$WORK" >&2
    exit 1
}

# Sets LABSVC to a release build in $BUILD_PATH (default $ROOT/.build-bench: a separate build directory
# keeps the release build from queueing behind, or blocking, debug builds) unless LABSVC is given.
release_labsvc() {
    if [[ -n "${LABSVC:-}" ]]; then
        echo "using LABSVC=$LABSVC (no build)" >&2
        return
    fi
    local build_path=${BUILD_PATH:-$ROOT/.build-bench}
    echo "building labsvc (release) in $build_path ..." >&2
    swift build -c release --product labsvc --package-path "$ROOT" --scratch-path "$build_path" >&2
    LABSVC="$(swift build -c release --package-path "$ROOT" --scratch-path "$build_path" --show-bin-path)/labsvc"
}
