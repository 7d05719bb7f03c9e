import Telemetry

/// A trace's spans arranged parent → children.
///
/// Spans whose parent never arrived (dropped, still in flight, or from a service that does not
/// export) are *orphans*: they are shown at the root, marked, rather than hidden.
public struct TraceTree: Sendable {
    public struct Node: Sendable {
        public var span: TraceSpan
        /// Children ordered by start time.
        public var children: [Node]
        /// True for a span that names a parent the trace does not contain.
        public var isOrphan: Bool
    }

    public let roots: [Node]

    public init(spans: [TraceSpan]) {
        let ordered = spans.sorted { ($0.startNanos, $0.endNanos) < ($1.startNanos, $1.endNanos) }
        let present = Set(ordered.compactMap(\.spanID))
        var childrenOf: [SpanID: [Int]] = [:]
        var rootIndices: [Int] = []
        for (i, s) in ordered.enumerated() {
            if let parent = s.parentSpanID, present.contains(parent), parent != s.spanID {
                childrenOf[parent, default: []].append(i)
            } else {
                rootIndices.append(i)
            }
        }
        // Build depth-first; `visited` guards against parent cycles sent by a buggy client.
        var visited = Set<Int>()
        func build(_ i: Int) -> Node {
            visited.insert(i)
            let s = ordered[i]
            let kids = (s.spanID.flatMap { childrenOf[$0] } ?? []).filter { !visited.contains($0) }.map(build)
            let orphan = !s.span.parentSpanID.isEmpty && !(s.parentSpanID.map(present.contains) ?? false)
            return Node(span: s, children: kids, isOrphan: orphan)
        }
        var roots = rootIndices.map(build)
        // Spans caught in a cycle were reached from no root: show them at the root too.
        for i in ordered.indices where !visited.contains(i) {
            var node = build(i)
            node.isOrphan = true
            roots.append(node)
        }
        self.roots = roots.sorted { $0.span.startNanos < $1.span.startNanos }
    }

    /// Every node in display order (depth-first, children by start), with its depth.
    public var flattened: [(node: Node, depth: Int)] {
        var out: [(node: Node, depth: Int)] = []
        func walk(_ n: Node, _ depth: Int) {
            out.append((n, depth))
            for c in n.children { walk(c, depth + 1) }
        }
        for r in roots { walk(r, 0) }
        return out
    }
}
