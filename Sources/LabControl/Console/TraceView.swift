import LabKit
import Telemetry

/// One trace as the console's waterfall draws it: spans in display order (depth-first, children by
/// start, as `labctl traces --trace` prints them) with depth, offset, duration and self-time, each
/// span's attributes, events, links and status; then self-time by service and the culprit, computed
/// by the same `SelfTime` code as the terminal waterfall.
enum TraceView {
    static func json(_ trace: Trace) -> JSONValue {
        let summary = trace.summary
        let tree = trace.tree
        let selfTimes = SelfTime.perSpan(tree)
        let breakdown = SelfTime.byService([trace])
        let culprit = breakdown.culprit
        var spans: [JSONValue] = []
        for ((entry, depth), (_, selfNanos)) in zip(tree.flattened, selfTimes) {
            let s = entry.span
            spans.append(
                .object([
                    "spanID": .string(s.spanID?.hex ?? HexBytes.encode(s.span.spanID)),
                    "parentSpanID": s.parentSpanID.map { .string($0.hex) } ?? .null,
                    "name": .string(s.span.name),
                    "service": .string(s.serviceName),
                    "lab": s.serviceNamespace.map(JSONValue.string) ?? .null,
                    "kind": .string(JaegerTraceEncoder.spanKindName(s.span.kind) ?? "unspecified"),
                    "depth": .number(Double(depth)),
                    "orphan": .bool(entry.isOrphan),
                    "start": .number(Double(s.startNanos) / 1e9),
                    "offsetMs": .number(Double(s.startNanos - summary.startNanos) / 1e6),
                    "durationMs": .number(Double(s.durationNanos) / 1e6),
                    "selfMs": .number(Double(selfNanos) / 1e6),
                    "status": .string(s.span.status.code == 2 ? "ERROR" : s.span.status.code == 1 ? "OK" : "UNSET"),
                    "statusMessage": .string(s.span.status.message),
                    "attributes": .array(s.span.attributes.map { .array([.string($0.key), .string($0.value.displayText)]) }),
                    "resource": .array(s.resource.attributes.map { .array([.string($0.key), .string($0.value.displayText)]) }),
                    "events": .array(
                        s.span.events.map { event in
                            .object([
                                "name": .string(event.name),
                                "offsetMs": .number(Double(Int64(bitPattern: event.timeUnixNano &- summary.startNanos)) / 1e6),
                                "attributes": .array(event.attributes.map { .array([.string($0.key), .string($0.value.displayText)]) }),
                            ])
                        }),
                    "links": .array(
                        s.span.links.map { link in
                            .object(["traceID": .string(HexBytes.encode(link.traceID)), "spanID": .string(HexBytes.encode(link.spanID))])
                        }),
                    "culprit": .bool(culprit?.service == s.serviceName),
                ]))
        }
        return .object([
            "traceID": .string(trace.traceID.hex),
            "root": .string(summary.rootName),
            "rootService": .string(summary.rootService),
            "start": .number(Double(summary.startNanos) / 1e9),
            "durationMs": .number(Double(summary.durationNanos) / 1e6),
            "spanCount": .number(Double(summary.spanCount)),
            "errorCount": .number(Double(summary.errorCount)),
            "services": .array(summary.services.map(JSONValue.string)),
            "labs": .array(summary.namespaces.map(JSONValue.string)),
            "spans": .array(spans),
            "selfTime": .array(
                breakdown.rows.map { row in
                    .object([
                        "service": .string(row.service), "selfMs": .number(Double(row.selfNanos) / 1e6),
                        "share": .number(breakdown.share(of: row)), "spans": .number(Double(row.spanCount)),
                    ])
                }),
            "culprit": culprit.map {
                .object([
                    "service": .string($0.service), "share": .number(breakdown.share(of: $0)),
                    "selfMs": .number(Double($0.selfNanos) / 1e6),
                ])
            } ?? .null,
        ])
    }
}
