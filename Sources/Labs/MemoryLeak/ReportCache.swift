import Synchronization

/// Where rendered reports are remembered. The two shapes a memo cache takes in real code.
protocol ReportCache: Sendable {
    func get(_ key: String) -> [UInt8]?
    func put(_ key: String, _ report: [UInt8])
    var count: Int { get }
    var bytes: Int { get }
}

/// The leak: a dictionary that is only ever added to. Under keys that do not repeat (ids, search
/// terms, timestamps) it grows with every request until the process runs out of memory.
final class UnboundedReportCache: ReportCache {
    private let entries = Mutex<(reports: [String: [UInt8]], bytes: Int)>(([:], 0))

    func get(_ key: String) -> [UInt8]? { entries.withLock { $0.reports[key] } }

    func put(_ key: String, _ report: [UInt8]) {
        entries.withLock { state in
            if state.reports.updateValue(report, forKey: key) == nil { state.bytes += report.count }
        }
    }

    var count: Int { entries.withLock { $0.reports.count } }
    var bytes: Int { entries.withLock { $0.bytes } }
}

/// The fix: at most `capacity` reports; adding one more evicts the least recently used. Memory is
/// bounded by capacity × report size, whatever the keys.
final class LRUReportCache: ReportCache {
    /// A doubly linked list through the dictionary's values, most recent at `head`.
    private struct Node {
        var report: [UInt8]
        var newer: String?
        var older: String?
    }

    private struct State {
        var nodes: [String: Node] = [:]
        var head: String? // most recently used
        var tail: String? // least recently used
        var bytes = 0

        mutating func unlink(_ key: String) {
            guard let node = nodes[key] else { return }
            if let newer = node.newer { nodes[newer]?.older = node.older } else { head = node.older }
            if let older = node.older { nodes[older]?.newer = node.newer } else { tail = node.newer }
        }

        mutating func pushFront(_ key: String) {
            nodes[key]?.newer = nil
            nodes[key]?.older = head
            if let head { nodes[head]?.newer = key }
            head = key
            if tail == nil { tail = key }
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func get(_ key: String) -> [UInt8]? {
        state.withLock { state in
            guard let report = state.nodes[key]?.report else { return nil }
            state.unlink(key)
            state.pushFront(key)
            return report
        }
    }

    func put(_ key: String, _ report: [UInt8]) {
        state.withLock { state in
            if let old = state.nodes[key] {
                state.bytes -= old.report.count
                state.unlink(key)
            }
            state.nodes[key] = Node(report: report)
            state.bytes += report.count
            state.pushFront(key)
            while state.nodes.count > capacity, let oldest = state.tail {
                state.unlink(oldest)
                state.bytes -= state.nodes.removeValue(forKey: oldest)?.report.count ?? 0
            }
        }
    }

    var count: Int { state.withLock { $0.nodes.count } }
    var bytes: Int { state.withLock { $0.bytes } }
}
