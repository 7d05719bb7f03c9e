# The three servers both scripts here compare (source after ../common.sh; needs BARE, LABSVC, SINK_PORT):
#   bare — Sources/bare-hello;  full — labsvc, every request traced and exported to the sink;
#   off  — labsvc with OTEL_TRACES_SAMPLER=always_off (metrics, faults, admin still on).

# start_server KIND PORT [BINARY] — in the background, logging to $WORK/KIND-PORT.log; waits until it
# answers. BINARY replaces $LABSVC (to compare two builds). Leaves its pid in SERVER_PID (and in PIDS).
start_server() {
    local kind=$1 port=$2 binary=${3:-$LABSVC} sampler=parentbased_always_on
    case $kind in
    bare) PORT=$port "$BARE" >"$WORK/bare-$port.log" 2>&1 & ;;
    full|off)
        [[ $kind == off ]] && sampler=always_off
        env -i PATH="$PATH" HOME="$HOME" PORT="$port" HOST=127.0.0.1 OTEL_SERVICE_NAME=backend \
            OTEL_TRACES_SAMPLER=$sampler OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
            OTEL_BSP_MAX_QUEUE_SIZE=8192 "$binary" selftest backend >"$WORK/$kind-$port.log" 2>&1 & ;;
    *) echo "unknown server '$kind' (bare, full or off)" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_for_url "http://127.0.0.1:$port/work"
}
