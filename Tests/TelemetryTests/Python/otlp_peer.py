#!/usr/bin/env python3
"""The independent side of the OTLP wire-format tests: the official OpenTelemetry protobuf bindings.

    otlp_peer.py decode-request IN OUT    parse IN (protobuf bytes) as ExportTraceServiceRequest,
                                          write its canonical JSON to OUT
    otlp_peer.py decode-response IN OUT   same for ExportTraceServiceResponse
    otlp_peer.py make-request BIN JSON    build a request with every field set, write its bytes to
                                          BIN and its canonical JSON to JSON
    otlp_peer.py sdk-export BIN JSON      let the OpenTelemetry Python SDK record spans and encode them
                                          exactly as its OTLP/HTTP exporter would; BIN + canonical JSON
    otlp_peer.py decode-many IN OUT       IN is a JSON list of hex-encoded requests; OUT gets, for each,
                                          {"ok": true, "request": canonical JSON} or {"ok": false}

Canonical JSON: every field by its proto name, every scalar as a string (ints in decimal, bytes in
hex, doubles as the hex of their IEEE-754 bits so NaN compares exactly), AnyValue as
{"oneof": <member name or "">, "value": ...}. The Swift tests build the same shape from our model.
Exit status 2 with a message on stderr when the input does not parse.
"""
import json
import math
import struct
import sys

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


def double_bits(d):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", d))[0]


def any_value(v):
    which = v.WhichOneof("value")
    if which is None:
        return {"oneof": "", "value": ""}
    x = getattr(v, which)
    if which == "string_value":
        value = x
    elif which == "bool_value":
        value = "true" if x else "false"
    elif which == "int_value":
        value = str(x)
    elif which == "double_value":
        value = double_bits(x)
    elif which == "bytes_value":
        value = x.hex()
    elif which == "array_value":
        value = [any_value(e) for e in x.values]
    elif which == "kvlist_value":
        value = [key_value(e) for e in x.values]
    else:
        raise ValueError("unknown AnyValue member " + which)
    return {"oneof": which, "value": value}


def key_value(kv):
    return {"key": kv.key, "value": any_value(kv.value)}


def attrs(kvs):
    return [key_value(kv) for kv in kvs]


def span(s):
    return {
        "trace_id": s.trace_id.hex(),
        "span_id": s.span_id.hex(),
        "trace_state": s.trace_state,
        "parent_span_id": s.parent_span_id.hex(),
        "flags": str(s.flags),
        "name": s.name,
        "kind": str(s.kind),
        "start_time_unix_nano": str(s.start_time_unix_nano),
        "end_time_unix_nano": str(s.end_time_unix_nano),
        "attributes": attrs(s.attributes),
        "dropped_attributes_count": str(s.dropped_attributes_count),
        "events": [
            {
                "time_unix_nano": str(e.time_unix_nano),
                "name": e.name,
                "attributes": attrs(e.attributes),
                "dropped_attributes_count": str(e.dropped_attributes_count),
            }
            for e in s.events
        ],
        "dropped_events_count": str(s.dropped_events_count),
        "links": [
            {
                "trace_id": l.trace_id.hex(),
                "span_id": l.span_id.hex(),
                "trace_state": l.trace_state,
                "attributes": attrs(l.attributes),
                "dropped_attributes_count": str(l.dropped_attributes_count),
                "flags": str(l.flags),
            }
            for l in s.links
        ],
        "dropped_links_count": str(s.dropped_links_count),
        "status": {"message": s.status.message, "code": str(s.status.code)},
    }


def request(r):
    return {
        "resource_spans": [
            {
                "resource": {
                    "attributes": attrs(rs.resource.attributes),
                    "dropped_attributes_count": str(rs.resource.dropped_attributes_count),
                },
                "scope_spans": [
                    {
                        "scope": {
                            "name": ss.scope.name,
                            "version": ss.scope.version,
                            "attributes": attrs(ss.scope.attributes),
                            "dropped_attributes_count": str(ss.scope.dropped_attributes_count),
                        },
                        "spans": [span(s) for s in ss.spans],
                        "schema_url": ss.schema_url,
                    }
                    for ss in rs.scope_spans
                ],
                "schema_url": rs.schema_url,
            }
            for rs in r.resource_spans
        ]
    }


def response(r):
    return {
        "rejected_spans": str(r.partial_success.rejected_spans),
        "error_message": r.partial_success.error_message,
    }


def kv(key, **value):
    return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(**value))


