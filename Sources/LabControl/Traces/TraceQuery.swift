import Foundation

/// Which traces a store query looks at. Every condition is optional; an empty query matches all.
public struct TraceQuery: Sendable, Equatable {
    /// Traces whose first span started at or after this time (Unix nanoseconds).
    public var startedAtOrAfter: UInt64?
    /// Traces whose first span started before this time (Unix nanoseconds).
    public var startedBefore: UInt64?
    /// Traces with at least one span from this `service.name`.
    public var service: String?
    /// Traces of this lab: at least one span's resource has a `service.namespace` naming it
    /// (see `TraceQuery.namespace(_:namesLab:)`).
    public var namespace: String?

    public init(startedAtOrAfter: UInt64? = nil, startedBefore: UInt64? = nil, service: String? = nil, namespace: String? = nil) {
        self.startedAtOrAfter = startedAtOrAfter
        self.startedBefore = startedBefore
        self.service = service
        self.namespace = namespace
    }

    /// Traces that started in `[from, to)`.
    public init(from: Date, to: Date, service: String? = nil, namespace: String? = nil) {
        self.init(startedAtOrAfter: Self.nanos(from), startedBefore: Self.nanos(to), service: service, namespace: namespace)
    }

    public func matches(_ s: TraceSummary) -> Bool {
        if let t = startedAtOrAfter, s.startNanos < t { return false }
        if let t = startedBefore, s.startNanos >= t { return false }
        if let service, !s.services.contains(service) { return false }
        if let namespace, !s.namespaces.contains(where: { Self.namespace($0, namesLab: namespace) }) { return false }
        return true
    }

    /// The native runtime sets `service.namespace` to the lab's id, e.g. `week07-circuit-breakers`.
    /// A learner may name the lab `7`, `week07`, `circuit-breakers` or the full id; all match.
    public static func namespace(_ namespace: String, namesLab lab: String) -> Bool {
        let ns = namespace.lowercased()
        let lab = lab.lowercased()
        if ns == lab { return true }
        let week: String? = Int(lab).map { $0 < 10 ? "week0\($0)" : "week\($0)" } ?? (lab.hasPrefix("week") ? lab : nil)
        if let week, ns == week || ns.hasPrefix(week + "-") { return true }
        // The slug after `weekNN-` (or `NN-`).
        if let dash = ns.firstIndex(of: "-"), ns[ns.index(after: dash)...] == lab { return true }
        return false
    }

    static func nanos(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        // A date from a query (Date.distantFuture, or a user's year 9999) must not trap the conversion.
        guard seconds > 0 else { return 0 }
        return seconds * 1e9 < Double(UInt64.max) ? UInt64(seconds * 1e9) : .max
    }
}
