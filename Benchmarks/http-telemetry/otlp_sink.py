"""A minimal OTLP/HTTP trace sink for the benchmark: answers 200 to POST /v1/traces and counts
requests and bytes. With --decode it also counts the spans, decoded with the official
opentelemetry-proto bindings — an independent check of what the service sent, but decoding costs
CPU that the benchmark would then take from the service under test (same 2 cores), so timed runs
leave it off and read the service's own telemetry_spans_exported_total instead.
Prints the totals on SIGTERM."""
import http.server
import signal
import sys

ExportTraceServiceRequest = None
if "--decode" in sys.argv:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

totals = {"requests": 0, "bytes": 0, "spans": 0}


class Sink(http.server.BaseHTTPRequestHandler):
    # Keep-alive, as a real collector does (the default HTTP/1.0 closes the exporter's connection
    # after every batch, and both sides would pay for a new one).
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        totals["requests"] += 1
        totals["bytes"] += len(body)
        if ExportTraceServiceRequest is not None:
            request = ExportTraceServiceRequest.FromString(body)
            totals["spans"] += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def report(*_):
    spans = totals["spans"] if ExportTraceServiceRequest is not None else "?"
    print(f"sink: {totals['requests']} POSTs, {totals['bytes']} bytes, {spans} spans", file=sys.stderr, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
server.serve_forever()
