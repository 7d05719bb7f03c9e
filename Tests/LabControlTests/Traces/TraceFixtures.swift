import Foundation
import Telemetry
import XCTest

@testable import LabControl

/// Builders for spans with exact, readable timings (milliseconds after a fixed instant).
enum TraceFixtures {
    /// 2026-11-21 05:00:00 UTC in Unix nanoseconds.
    static let epoch: UInt64 = 1_795_237_200_000_000_000

    static func ms(_ m: Double) -> UInt64 { epoch + UInt64(m * 1_000_000) }

    static func traceID(_ n: UInt64) -> TraceID { TraceID(high: 0xABCD_0000_0000_0000, low: n) }
    static func spanID(_ n: UInt64) -> SpanID { SpanID(0x5100_0000_0000_0000 + n) }

    static func resource(_ service: String, namespace: String? = nil) -> OTLP.Resource {
        var attributes = [OTLP.KeyValue("service.name", .string(service))]
        if let namespace { attributes.append(OTLP.KeyValue("service.namespace", .string(namespace))) }
        return OTLP.Resource(attributes: attributes)
    }

    /// A span of `service` from `start` to `end` milliseconds.
    static func span(
        trace: UInt64, id: UInt64, parent: UInt64? = nil, name: String, service: String, start: Double, end: Double,
        error: Bool = false, attributes: [OTLP.KeyValue] = [], namespace: String? = nil
    ) -> TraceSpan {
        TraceSpan(
            span: OTLP.Span(
                traceID: traceID(trace).bytes, spanID: spanID(id).bytes, parentSpanID: parent.map { spanID($0).bytes } ?? [],
                name: name, kind: parent == nil ? 2 : 1, startTimeUnixNano: ms(start), endTimeUnixNano: ms(end),
                attributes: attributes, status: OTLP.Status(message: error ? "boom" : "", code: error ? 2 : 0)
            ),
            resource: resource(service, namespace: namespace),
            scope: OTLP.InstrumentationScope(name: "fixtures")
        )
    }

    /// A request holding the given spans, grouped by resource as an SDK would send them.
    static func request(_ spans: [TraceSpan]) -> OTLP.ExportTraceServiceRequest {
        OTLP.ExportTraceServiceRequest(spans: spans)
    }

    /// A small checkout trace: frontend → (inventory ‖ payments), the inventory DB query slow.
    ///
    ///     0 ms                                                   100 ms
    ///     frontend  GET /checkout   [0 ─────────────────────────── 100]
    ///     frontend    GET /inventory    [10 ──────────────────── 90]
    ///     inventory     SELECT items       [12 ────────────────── 88]
    ///     frontend    POST /pay              [30 ──── 50]          (in parallel with the inventory call)
    ///
    /// Self-time: GET /checkout 100 − |[10,90] ∪ [30,50]| = 20, GET /inventory 80 − 76 = 4,
    /// SELECT 76, POST /pay 20 → frontend 44 ms, inventory 76 ms: inventory is the culprit although
    /// frontend's root span is the longest.
    static func checkout(trace: UInt64 = 1, offset: Double = 0, namespace: String? = nil) -> [TraceSpan] {
        [
            span(
                trace: trace, id: 1, name: "GET /checkout", service: "frontend", start: offset, end: offset + 100,
                attributes: [
                    OTLP.KeyValue("http.request.method", .string("GET")), OTLP.KeyValue("http.route", .string("/checkout")),
                    OTLP.KeyValue("http.response.status_code", .int(200)),
                ], namespace: namespace),
            span(
                trace: trace, id: 2, parent: 1, name: "GET /inventory", service: "frontend", start: offset + 10, end: offset + 90,
                namespace: namespace),
            span(
                trace: trace, id: 3, parent: 2, name: "SELECT items", service: "inventory", start: offset + 12, end: offset + 88,
                error: true, attributes: [OTLP.KeyValue("db.system", .string("postgresql"))], namespace: namespace),
            span(
                trace: trace, id: 4, parent: 1, name: "POST /pay", service: "frontend", start: offset + 30, end: offset + 50,
                namespace: namespace),
        ]
    }
}
