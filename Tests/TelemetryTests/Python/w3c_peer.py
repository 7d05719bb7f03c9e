#!/usr/bin/env python3
"""The independent side of the W3C Trace Context tests: the OpenTelemetry Python API's
TraceContextTextMapPropagator.

    w3c_peer.py IN OUT   IN is a JSON list of {"traceparent": str|null, "tracestate": str|null};
                         OUT gets, for each, what the propagator extracted:
                         {"valid": bool, "trace_id": hex, "span_id": hex, "flags": int,
                          "tracestate": [[key, value], ...]}
"""
import json
import logging
import sys

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

logging.disable(logging.CRITICAL)  # the propagator warns about every invalid header


def extract(case):
    carrier = {k: v for k, v in case.items() if v is not None}
    context = TraceContextTextMapPropagator().extract(carrier)
    span_context = trace.get_current_span(context).get_span_context()
    if not span_context.is_valid:
        return {"valid": False}
    return {
        "valid": True,
        "trace_id": "%032x" % span_context.trace_id,
        "span_id": "%016x" % span_context.span_id,
        "flags": int(span_context.trace_flags),
        "tracestate": [[k, v] for k, v in span_context.trace_state.items()],
    }


def main(argv):
    cases = json.load(open(argv[1], encoding="utf-8"))
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump([extract(c) for c in cases], f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
