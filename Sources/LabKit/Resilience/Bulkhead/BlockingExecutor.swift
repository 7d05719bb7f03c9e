import CoreMetrics
import NIOPosix

/// A separate executor for blocking work: `threads` OS threads of its own (NIO's `NIOThreadPool`) for
/// calls that block their thread — a synchronous SDK, blocking file or socket I/O, a CPU-heavy library
/// call. Swift concurrency runs every task on a cooperative pool with one thread per core; a blocking
/// call inside a task holds one of those few threads, and a handful of slow ones stop every other
/// task in the process (request handlers, timers, the `/metrics` endpoint).
///
/// It is also a bulkhead: at most `threads` calls run, at most `maxQueue` wait for a thread (up to
/// `maxWait`), and the rest are turned away at once with ``BulkheadFullError`` — a slow blocking
/// dependency can only ever hold this executor's threads. Size it by Little's law: calls per second x
/// seconds per call, plus headroom.
///
/// Metrics: the bulkhead's, labelled with the executor's name (`bulkhead_in_use`, `bulkhead_waiting`,
/// `bulkhead_rejected_total{reason}`).
public final class BlockingExecutor: Sendable {
    public let name: String
    public let threads: Int
    private let pool: NIOThreadPool
    private let admission: Bulkhead<ContinuousClock>

    public init(
        name: String, threads: Int, maxQueue: Int = 0, maxWait: Duration = .seconds(1),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(threads >= 1 && maxQueue >= 0)
        self.name = name
        self.threads = threads
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        admission = Bulkhead(
            name: name,
            configuration: .init(maxConcurrentCalls: threads, maxWaitDuration: maxQueue == 0 ? .zero : maxWait, maxQueueLength: maxQueue),
            metricsFactory: metricsFactory)
    }

    /// Runs `work` on one of the executor's threads; the calling task waits without holding a thread.
    public func run<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        let permit = try await admission.acquire()
        defer { admission.release(permit) }
        return try await pool.runIfActive(work)
    }

    /// Stops the threads once the work running on them has finished.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}

extension BlockingExecutor {
    /// Calls holding a thread (for tests).
    var inUseForTests: Int { admission.inUse }
}
