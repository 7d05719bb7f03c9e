"""An independent check of the lab console's Jaeger query API, written without our Swift code.

Usage: jaeger_api_check.py CONSOLE_URL LABCTL STORE_DIR [SERVICE]

1. Reads /api/services, /api/services/{s}/operations and /api/traces?service=… as Grafana's Jaeger data
   source does, and checks the fields it uses: data[].traceID, spans[] with traceID, spanID,
   operationName, references (refType/traceID/spanID), startTime and duration in microseconds, tags
   (key/type/value), logs, processID; processes{} with serviceName and tags.
2. Picks the longest trace with more than one service, reads /api/traces/{id}, and compares it with what
   `labctl traces --trace ID --store STORE_DIR` prints for the same trace: the same spans in the same
   depth-first order, each with the same parent depth, service name, span name and duration.
3. Bad input: an unknown trace id is a 404, a malformed minDuration a 400 naming the parameter, both
   with Jaeger's error envelope.
Prints one line per check; exits non-zero on the first failure.
"""
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

TAG_TYPES = {"string", "bool", "int64", "float64", "binary"}


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def require(condition, message):
    if not condition:
        print("FAIL", message)
        sys.exit(1)


def check_tags(tags, where):
    require(isinstance(tags, list), f"{where}: tags is a list")
    for t in tags:
        require(set(t) >= {"key", "type", "value"}, f"{where}: tag {t} has key, type, value")
        require(t["type"] in TAG_TYPES, f"{where}: tag type {t['type']} is one of {sorted(TAG_TYPES)}")


def check_trace(trace):
    require(re.fullmatch(r"[0-9a-f]{32}", trace["traceID"]), "traceID is 32 hex digits")
    require(isinstance(trace["processes"], dict) and trace["processes"], "processes is a non-empty object")
    for pid, process in trace["processes"].items():
        require(isinstance(process["serviceName"], str) and process["serviceName"], f"process {pid} has a serviceName")
        check_tags(process["tags"], f"process {pid}")
    ids = {s["spanID"] for s in trace["spans"]}
    for s in trace["spans"]:
        where = f"span {s.get('spanID')}"
        for field in ("traceID", "spanID", "operationName", "references", "startTime", "duration", "tags", "logs", "processID", "flags"):
            require(field in s, f"{where} has {field}")
        require(s["traceID"] == trace["traceID"], f"{where} belongs to its trace")
        require(re.fullmatch(r"[0-9a-f]{16}", s["spanID"]), f"{where}: spanID is 16 hex digits")
        require(isinstance(s["startTime"], int) and s["startTime"] > 1_500_000_000_000_000, f"{where}: startTime is Unix microseconds (int)")
        require(isinstance(s["duration"], int) and s["duration"] >= 0, f"{where}: duration is microseconds (int)")
        require(s["processID"] in trace["processes"], f"{where}: processID names a process")
        check_tags(s["tags"], where)
        for log in s["logs"]:
            require(isinstance(log["timestamp"], int), f"{where}: log timestamp is microseconds")
            check_tags(log["fields"], f"{where} log")
        for ref in s["references"]:
            require(ref["refType"] in ("CHILD_OF", "FOLLOWS_FROM"), f"{where}: refType {ref['refType']}")
            if ref["refType"] == "CHILD_OF":
                require(ref["traceID"] == trace["traceID"], f"{where}: parent in the same trace")
                require(ref["spanID"] in ids or s.get("warnings"), f"{where}: parent {ref['spanID']} is in the trace (or warned)")


