import Metrics

/// The coordinator's counters (all born at 0, no per-key labels):
/// `quorum_reads_total`, `quorum_stale_reads_total` (a read that answered a version older than the
/// newest acknowledged when it began), `quorum_writes_total` (acknowledged),
/// `quorum_failures_total{operation}` (fewer than R or W replicas answered: a 503),
/// `quorum_read_repairs_total` (replicas a read found behind and repaired),
/// `quorum_replica_calls_total{operation, result}` (the replica work a quorum costs),
/// `quorum_propagations_total{result}` (the asynchronous copies beyond the write quorum);
/// gauges `quorum_replicas` (N), `quorum_read_size` (R), `quorum_write_size` (W).
final class QuorumMetrics: Sendable {
    let reads = Counter(label: "quorum_reads_total")
    let staleReads = Counter(label: "quorum_stale_reads_total")
    let writes = Counter(label: "quorum_writes_total")
    let readRepairs = Counter(label: "quorum_read_repairs_total")
    private let failures: [String: Counter]
    private let calls: [String: Counter]
    private let propagations: [Bool: Counter]

    init(n: Int, r: Int, w: Int) {
        var failures: [String: Counter] = [:]
        var calls: [String: Counter] = [:]
        for operation in ["read", "write"] {
            failures[operation] = Counter(label: "quorum_failures_total", dimensions: [("operation", operation)])
            for result in ["ok", "failed"] {
                calls["\(operation) \(result)"] = Counter(
                    label: "quorum_replica_calls_total", dimensions: [("operation", operation), ("result", result)])
            }
        }
        propagations = [
            true: Counter(label: "quorum_propagations_total", dimensions: [("result", "ok")]),
            false: Counter(label: "quorum_propagations_total", dimensions: [("result", "failed")]),
        ]
        self.failures = failures
        self.calls = calls
        for counter in [reads, staleReads, writes, readRepairs] + Array(failures.values) + Array(calls.values)
            + Array(propagations.values)
        {
            counter.increment(by: 0)
        }
        Gauge(label: "quorum_replicas").record(n)
        Gauge(label: "quorum_read_size").record(r)
        Gauge(label: "quorum_write_size").record(w)
    }

    func read(stale: Bool) {
        reads.increment()
        if stale { staleReads.increment() }
    }

    func quorumFailed(_ operation: String) { failures[operation]?.increment() }
    func replicaCall(_ operation: String, ok: Bool) { calls["\(operation) \(ok ? "ok" : "failed")"]?.increment() }
    func propagated(ok: Bool) { propagations[ok]?.increment() }
}
