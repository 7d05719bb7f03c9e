import LabKit
import Telemetry

/// Stored traces in Jaeger's JSON model — what Jaeger's query service answers on `/api/traces`, and
/// so what the Jaeger UI and Grafana's Jaeger data source read:
///
/// ```json
/// {"traceID": "4bf9…", "processes": {"p1": {"serviceName": "client", "tags": [...]}},
///  "spans": [{"traceID": "4bf9…", "spanID": "00f0…", "operationName": "GET /quote/{id}",
///             "references": [{"refType": "CHILD_OF", "traceID": "4bf9…", "spanID": "a1b2…"}],
///             "startTime": 1733130000123456, "duration": 302114, "flags": 1, "processID": "p1",
///             "tags": [{"key": "http.route", "type": "string", "value": "/quote/{id}"}],
///             "logs": [{"timestamp": 1733130000200000, "fields": [{"key": "event", "type": "string", "value": "retry"}]}],
///             "warnings": null}],
///  "warnings": null}
/// ```
/// Times are microseconds. OpenTelemetry's span kind, status, scope and links become the tags and
/// references Jaeger's own OTLP receiver would make of them (`span.kind`, `error`, `otel.status_code`,
/// `otel.scope.name`, FOLLOWS_FROM).
public enum JaegerTraceEncoder {
    public static func encode(_ trace: Trace) -> JSONValue {
        // One process per distinct resource, numbered in order of first appearance (p1, p2, …).
        var processIDs: [(resource: OTLP.Resource, id: String)] = []
        var processes: [String: JSONValue] = [:]
        var spans: [JSONValue] = []
        let present = Set(trace.spans.compactMap(\.spanID))
        for s in trace.spans {
            let processID: String
            if let known = processIDs.first(where: { $0.resource == s.resource }) {
                processID = known.id
            } else {
                processID = "p\(processIDs.count + 1)"
                processIDs.append((s.resource, processID))
                let tags = s.resource.attributes.filter { $0.key != "service.name" }.map(tag)
                processes[processID] = .object(["serviceName": .string(s.serviceName), "tags": .array(tags)])
            }
            spans.append(
                encode(s, traceID: trace.traceID, processID: processID, parentPresent: s.parentSpanID.map(present.contains) ?? false))
        }
        return .object([
            "traceID": .string(trace.traceID.hex), "spans": .array(spans), "processes": .object(processes), "warnings": .null,
        ])
    }

    static func encode(_ s: TraceSpan, traceID: TraceID, processID: String, parentPresent: Bool) -> JSONValue {
        var references: [JSONValue] = []
        if let parent = s.parentSpanID {
            references.append(.object(["refType": "CHILD_OF", "traceID": .string(traceID.hex), "spanID": .string(parent.hex)]))
        }
        for link in s.span.links {
            guard let linkTrace = TraceID(bytes: link.traceID), let linkSpan = SpanID(bytes: link.spanID) else { continue }
            references.append(.object(["refType": "FOLLOWS_FROM", "traceID": .string(linkTrace.hex), "spanID": .string(linkSpan.hex)]))
        }
        var tags = s.span.attributes.map(tag)
        if let kind = spanKindName(s.span.kind) { tags.append(stringTag("span.kind", kind)) }
        switch s.span.status.code {
        case 2:
            tags.append(.object(["key": "error", "type": "bool", "value": true]))
            tags.append(stringTag("otel.status_code", "ERROR"))
            if !s.span.status.message.isEmpty { tags.append(stringTag("otel.status_description", s.span.status.message)) }
        case 1: tags.append(stringTag("otel.status_code", "OK"))
        default: break
        }
        if !s.scope.name.isEmpty { tags.append(stringTag("otel.scope.name", s.scope.name)) }
        if !s.scope.version.isEmpty { tags.append(stringTag("otel.scope.version", s.scope.version)) }
        let logs: [JSONValue] = s.span.events.map { event in
            .object([
                "timestamp": .number(Double(event.timeUnixNano / 1000)),
                "fields": .array([stringTag("event", event.name)] + event.attributes.map(tag)),
            ])
        }
        var warnings: JSONValue = .null
        if s.parentSpanID != nil, !parentPresent {
            warnings = .array([.string("invalid parent span IDs=\(HexBytes.encode(s.span.parentSpanID)); skipping clock skew adjustment")])
        }
        return .object([
            "traceID": .string(traceID.hex),
            "spanID": .string(s.spanID?.hex ?? HexBytes.encode(s.span.spanID)),
            "operationName": .string(s.span.name),
            "references": .array(references),
            "startTime": .number(Double(s.startNanos / 1000)),
            "duration": .number(Double(s.durationNanos / 1000)),
            "flags": .number(Double(s.span.flags & 0xFF == 0 ? 1 : s.span.flags & 0xFF)),
            "tags": .array(tags),
            "logs": .array(logs),
            "processID": .string(processID),
            "warnings": warnings,
        ])
    }

    /// Jaeger's name for an OTLP span kind (nil for unspecified).
    public static func spanKindName(_ kind: Int32) -> String? { SpanDigest.kindName(kind) }

    static func stringTag(_ key: String, _ value: String) -> JSONValue {
        .object(["key": .string(key), "type": "string", "value": .string(value)])
    }

    /// An OTLP attribute as a Jaeger tag: string, bool, int64, float64 or binary; arrays and maps as JSON text.
    static func tag(_ kv: OTLP.KeyValue) -> JSONValue {
        switch kv.value {
        case .string(let s): stringTag(kv.key, s)
        case .bool(let b): .object(["key": .string(kv.key), "type": "bool", "value": .bool(b)])
        case .int(let i): .object(["key": .string(kv.key), "type": "int64", "value": .number(Double(i))])
        case .double(let d): .object(["key": .string(kv.key), "type": "float64", "value": .number(d)])
        case .bytes(let b): .object(["key": .string(kv.key), "type": "binary", "value": .string(HexBytes.encode(b))])
        case .array, .kvlist, .empty: stringTag(kv.key, kv.value.displayText)
        }
    }
}
