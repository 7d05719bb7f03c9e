"""Loads SPANS spans (traces of 5 spans: gateway → catalog, pricing, inventory → inventory's SELECT) into
the console's OTLP receiver as OTLP protobuf batches of 1,000 spans, waits until the store holds them,
then times each search over HTTP: 30 rounds, median / p95 / max in milliseconds.

Usage: search_bench.py CONSOLE_URL OTLP_URL SPANS
"""
import json
import random
import statistics
import sys
import time
import urllib.parse
import urllib.request

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

console, otlp, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
now_ns = time.time_ns()
SERVICES = ["gateway", "catalog", "pricing", "inventory"]


def kv(key, value):
    return KeyValue(key=key, value=AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value))


def trace_spans(start_ns):
    """One checkout-like trace: 5 spans, ~1 % with a failed SELECT, lognormal latencies."""
    trace_id = random.getrandbits(128).to_bytes(16, "big")
    ids = [random.getrandbits(64).to_bytes(8, "big") for _ in range(5)]
    select_ms = random.lognormvariate(2.5, 0.6)
    failed = random.random() < 0.01
    parts = [
        ("gateway", "GET /product/{id}", None, 0, select_ms + random.uniform(15, 30), 2, {"http.route": "/product/{id}", "http.request.method": "GET", "http.response.status_code": 500 if failed else 200}),
        ("catalog", "GET /items/{id}", ids[0], 1, random.lognormvariate(2.2, 0.4), 2, {"http.route": "/items/{id}", "http.request.method": "GET"}),
        ("pricing", "GET /price/{id}", ids[0], 1, random.lognormvariate(2.4, 0.5), 2, {"http.route": "/price/{id}", "http.request.method": "GET"}),
        ("inventory", "GET /stock/{id}", ids[0], 2, select_ms + 2, 2, {"http.route": "/stock/{id}", "http.request.method": "GET"}),
        ("inventory", "SELECT stock", ids[3], 3, select_ms, 3, {"db.system": "postgresql", "db.query.text": "SELECT stock FROM items WHERE id = $1"}),
    ]
    out = {}
    for i, (service, name, parent, offset_ms, duration_ms, kind, attrs) in enumerate(parts):
        s = Span(trace_id=trace_id, span_id=ids[i], name=name, kind=kind,
                 start_time_unix_nano=start_ns + int(offset_ms * 1e6), end_time_unix_nano=start_ns + int((offset_ms + duration_ms) * 1e6),
                 attributes=[kv(k, v) for k, v in attrs.items()])
        if parent:
            s.parent_span_id = parent
        if failed and (i == 4 or i == 0):
            s.status.CopyFrom(Status(code=2, message="deadlock detected"))
        out.setdefault(service, []).append(s)
    return out


def post(spans_by_service):
    request = ExportTraceServiceRequest(resource_spans=[
        ResourceSpans(resource=Resource(attributes=[kv("service.name", svc), kv("service.namespace", "bench")]),
                      scope_spans=[ScopeSpans(spans=spans)]) for svc, spans in spans_by_service.items()])
    r = urllib.request.Request(otlp + "/v1/traces", data=request.SerializeToString(), headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(r, timeout=60) as answer:
        assert answer.status == 200, answer.status


def get(path):
    with urllib.request.urlopen(console + path, timeout=60) as r:
        return json.loads(r.read())


traces = total // 5
window_ns = 3600 * 10**9
started = time.time()
batch = {}
for n in range(traces):
    for svc, spans in trace_spans(now_ns - window_ns + n * window_ns // traces).items():
        batch.setdefault(svc, []).extend(spans)
    if (n + 1) % 200 == 0 or n == traces - 1:
        post(batch)
        batch = {}
loaded = time.time() - started
stored = get("/console/api/traces?limit=1")
print(f"loaded {stored['storedSpans']} spans in {stored['storedTraces']} traces ({loaded:.1f} s, {stored['storedSpans'] / loaded:,.0f} spans/s through the OTLP receiver)")
assert stored["storedSpans"] == traces * 5, stored["storedSpans"]

last_10_min = str((now_ns - 600 * 10**9) // 1000)
queries = [
    ("console: service+operation+minDuration, 20 newest", "/console/api/traces?service=inventory&operation=SELECT%20stock&minDuration=40ms&limit=20"),
    ("console: errors only, 20 longest", "/console/api/traces?errors=true&order=longest&limit=20"),
    ("Jaeger: service+minDuration, 20 traces (read + encoded)", "/api/traces?service=gateway&minDuration=100ms&limit=20"),
    ("Jaeger: tags error=true, 20 traces", "/api/traces?service=inventory&tags=" + urllib.parse.quote('{"error":"true"}') + "&limit=20"),
    ("Jaeger: last 10 minutes, 20 traces", f"/api/traces?service=pricing&start={last_10_min}&limit=20"),
    ("Jaeger: /api/services", "/api/services"),
    ("Jaeger: /api/services/{s}/operations", "/api/services/inventory/operations"),
    ("Jaeger: one trace by id", None),
    ("Jaeger: 1,500 traces (the UI's maximum)", "/api/traces?service=gateway&limit=1500"),
]
one = get("/console/api/traces?limit=1")["traces"][0]["traceID"]
print(f"\n{'query':58} {'median':>8} {'p95':>8} {'max':>8}  results")
for name, path in queries:
    path = path or f"/api/traces/{one}"
    timings = []
    for _ in range(30):
        t0 = time.perf_counter()
        answer = get(path)
        timings.append((time.perf_counter() - t0) * 1000)
    results = len(answer.get("traces", answer.get("data", [])) or [])
    timings.sort()
    print(f"{name:58} {statistics.median(timings):7.1f}  {timings[int(0.95 * len(timings)) - 1]:7.1f}  {timings[-1]:7.1f}  {results}")
