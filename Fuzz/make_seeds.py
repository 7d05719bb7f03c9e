"""Writes the fuzz targets' seed corpus (Fuzz/Corpus/<Target>/), from implementations that are not
ours: OTLP requests built with the official OpenTelemetry protobuf bindings, OTLP/JSON from
protobuf's own JSON mapping (ids turned to hex as OTLP/JSON wants), trace segments framed here
with zlib's CRC-32, and the repository's lab manifests.

Run from the repository root with the test peers' Python: .venv/bin/python Fuzz/make_seeds.py
"""
import base64
import json
import os
import shutil
import struct
import sys
import zlib

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "Corpus")


def any_value(depth, kind, leaf="leaf"):
    """A value nested `depth` times as kvlist or array (leaf None: an empty innermost value)."""
    if leaf is None and kind == "kvlist":
        # The innermost key has no value at all (absent on the wire, as our encoder writes .empty).
        value = common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(values=[common_pb2.KeyValue(key="k")]))
        depth -= 1
    else:
        value = common_pb2.AnyValue(string_value=leaf)
    for _ in range(depth):
        if kind == "kvlist":
            value = common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(values=[common_pb2.KeyValue(key="k", value=value)]))
        else:
            value = common_pb2.AnyValue(array_value=common_pb2.ArrayValue(values=[value]))
    return value


def request(spans=1, nested=0, kind="kvlist", events=False, links=False, leaf="leaf"):
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name", value=common_pb2.AnyValue(string_value="checkout"))
    rs.resource.attributes.add(key="service.namespace", value=common_pb2.AnyValue(string_value="week01"))
    rs.schema_url = "https://opentelemetry.io/schemas/1.26.0"
    ss = rs.scope_spans.add()
    ss.scope.name = "labkit"
    ss.scope.version = "1.0"
    for i in range(spans):
        span = ss.spans.add()
        span.trace_id = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")
        span.span_id = struct.pack(">Q", 0x00F067AA0BA902B7 + i)
        if i:
            span.parent_span_id = struct.pack(">Q", 0x00F067AA0BA902B7)
        span.name = "GET /product/{id}" if i == 0 else "SELECT stock"
        span.kind = trace_pb2.Span.SPAN_KIND_SERVER if i == 0 else trace_pb2.Span.SPAN_KIND_CLIENT
        span.start_time_unix_nano = 1_795_237_200_000_000_000 + i * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + 20_000_000
        span.trace_state = "vendor=1"
        span.flags = 0x101
        span.attributes.add(key="http.request.method", value=common_pb2.AnyValue(string_value="GET"))
        span.attributes.add(key="http.response.status_code", value=common_pb2.AnyValue(int_value=200))
        span.attributes.add(key="retry", value=common_pb2.AnyValue(bool_value=True))
        span.attributes.add(key="ratio", value=common_pb2.AnyValue(double_value=0.25))
        span.attributes.add(key="blob", value=common_pb2.AnyValue(bytes_value=b"\x00\xffab"))
        if nested:
            span.attributes.add(key="deep", value=any_value(nested, kind, leaf))
        if events:
            e = span.events.add(time_unix_nano=span.start_time_unix_nano + 5, name="exception")
            e.attributes.add(key="exception.message", value=common_pb2.AnyValue(string_value="boom"))
        if links:
            l = span.links.add(trace_id=bytes(range(16)), span_id=bytes(range(8)), trace_state="a=b", flags=1)
            l.attributes.add(key="link", value=common_pb2.AnyValue(int_value=-1))
        span.status.code = trace_pb2.Status.STATUS_CODE_ERROR if i == 1 else trace_pb2.Status.STATUS_CODE_UNSET
        span.status.message = "timeout" if i == 1 else ""
    return req


def requests():
    return {
        "one-span": request(),
        "three-spans-events-links": request(spans=3, events=True, links=True),
        "kvlist-31-deep": request(nested=31),
        "kvlist-32-deep": request(nested=32),
        "kvlist-32-deep-empty-leaf": request(nested=32, leaf=None),
        "array-45-deep": request(nested=45, kind="array"),
        "array-46-deep": request(nested=46, kind="array"),
        "empty": trace_service_pb2.ExportTraceServiceRequest(),
        "nan-payload": nan_payload_request(),
    }


