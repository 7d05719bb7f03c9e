import Telemetry

/// All the spans the store holds for one trace id, ordered by start time.
public struct Trace: Sendable, Equatable {
    public let traceID: TraceID
    public let spans: [TraceSpan]

    public init(traceID: TraceID, spans: [TraceSpan]) {
        self.traceID = traceID
        self.spans = spans.sorted { ($0.startNanos, $0.endNanos) < ($1.startNanos, $1.endNanos) }
    }

    public var summary: TraceSummary { TraceSummary(traceID: traceID, spans: spans) }
    public var tree: TraceTree { TraceTree(spans: spans) }
}

/// What a table row shows about a trace, and what the store's queries sort and filter on.
public struct TraceSummary: Sendable, Equatable {
    public var traceID: TraceID
    public var startNanos: UInt64
    public var endNanos: UInt64
    /// The root span's route: `GET /checkout` when it carries `http.route`, else its name.
    public var rootName: String
    public var rootService: String
    public var spanCount: Int
    public var errorCount: Int
    /// Distinct `service.name`s, sorted.
    public var services: [String]
    /// Distinct `service.namespace` resource attributes, sorted: the native runtime sets it to the lab's id.
    public var namespaces: [String]

    public var durationNanos: UInt64 { endNanos - startNanos }

    public init(traceID: TraceID, spans: [TraceSpan]) {
        var builder = Builder(traceID: traceID)
        for s in spans { builder.add(s) }
        self = builder.summary
    }

    fileprivate init(traceID: TraceID) {
        self.traceID = traceID
        (startNanos, endNanos, spanCount, errorCount) = (0, 0, 0, 0)
        (rootName, rootService, services, namespaces) = ("", "", [], [])
    }

    /// Folds spans into a summary one at a time, so the store can keep summaries current as batches
    /// arrive without holding the spans.
    struct Builder: Sendable {
        private(set) var summary: TraceSummary
        /// One small record per span, kept in memory so searches need not read spans back from disk.
        private(set) var digests: [SpanDigest] = []
        /// The root is the earliest parentless span (ties: the longest); if every span names a parent
        /// (the root was lost), the earliest span. Smaller key wins.
        private var rootKey: (hasParent: Bool, start: UInt64, negativeDuration: Int64)?

        init(traceID: TraceID) { summary = TraceSummary(traceID: traceID) }

        mutating func add(_ s: TraceSpan) {
            if summary.spanCount == 0 {
                summary.startNanos = s.startNanos
                summary.endNanos = s.endNanos
            } else {
                summary.startNanos = min(summary.startNanos, s.startNanos)
                summary.endNanos = max(summary.endNanos, s.endNanos)
            }
            summary.spanCount += 1
            digests.append(SpanDigest(s))
            if s.isError { summary.errorCount += 1 }
            insertSorted(s.serviceName, into: &summary.services)
            if let ns = s.serviceNamespace { insertSorted(ns, into: &summary.namespaces) }
            let key = (hasParent: !s.span.parentSpanID.isEmpty, start: s.startNanos, negativeDuration: -Int64(clamping: s.durationNanos))
            if rootKey.map({ Builder.less(key, $0) }) ?? true {
                rootKey = key
                summary.rootName = TraceSummary.route(of: s)
                summary.rootService = s.serviceName
            }
        }

        private static func less(
            _ a: (hasParent: Bool, start: UInt64, negativeDuration: Int64), _ b: (hasParent: Bool, start: UInt64, negativeDuration: Int64)
        ) -> Bool {
            if a.hasParent != b.hasParent { return !a.hasParent }
            return (a.start, a.negativeDuration) < (b.start, b.negativeDuration)
        }

        private func insertSorted(_ value: String, into list: inout [String]) {
            let i = list.firstIndex { $0 >= value } ?? list.endIndex
            if i == list.endIndex || list[i] != value { list.insert(value, at: i) }
        }
    }

    /// `METHOD /route` from the HTTP semantic conventions (new and old attribute names), else the span name.
    static func route(of span: TraceSpan) -> String {
        guard let route = span.attribute("http.route") else { return span.span.name }
        let method = span.attribute("http.request.method") ?? span.attribute("http.method")
        return method.map { "\($0) \(route)" } ?? route
    }
}