def every_field_request():
    """A request in which every field of every trace message is set, with edge values."""
    all_kinds = [
        kv("s", string_value="ünïcödé ✓ 🎉 \u0000 nul"),
        kv("s.empty", string_value=""),
        kv("b.true", bool_value=True),
        kv("b.false", bool_value=False),
        kv("i.zero", int_value=0),
        kv("i.min", int_value=-(2**63)),
        kv("i.max", int_value=2**63 - 1),
        kv("d", double_value=-1.5e-300),
        kv("d.zero", double_value=0.0),
        kv("d.nan", double_value=math.nan),
        kv("d.inf", double_value=math.inf),
        kv("d.neginf", double_value=-math.inf),
        kv("bytes", bytes_value=b"\x00\x01\xfe\xff"),
        kv("bytes.empty", bytes_value=b""),
        kv("arr", array_value=common_pb2.ArrayValue(values=[
            common_pb2.AnyValue(int_value=-1),
            common_pb2.AnyValue(string_value="x"),
            common_pb2.AnyValue(array_value=common_pb2.ArrayValue(values=[common_pb2.AnyValue(bool_value=True)])),
            common_pb2.AnyValue(),
        ])),
        kv("kvl", kvlist_value=common_pb2.KeyValueList(values=[
            kv("a", double_value=2.5),
            kv("b", kvlist_value=common_pb2.KeyValueList(values=[kv("c", string_value="deep")])),
        ])),
        common_pb2.KeyValue(key="unset"),
    ]
    s = trace_pb2.Span(
        trace_id=bytes(range(0xF0, 0x100)),
        span_id=bytes.fromhex("0102030405060708"),
        trace_state="congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
        parent_span_id=bytes.fromhex("ffeeddccbbaa9988"),
        flags=0xFFFFFFFF,
        name="python span ✓",
        kind=trace_pb2.Span.SPAN_KIND_CONSUMER,
        start_time_unix_nano=1,
        end_time_unix_nano=2**64 - 1,
        attributes=all_kinds,
        dropped_attributes_count=2**32 - 1,
        events=[
            trace_pb2.Span.Event(time_unix_nano=123456789, name="exception",
                                 attributes=[kv("exception.type", string_value="ValueError")],
                                 dropped_attributes_count=9),
            trace_pb2.Span.Event(),
        ],
        dropped_events_count=10,
        links=[trace_pb2.Span.Link(trace_id=b"\x11" * 16, span_id=b"\x22" * 8, trace_state="a=b",
                                   attributes=[kv("l", int_value=5)], dropped_attributes_count=11, flags=0x300)],
        dropped_links_count=12,
        status=trace_pb2.Status(message="boom", code=trace_pb2.Status.STATUS_CODE_ERROR),
    )
    negative_kind = trace_pb2.Span(name="unknown kind", kind=-3)
    return trace_service_pb2.ExportTraceServiceRequest(resource_spans=[
        trace_pb2.ResourceSpans(
            resource=resource_pb2.Resource(attributes=[kv("service.name", string_value="py")],
                                           dropped_attributes_count=13),
            scope_spans=[
                trace_pb2.ScopeSpans(
                    scope=common_pb2.InstrumentationScope(name="py.scope", version="9.9",
                                                          attributes=[kv("sa", bool_value=True)],
                                                          dropped_attributes_count=14),
                    spans=[s, negative_kind, trace_pb2.Span()],
                    schema_url="https://example.com/scope-schema",
                ),
                trace_pb2.ScopeSpans(),
            ],
            schema_url="https://example.com/resource-schema",
        ),
        trace_pb2.ResourceSpans(),
    ])


def sdk_export():
    """Spans recorded by the OpenTelemetry Python SDK, encoded by its OTLP exporter's encoder."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.trace import SpanKind, Status, StatusCode, Link

    finished = []

    class Collect(SpanExporter):
        def export(self, spans):
            finished.extend(spans)
            return SpanExportResult.SUCCESS

    provider = TracerProvider(resource=Resource.create({"service.name": "python-sdk", "deployment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(Collect()))
    tracer = provider.get_tracer("sdk.peer", "0.1")
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER,
                                      attributes={"http.method": "GET", "n": 7, "ok": True, "ratio": 0.5,
                                                  "tags": ["a", "b"], "counts": [1, 2, 3]}) as parent:
        parent.add_event("cache.miss", {"key": "user:1"})
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT,
                                          links=[Link(parent.get_span_context(), {"why": "demo"})]) as child:
            child.record_exception(ValueError("bad input"))
            child.set_status(Status(StatusCode.ERROR, "failed"))
    provider.shutdown()
    return encode_spans(finished)


def main(argv):
    mode = argv[1]
    if mode in ("decode-request", "decode-response"):
        data = open(argv[2], "rb").read()
        message = (trace_service_pb2.ExportTraceServiceRequest() if mode == "decode-request"
                   else trace_service_pb2.ExportTraceServiceResponse())
        try:
            message.ParseFromString(data)
        except DecodeError as e:
            print("python protobuf rejected the input: %s" % e, file=sys.stderr)
            return 2
        out = request(message) if mode == "decode-request" else response(message)
    elif mode == "decode-many":
        results = []
        for hex_bytes in json.load(open(argv[2], encoding="utf-8")):
            message = trace_service_pb2.ExportTraceServiceRequest()
            try:
                message.ParseFromString(bytes.fromhex(hex_bytes))
                results.append({"ok": True, "request": request(message)})
            except DecodeError:
                results.append({"ok": False})
        out = results
    elif mode in ("make-request", "sdk-export"):
        message = every_field_request() if mode == "make-request" else sdk_export()
        open(argv[2], "wb").write(message.SerializeToString())
        out = request(message)
    else:
        print("unknown mode " + mode, file=sys.stderr)
        return 64
    with open(argv[-1], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