def nan_payload_request():
    """A double attribute holding a NaN with sign and payload bits (FuzzProtobuf's first finding:
    OTLP/JSON writes every NaN as "NaN", so the decoders read every NaN as the canonical one)."""
    req = request()
    nan = struct.unpack("<d", struct.pack("<Q", 0xFFF0_0000_0000_0001))[0]
    req.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="odd-nan", value=common_pb2.AnyValue(double_value=nan))
    return req


def otlp_json(message):
    """protobuf's JSON mapping with trace and span ids in hex, as OTLP/JSON writes them."""
    def hex_ids(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    node[key] = base64.b64decode(value).hex()
                else:
                    hex_ids(value)
        elif isinstance(node, list):
            for item in node:
                hex_ids(item)
    obj = json_format.MessageToDict(message)
    hex_ids(obj)
    return json.dumps(obj).encode()


def segment(payloads, tail=b""):
    out = b"DLTRACE1"
    for p in payloads:
        out += struct.pack(">II", len(p), zlib.crc32(p) & 0xFFFFFFFF) + p
    return out + tail


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    reqs = requests()
    for name, req in reqs.items():
        write("FuzzProtobuf", name + ".pb", req.SerializeToString())
        write("FuzzOTLPJSON", name + ".json", otlp_json(req))
    write("FuzzProtobuf", "response-partial.pb", trace_service_pb2.ExportTraceServiceResponse(
        partial_success=trace_service_pb2.ExportTracePartialSuccess(rejected_spans=2, error_message="bad ids")).SerializeToString())
    # JSON the spec allows besides the canonical form: snake_case names, enum names, numbers for int64s.
    write("FuzzOTLPJSON", "snake-case-and-enum-names.json", json.dumps({"resource_spans": [{"scope_spans": [{"spans": [{
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "name": "x",
        "kind": "SPAN_KIND_SERVER", "start_time_unix_nano": 1795237200000000000, "end_time_unix_nano": "1795237200000000001",
        "status": {"code": "STATUS_CODE_ERROR"},
        "attributes": [{"key": "d", "value": {"double_value": "NaN"}}, {"key": "i", "value": {"int_value": -5}}]}]}]}]}).encode())
    # FuzzOTLPJSON's first finding: a NaN with its sign written out; it reads as the canonical NaN.
    write("FuzzOTLPJSON", "signed-nan.json", json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "d", "value": {"doubleValue": "-NaN"}}]}}]}).encode())
    write("FuzzOTLPJSON", "response.json", b'{"partialSuccess":{"rejectedSpans":"1","errorMessage":"x"}}')

    one, three = reqs["one-span"].SerializeToString(), reqs["three-spans-events-links"].SerializeToString()
    deep = reqs["kvlist-32-deep"].SerializeToString()  # frames fine, does not decode (nested too deep)
    write("FuzzTraceSegment", "two-records", segment([one, three]))
    write("FuzzTraceSegment", "undecodable-record-between", segment([one, deep, three]))
    write("FuzzTraceSegment", "cut-short", segment([one, three])[:-7])
    write("FuzzTraceSegment", "partial-header", segment([one], tail=b"\x00\x00\x01"))
    bad = bytearray(segment([one, three]))
    bad[-3] ^= 0xFF
    write("FuzzTraceSegment", "checksum-mismatch", bytes(bad))
    write("FuzzTraceSegment", "header-only", b"DLTRACE1")

    repo = os.path.dirname(ROOT)
    for base in ("labs", "Tests/Fixtures/labs", "Tests/Fixtures/compare-labs"):
        for lab in sorted(os.listdir(os.path.join(repo, base))):
            path = os.path.join(repo, base, lab, "lab.yaml")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    write("FuzzManifest", lab + ".yaml", f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
