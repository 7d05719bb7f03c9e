import NIOPosix
import Synchronization

/// Where the receiver inflates compressed bodies: one thread of its own, off the event loops and the
/// concurrency pool that serve every other request, with at most `capacity` bodies waiting or in work.
///
/// Inflating is the one expensive step a client can force (a small gzip body that expands to the
/// size limit costs a second of CPU in our bit-by-bit inflater). Done on the request path, sixteen such
/// bodies at once slow every uncompressed request behind them; here they queue on one thread, and past
/// `capacity` the receiver answers 503 at once (OTLP exporters retry 503 with backoff).
final class DecompressionWorker: Sendable {
    let capacity: Int
    private let pool: NIOThreadPool
    private let pending = Atomic<Int>(0)

    init(capacity: Int = 4) {
        self.capacity = capacity
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Runs `work` on the worker thread; nil (without running it) when `capacity` bodies are already queued.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let (before, _) = pending.add(1, ordering: .relaxed)
        defer { pending.subtract(1, ordering: .relaxed) }
        guard before < capacity else { return nil }
        return try? await pool.runIfActive(work)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
