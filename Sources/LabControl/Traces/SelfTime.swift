/// Where a trace's time went.
///
/// A span's *self-time* is the part of its duration during which none of its children was running:
/// its duration minus the union of its children's intervals, each clipped to the span. Overlapping
/// children (parallel calls) are counted once, and a child that outlives its parent (fire-and-forget)
/// only counts while the parent is open. Summing self-time by service names the service that was
/// actually busy — the culprit — rather than the one at the top of the call chain, whose duration
/// includes everyone else's.
public enum SelfTime {
    /// The self-time of one span given its children's [start, end) intervals.
    public static func of(start: UInt64, end: UInt64, children: [(start: UInt64, end: UInt64)]) -> UInt64 {
        guard end > start else { return 0 }
        // Clip each child to the parent, drop empty ones, then merge the sorted intervals.
        let clipped =
            children
            .map { (max($0.start, start), min($0.end, end)) }
            .filter { $0.0 < $0.1 }
            .sorted { $0.0 < $1.0 }
        var covered: UInt64 = 0
        var current: (UInt64, UInt64)?
        for interval in clipped {
            if let c = current, interval.0 <= c.1 {
                current = (c.0, max(c.1, interval.1))
            } else {
                if let c = current { covered += c.1 - c.0 }
                current = interval
            }
        }
        if let c = current { covered += c.1 - c.0 }
        return (end - start) - covered
    }

    /// Self-time of every span in the tree, in display order.
    public static func perSpan(_ tree: TraceTree) -> [(span: TraceSpan, selfNanos: UInt64)] {
        tree.flattened.map { entry in
            let n = entry.node
            let kids = n.children.map { (start: $0.span.startNanos, end: $0.span.endNanos) }
            return (n.span, of(start: n.span.startNanos, end: n.span.endNanos, children: kids))
        }
    }

    /// Self-time summed by service over one or more traces, largest first.
    public static func byService(_ traces: [Trace]) -> ServiceTimeBreakdown {
        var totals: [String: UInt64] = [:]
        var spanCounts: [String: Int] = [:]
        for trace in traces {
            for (span, selfNanos) in perSpan(trace.tree) {
                totals[span.serviceName, default: 0] += selfNanos
                spanCounts[span.serviceName, default: 0] += 1
            }
        }
        let rows = totals.map { ServiceTimeBreakdown.Row(service: $0.key, selfNanos: $0.value, spanCount: spanCounts[$0.key] ?? 0) }
            .sorted { ($0.selfNanos, $1.service) > ($1.selfNanos, $0.service) }
        return ServiceTimeBreakdown(rows: rows)
    }
}

/// Self-time per service; the first row is the culprit.
public struct ServiceTimeBreakdown: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var service: String
        public var selfNanos: UInt64
        public var spanCount: Int
    }

    /// Largest self-time first (ties by service name).
    public var rows: [Row]

    public var totalNanos: UInt64 { rows.reduce(0) { $0 + $1.selfNanos } }

    /// The service with the most self-time, or nil for an empty breakdown.
    public var culprit: Row? { rows.first.flatMap { $0.selfNanos > 0 ? $0 : nil } }

    public func share(of row: Row) -> Double {
        totalNanos == 0 ? 0 : Double(row.selfNanos) / Double(totalNanos)
    }
}
