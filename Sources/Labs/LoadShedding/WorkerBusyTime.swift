import LabKit

/// Where the workers' time goes: `worker_busy_seconds_total{outcome="useful"}` for requests finished
/// while their client was still waiting, `outcome="wasted"` for requests finished after the client's
/// own timeout (its `x-request-timeout-ms`, which the load generator sends): the answer goes to a
/// closed connection. The worker only observes the deadline here; it does not act on it (week 51 does).
struct WorkerBusyTime: Sendable {
    private let useful = FloatingPointCounter(label: "worker_busy_seconds_total", dimensions: [("outcome", "useful")])
    private let wasted = FloatingPointCounter(label: "worker_busy_seconds_total", dimensions: [("outcome", "wasted")])

    init() {
        useful.increment(by: 0)
        wasted.increment(by: 0)
    }

    func measure(_ work: () async throws -> Void) async throws {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            (RequestDeadline.current?.hasExpired == true ? wasted : useful).increment(by: seconds)
        }
        try await work()
    }
}
