"""Independent encoders the trace tests check our decoders against (Python's zlib/gzip and the
official OTLP protobuf bindings with protobuf's own JSON mapping).

Usage:
  codec_peer.py gzip LEVEL IN OUT           gzip-compress IN (gzip module, one member)
  codec_peer.py zlib LEVEL IN OUT           zlib-compress IN (RFC 1950, HTTP "deflate")
  codec_peer.py otlpjson-to-protobuf IN OUT parse OTLP/JSON with protobuf's json_format (strict: an
                                            unknown or misspelt field is an error) and write protobuf
  codec_peer.py protobuf-to-otlpjson IN OUT the reverse: protobuf → OTLP/JSON as the spec writes it

OTLP/JSON differs from protobuf's JSON mapping only in ids: hex instead of base64. We convert
traceId/spanId/parentSpanId between the two and leave everything else to json_format.
"""
import base64
import gzip
import json
import sys
import zlib

ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def convert_ids(node, to_base64):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ID_FIELDS and isinstance(value, str):
                if to_base64:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                else:
                    node[key] = base64.b64decode(value).hex()
            else:
                convert_ids(value, to_base64)
    elif isinstance(node, list):
        for item in node:
            convert_ids(item, to_base64)


def main() -> int:
    mode = sys.argv[1]
    if mode in ("gzip", "zlib"):
        level, src, dst = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        data = open(src, "rb").read()
        out = gzip.compress(data, compresslevel=level) if mode == "gzip" else zlib.compress(data, level)
        open(dst, "wb").write(out)
        return 0

    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    src, dst = sys.argv[2], sys.argv[3]
    if mode == "otlpjson-to-protobuf":
        document = json.load(open(src))
        convert_ids(document, to_base64=True)
        message = json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=False)
        open(dst, "wb").write(message.SerializeToString())
        return 0
    if mode == "protobuf-to-otlpjson":
        message = ExportTraceServiceRequest()
        message.ParseFromString(open(src, "rb").read())
        document = json_format.MessageToDict(message, use_integers_for_enums=True)
        convert_ids(document, to_base64=False)
        json.dump(document, open(dst, "w"))
        return 0
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
