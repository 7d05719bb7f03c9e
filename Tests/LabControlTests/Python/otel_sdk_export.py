"""Sends one small trace to an OTLP/HTTP endpoint with the official OpenTelemetry Python SDK.

Usage: otel_sdk_export.py ENDPOINT SERVICE_NAME [gzip|none]

Creates a SERVER parent span with a CLIENT child (both with attributes), exports them through the
SDK's own OTLP/HTTP protobuf exporter to ENDPOINT/v1/traces, and prints on stdout, as JSON, the ids
the test then looks for in the trace store. Exits non-zero if the export did not succeed.
"""
import json
import sys

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode


def main() -> int:
    endpoint, service = sys.argv[1], sys.argv[2]
    compression = Compression.Gzip if len(sys.argv) > 3 and sys.argv[3] == "gzip" else Compression.NoCompression

    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", compression=compression, timeout=10)
    results = []
    original_export = exporter.export

    def recording_export(spans):
        result = original_export(spans)
        results.append(result.name)
        return result

    exporter.export = recording_export
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.namespace": "week00-selftest"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("labctl-tests", "1.0")

    with tracer.start_as_current_span("GET /orders/{id}", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("http.request.method", "GET")
        parent.set_attribute("http.route", "/orders/{id}")
        parent.set_attribute("http.response.status_code", 200)
        with tracer.start_as_current_span("SELECT orders", kind=SpanKind.CLIENT) as child:
            child.set_attribute("db.system", "postgresql")
            child.set_attribute("db.rows", 3)
            child.set_attribute("cache.hit_ratio", 0.25)
            child.set_attribute("retry", True)
            child.add_event("rows fetched", {"count": 3})
            child.set_status(Status(StatusCode.ERROR, "deadlock detected"))

    provider.shutdown()
    ids = {
        "trace_id": format(parent.get_span_context().trace_id, "032x"),
        "parent_span_id": format(parent.get_span_context().span_id, "016x"),
        "child_span_id": format(child.get_span_context().span_id, "016x"),
        "export_results": results,
    }
    print(json.dumps(ids))
    return 0 if results and all(r == "SUCCESS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
