import Foundation
import Telemetry

/// A trace search as the console and Jaeger's query API ask it.
///
/// Span conditions follow Jaeger's rule: a trace matches when *one* of its spans has the service,
/// the operation, every tag, a duration within [min, max], a start within [start, end] and (when
/// `errorsOnly`) an error status. With no span condition at all, traces are picked by start time.
public struct TraceSearch: Sendable, Equatable {
    public enum Order: String, Sendable { case newest, longest }

    public var service: String?
    public var operation: String?
    /// Every tag must match one span's attribute (or a derived tag: `error`, `span.kind`).
    public var tags: [String: String]
    public var minDurationNanos: UInt64?
    public var maxDurationNanos: UInt64?
    /// Span (or, without span conditions, trace) start at or after this time (Unix nanoseconds).
    public var startNanos: UInt64?
    /// Span (or trace) start at or before this time (Unix nanoseconds).
    public var endNanos: UInt64?
    public var errorsOnly: Bool
    /// Only traces of this lab (see `TraceQuery.namespace(_:namesLab:)`).
    public var lab: String?
    public var limit: Int
    public var order: Order

    public init(
        service: String? = nil, operation: String? = nil, tags: [String: String] = [:], minDurationNanos: UInt64? = nil,
        maxDurationNanos: UInt64? = nil, startNanos: UInt64? = nil, endNanos: UInt64? = nil, errorsOnly: Bool = false,
        lab: String? = nil, limit: Int = 20, order: Order = .newest
    ) {
        self.service = service
        self.operation = operation
        self.tags = tags
        self.minDurationNanos = minDurationNanos
        self.maxDurationNanos = maxDurationNanos
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.errorsOnly = errorsOnly
        self.lab = lab
        self.limit = limit
        self.order = order
    }

    var hasSpanConditions: Bool {
        service != nil || operation != nil || !tags.isEmpty || minDurationNanos != nil || maxDurationNanos != nil || errorsOnly
    }

    func matches(_ d: SpanDigest) -> Bool {
        if let service, d.service != service { return false }
        if let operation, d.operation != operation { return false }
        if let minDurationNanos, d.durationNanos < minDurationNanos { return false }
        if let maxDurationNanos, d.durationNanos > maxDurationNanos { return false }
        if let startNanos, d.startNanos < startNanos { return false }
        if let endNanos, d.startNanos > endNanos { return false }
        if errorsOnly, !d.isError { return false }
        for (key, value) in tags where d.tag(key) != value { return false }
        return true
    }

    func matches(_ summary: TraceSummary, _ digests: [SpanDigest]) -> Bool {
        if let lab, !summary.namespaces.contains(where: { TraceQuery.namespace($0, namesLab: lab) }) { return false }
        guard hasSpanConditions else {
            if let startNanos, summary.startNanos < startNanos { return false }
            if let endNanos, summary.startNanos > endNanos { return false }
            return true
        }
        // What the summary already rules out, before looking at any span: no span of the service,
        // no error, nothing as long as asked (no span outlasts its trace), no span in the time range.
        if let service, !summary.services.contains(service) { return false }
        if errorsOnly || tags["error"] == "true", summary.errorCount == 0 { return false }
        if let minDurationNanos, summary.durationNanos < minDurationNanos { return false }
        if let startNanos, summary.endNanos < startNanos { return false }
        if let endNanos, summary.startNanos > endNanos { return false }
        return digests.contains(where: matches)
    }
}

/// A service-to-service edge: spans of `child` whose parent span belongs to `parent`.
public struct ServiceDependency: Sendable, Equatable {
    public var parent: String
    public var child: String
    public var callCount: Int
}

extension TraceStore {
    /// The index as it is now: each trace's summary and span digests (copy-on-write arrays: cheap to
    /// take, and the lock is not held while a search runs).
    func indexedTraces() -> [(summary: TraceSummary, digests: [SpanDigest])] {
        state.withLock { state in state.index.values.map { ($0.builder.summary, $0.builder.digests) } }
    }

    /// Summaries of the traces that match, newest (or longest) first, at most `search.limit`.
    public func search(_ search: TraceSearch) -> [TraceSummary] {
        let found = indexedTraces().filter { search.matches($0.summary, $0.digests) }.map(\.summary)
        let sorted: [TraceSummary]
        switch search.order {
        case .newest:
            sorted = found.sorted { ($0.startNanos, $0.traceID.high, $0.traceID.low) > ($1.startNanos, $1.traceID.high, $1.traceID.low) }
        case .longest: sorted = found.sorted { ($0.durationNanos, $0.startNanos) > ($1.durationNanos, $1.startNanos) }
        }
        return Array(sorted.prefix(max(0, search.limit)))
    }

    /// Every `service.name` with spans in the store (of one lab, if given), sorted.
    public func services(lab: String? = nil) -> [String] {
        var names = Set<String>()
        for (summary, _) in indexedTraces()
        where lab.map({ l in summary.namespaces.contains { TraceQuery.namespace($0, namesLab: l) } }) ?? true {
            names.formUnion(summary.services)
        }
        return names.sorted()
    }

    /// The operations (span names) of a service with the span kinds they were seen with, sorted by name.
    public func operations(service: String) -> [(name: String, kind: Int32)] {
        var seen = Set<String>()
        var out: [(name: String, kind: Int32)] = []
        for (summary, digests) in indexedTraces() where summary.services.contains(service) {
            for d in digests where d.service == service && seen.insert("\(d.kind)/\(d.operation)").inserted {
                out.append((d.operation, d.kind))
            }
        }
        return out.sorted { ($0.name, $0.kind) < ($1.name, $1.kind) }
    }

    /// Calls between services in traces that started in [start, end] (Unix nanoseconds): for every
    /// span whose parent is from another service, one call from the parent's service to its own.
    public func dependencies(startNanos: UInt64? = nil, endNanos: UInt64? = nil) -> [ServiceDependency] {
        var counts: [String: ServiceDependency] = [:]
        for (summary, digests) in indexedTraces() {
            if let startNanos, summary.startNanos < startNanos { continue }
            if let endNanos, summary.startNanos > endNanos { continue }
            var serviceOf: [UInt64: String] = [:]
            for d in digests { serviceOf[d.spanID] = d.service }
            for d in digests where d.parentSpanID != 0 {
                guard let parent = serviceOf[d.parentSpanID], parent != d.service else { continue }
                counts["\(parent)\u{0}\(d.service)", default: ServiceDependency(parent: parent, child: d.service, callCount: 0)]
                    .callCount += 1
            }
        }
        return counts.values.sorted { ($0.parent, $0.child) < ($1.parent, $1.child) }
    }
}