def depth_first(trace):
    """Spans as the terminal waterfall orders them: roots by start, children by start, depth-first."""
    spans = sorted(trace["spans"], key=lambda s: (s["startTime"], s["startTime"] + s["duration"]))
    ids = {s["spanID"] for s in spans}
    parent = {}
    for s in spans:
        refs = [r["spanID"] for r in s["references"] if r["refType"] == "CHILD_OF"]
        parent[s["spanID"]] = refs[0] if refs and refs[0] in ids else None
    children = {}
    for s in spans:
        children.setdefault(parent[s["spanID"]], []).append(s)
    out = []

    def walk(s, depth):
        out.append((s, depth))
        for c in children.get(s["spanID"], []):
            walk(c, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    return out


def labctl_waterfall(labctl, store, trace_id):
    text = subprocess.run([labctl, "traces", "--trace", trace_id, "--store", store], check=True, capture_output=True, text=True).stdout
    rows = []
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("SPAN "))
    for line in lines[start + 1:]:
        if not line.strip():
            break
        # name (36) · service (14) · status (6) · duration (9) · self (9) · |bar|
        name, service, duration = line[:36], line[38:52], line[62:71]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, name.strip(), service.strip(), duration.strip()))
    return rows


def micros(text):
    for unit, factor in (("µs", 1), ("ms", 1e3), ("ns", 1e-3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def main():
    console, labctl, store = sys.argv[1:4]
    wanted = sys.argv[4] if len(sys.argv) > 4 else None
    status, services = get(f"{console}/api/services")
    require(status == 200 and services["errors"] is None and services["data"], "/api/services lists services")
    print("ok /api/services:", ", ".join(services["data"]))
    service = wanted or services["data"][0]
    status, ops = get(f"{console}/api/services/{urllib.parse.quote(service)}/operations")
    require(status == 200 and all(isinstance(o, str) for o in ops["data"]) and ops["data"], f"/api/services/{service}/operations lists names")
    print(f"ok /api/services/{service}/operations:", ", ".join(ops["data"][:5]))

    status, found = get(f"{console}/api/traces?" + urllib.parse.urlencode({"service": service, "limit": 50, "lookback": "1h"}))
    require(status == 200 and found["data"], f"/api/traces?service={service} finds traces")
    for t in found["data"]:
        check_trace(t)
    print(f"ok /api/traces?service={service}: {len(found['data'])} traces in Jaeger's model")

    candidates = [t for t in found["data"] if len(t["processes"]) > 1] or found["data"]
    chosen = max(candidates, key=lambda t: max(s["startTime"] + s["duration"] for s in t["spans"]) - min(s["startTime"] for s in t["spans"]))
    trace_id = chosen["traceID"]
    status, one = get(f"{console}/api/traces/{trace_id}")
    require(status == 200 and len(one["data"]) == 1, f"/api/traces/{trace_id} answers one trace")
    trace = one["data"][0]
    check_trace(trace)
    ours = depth_first(trace)
    theirs = labctl_waterfall(labctl, store, trace_id)
    require(len(ours) == len(theirs), f"same span count: Jaeger API {len(ours)}, labctl traces {len(theirs)}")
    for (span, depth), (t_depth, t_name, t_service, t_duration) in zip(ours, theirs):
        service_name = trace["processes"][span["processID"]]["serviceName"]
        require(depth == t_depth, f"{span['operationName']}: depth {depth} (parent links) vs labctl {t_depth}")
        require(service_name.startswith(t_service.rstrip("…")), f"{span['operationName']}: service {service_name} vs labctl {t_service}")
        require(span["operationName"].startswith(t_name.rstrip("…")), f"name {span['operationName']} vs labctl {t_name}")
        shown = micros(t_duration)
        require(abs(span["duration"] - shown) <= max(1.0, shown * 0.001) + 50, f"{span['operationName']}: duration {span['duration']} µs vs labctl {t_duration}")
    print(f"ok /api/traces/{trace_id}: {len(ours)} spans, {len(trace['processes'])} services; parents, services, names and durations match `labctl traces --trace`")

    status, missing = get(f"{console}/api/traces/{'ab' * 16}")
    require(status == 404 and missing["data"] is None and missing["errors"][0]["code"] == 404, "an unknown trace id is a 404 with Jaeger's error envelope")
    status, bad = get(f"{console}/api/traces?service={urllib.parse.quote(service)}&minDuration=fast")
    require(status == 400 and "minDuration" in bad["errors"][0]["msg"], "a malformed minDuration is a 400 naming the parameter")
    print("ok bad input: 404 for an unknown trace id, 400 naming minDuration:", bad["errors"][0]["msg"])


if __name__ == "__main__":
    main()
