import Tracing

/// A span as `end()` hands it to the span processors: what the batch queue holds and the exporter
/// encodes.
///
/// It keeps the values the way the facade gave them — ids as integers, attributes in the facade's
/// `SpanAttributes` — rather than in the OTLP model. `end()` runs on the caller's thread for every
/// sampled span, and building an `OTLP.Span` there cost seven allocations (two id arrays, the
/// attribute array, one box per attribute value) and their frees on the exporter's thread. The
/// exporter writes protobuf straight from this (`FinishedSpan+Protobuf.swift`); `otlp` builds the
/// model for tests and in-process consumers, and both describe the same OTLP span.
///
/// Limits (`SpanLimits`) are already applied: what was over them is gone and counted in the
/// `dropped*Count` fields. Events and links are rare, so they are converted to OTLP at `end()`.
public struct FinishedSpan: Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    /// The W3C `tracestate` the span carries (inherited from its parent).
    public var traceState: String
    public var parentSpanID: SpanID?
    /// OTLP span flags: W3C trace flags in bits 0-7, bits 8-9 say whether the parent was remote.
    public var flags: UInt32
    public var name: String
    public var kind: SpanKind
    public var startNanoseconds: UInt64
    public var endNanoseconds: UInt64
    public var attributes: SpanAttributes
    /// A server span's HTTP attributes in compact form (see `HTTPServerAttributes`); when set,
    /// `attributes` holds none of the same keys. `allAttributes` is both together.
    public var httpServer: HTTPServerAttributes?
    public var droppedAttributesCount: UInt32
    public var events: [OTLP.Event]
    public var droppedEventsCount: UInt32
    public var links: [OTLP.Link]
    public var droppedLinksCount: UInt32
    public var status: OTLP.Status

    public init(
        traceID: TraceID, spanID: SpanID, traceState: String = "", parentSpanID: SpanID? = nil, flags: UInt32 = 0x01,
        name: String, kind: SpanKind = .internal, startNanoseconds: UInt64 = 0, endNanoseconds: UInt64 = 0,
        attributes: SpanAttributes = [:], httpServer: HTTPServerAttributes? = nil, droppedAttributesCount: UInt32 = 0,
        events: [OTLP.Event] = [], droppedEventsCount: UInt32 = 0,
        links: [OTLP.Link] = [], droppedLinksCount: UInt32 = 0,
        status: OTLP.Status = OTLP.Status()
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.parentSpanID = parentSpanID
        self.flags = flags
        self.name = name
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.attributes = attributes
        self.httpServer = httpServer
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
    }
}
