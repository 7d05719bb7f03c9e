import Foundation

@testable import Telemetry

/// Requests with every OTLP trace field set, shared by the round-trip and cross-implementation tests.
enum OTLPFixtures {
    static let traceID: [UInt8] = Array(0x01...0x10)
    static let spanID: [UInt8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8]
    static let parentID: [UInt8] = [0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8]

    /// One attribute of every AnyValue kind, including defaults that must survive (0, "", false).
    static let everyKindOfAttribute: [OTLP.KeyValue] = [
        .init("str", .string("héllo wörld ✓ 🎉")),
        .init("str.empty", .string("")),
        .init("bool.true", .bool(true)),
        .init("bool.false", .bool(false)),
        .init("int.zero", .int(0)),
        .init("int.min", .int(.min)),
        .init("int.max", .int(.max)),
        .init("double", .double(3.25)),
        .init("double.zero", .double(0)),
        .init("double.negzero", .double(-0.0)),
        .init("double.inf", .double(.infinity)),
        .init("double.neginf", .double(-.infinity)),
        .init("double.nan", .double(.nan)),
        .init("bytes", .bytes([0, 1, 2, 0xFF])),
        .init("bytes.empty", .bytes([])),
        .init("array", .array([.int(1), .string("two"), .bool(false), .double(4.5), .array([]), .empty])),
        .init("kvlist", .kvlist([.init("inner", .int(-7)), .init("nested", .kvlist([.init("deep", .string("x"))]))])),
        .init("empty.value", .empty),
        .init("", .string("empty key")),
    ]

    /// A typical small export: one resource, one span with a few attributes and an event.
    static var smallRequest: OTLP.ExportTraceServiceRequest {
        .init(resourceSpans: [
            .init(
                resource: .init(attributes: [.init("service.name", .string("svc"))]),
                scopeSpans: [
                    .init(
                        scope: .init(name: "s"),
                        spans: [
                            OTLP.Span(
                                traceID: traceID, spanID: spanID, name: "op", kind: 2, startTimeUnixNano: 5, endTimeUnixNano: 9,
                                attributes: [.init("n", .int(-2)), .init("a", .array([.bool(true), .double(1.5)]))],
                                events: [.init(timeUnixNano: 7, name: "e")], status: .init(message: "m", code: 2))
                        ])
                ])
        ])
    }

    static var fullRequest: OTLP.ExportTraceServiceRequest {
        let span = OTLP.Span(
            traceID: traceID, spanID: spanID, traceState: "vendor=abc,other=1", parentSpanID: parentID,
            flags: 0x0000_0301, name: "GET /orders/{id}", kind: OTLP.SpanKind.server.rawValue,
            startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: UInt64.max,
            attributes: everyKindOfAttribute, droppedAttributesCount: 3,
            events: [
                .init(
                    timeUnixNano: 1_700_000_000_200_000_000, name: "exception",
                    attributes: [.init("exception.type", .string("Timeout")), .init("exception.message", .string("took too long"))],
                    droppedAttributesCount: 1),
                .init(),
            ],
            droppedEventsCount: 4,
            links: [
                .init(
                    traceID: Array(repeating: 0x22, count: 16), spanID: Array(repeating: 0x33, count: 8), traceState: "k=v",
                    attributes: [.init("link.reason", .string("batch"))], droppedAttributesCount: 2, flags: 0x101)
            ],
            droppedLinksCount: 5,
            status: .init(message: "deadline exceeded", code: 2)
        )
        let minimal = OTLP.Span(traceID: traceID, spanID: [1, 2, 3, 4, 5, 6, 7, 8], name: "minimal", kind: 1)
        return OTLP.ExportTraceServiceRequest(resourceSpans: [
            .init(
                resource: .init(
                    attributes: [.init("service.name", .string("orders")), .init("service.instance.id", .string("i-1"))],
                    droppedAttributesCount: 6),
                scopeSpans: [
                    .init(
                        scope: .init(
                            name: "dlab.telemetry", version: "1.0.0", attributes: [.init("scope.attr", .int(42))],
                            droppedAttributesCount: 7),
                        spans: [span, minimal], schemaURL: "https://opentelemetry.io/schemas/1.26.0"),
                    .init(),
                ],
                schemaURL: "https://opentelemetry.io/schemas/1.25.0"),
            .init(),
        ])
    }
}
