#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace collector built on the official opentelemetry-proto bindings, for the
end-to-end exporter test: a real socket, a real HTTP exchange, an independent decoder.

    otlp_collector.py PORT_FILE LOG_FILE [FAIL_FIRST]

Listens on 127.0.0.1 on a free port and writes that port to PORT_FILE. Each POST /v1/traces is
parsed as ExportTraceServiceRequest; one JSON line per request goes to LOG_FILE:
{"status": <answer>, "content_type": ..., "request": <canonical JSON, see otlp_peer.py>}.
The first FAIL_FIRST requests are answered 503 with `Retry-After: 1`; bodies that do not parse get
400. Success is 200 with a serialized ExportTraceServiceResponse.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

sys.dont_write_bytecode = True  # keep __pycache__ out of the Swift test target's folder
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from otlp_peer import request as canonical  # noqa: E402

# A process started from a Swift concurrency thread inherits its blocked signals; unblock them so
# SIGTERM/SIGINT stop us as expected.
signal.pthread_sigmask(signal.SIG_UNBLOCK, set(signal.Signals))

port_file, log_file = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
lock = threading.Lock()
seen = 0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        entry = {"content_type": self.headers.get("Content-Type"), "path": self.path}
        message = trace_service_pb2.ExportTraceServiceRequest()
        try:
            message.ParseFromString(body)
            entry["request"] = canonical(message)
        except DecodeError as e:
            entry["error"] = str(e)
        with lock:
            seen += 1
            failing = seen <= fail_first
        if "error" in entry:
            status, extra, reply = 400, {}, str(entry["error"]).encode()
        elif failing:
            status, extra, reply = 503, {"Retry-After": "1"}, b""
        else:
            status, extra, reply = 200, {}, trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        entry["status"] = status
        with lock, open(log_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
