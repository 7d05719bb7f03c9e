import Telemetry

/// What a search needs to know about one stored span, kept in memory by the trace store's index:
/// who (service, operation), when and how long, whether it failed, its attributes as text, and its
/// ids (for service-to-service dependencies). The full span stays on disk.
public struct SpanDigest: Sendable, Equatable {
    public var spanID: UInt64
    /// 0 for a root span.
    public var parentSpanID: UInt64
    public var service: String
    /// The span's name: Jaeger's "operation".
    public var operation: String
    /// OTLP span kind (2 server, 3 client, …).
    public var kind: Int32
    public var startNanos: UInt64
    public var durationNanos: UInt64
    public var isError: Bool
    /// Span attributes rendered as text (`http.route` → `/quote/{id}`), as tag searches compare them.
    public var attributes: [(key: String, value: String)]

    public init(_ span: TraceSpan) {
        spanID = span.spanID?.value ?? 0
        parentSpanID = span.parentSpanID?.value ?? 0
        service = span.serviceName
        operation = span.span.name
        kind = span.span.kind
        startNanos = span.startNanos
        durationNanos = span.durationNanos
        isError = span.isError
        attributes = span.span.attributes.map { (key: $0.key, value: $0.value.displayText) }
    }

    /// The value a tag search compares against: a span attribute, or one of the tags Jaeger derives
    /// from the span itself (`error`, `span.kind`, `otel.status_code`).
    public func tag(_ key: String) -> String? {
        switch key {
        case "error": return isError ? "true" : nil
        case "span.kind": return Self.kindName(kind)
        case "otel.status_code": return isError ? "ERROR" : nil
        default: return attributes.first { $0.key == key }?.value
        }
    }

    /// The OpenTelemetry name of an OTLP span kind, as Jaeger tags it (nil for unspecified).
    public static func kindName(_ kind: Int32) -> String? {
        switch kind {
        case 1: "internal"
        case 2: "server"
        case 3: "client"
        case 4: "producer"
        case 5: "consumer"
        default: nil
        }
    }

    public static func == (a: SpanDigest, b: SpanDigest) -> Bool {
        a.spanID == b.spanID && a.parentSpanID == b.parentSpanID && a.service == b.service && a.operation == b.operation
            && a.kind == b.kind && a.startNanos == b.startNanos && a.durationNanos == b.durationNanos && a.isError == b.isError
            && a.attributes.map(\.key) == b.attributes.map(\.key) && a.attributes.map(\.value) == b.attributes.map(\.value)
    }
}
