import AsyncHTTPClient
import Logging
import Synchronization

/// A smoke test a process runs on itself before it says it is ready: `requests` real requests
/// through its own HTTP server, `concurrency` at a time. A process that has just started is slow for
/// its first burst of concurrent requests (threads and allocator arenas are created on first use,
/// code and data are paged in); it should pay that before a balancer sends it users, not after.
///
/// ```swift
/// let warmUp = SelfWarmUp(requests: 400, path: "/orders/warm-up")
/// service.addReadinessCheck("warm-up") { try warmUp.requireDone() }
/// service.onRunning { port in warmUp.start(port: port, logger: logger) }
/// ```
public final class SelfWarmUp: Sendable {
    public let requests: Int
    public let concurrency: Int
    private let path: @Sendable (Int) -> String
    private let done = Mutex(false)

    /// `path(i)` is the i-th request's path (vary it to touch what real requests touch).
    public init(requests: Int, concurrency: Int = 8, path: @escaping @Sendable (Int) -> String) {
        self.requests = requests
        self.concurrency = max(1, concurrency)
        self.path = path
        if requests == 0 { done.withLock { $0 = true } }
    }

    public convenience init(requests: Int, concurrency: Int = 8, path: String) {
        self.init(requests: requests, concurrency: concurrency) { _ in path }
    }

    public struct NotWarm: Error, CustomStringConvertible {
        public var description: String { "warming up (smoke-testing itself)" }
    }

    public var isDone: Bool { done.withLock { $0 } }

    /// For a readiness check: throws until the warm-up has run.
    public func requireDone() throws {
        guard isDone else { throw NotWarm() }
    }

    /// Runs the warm-up against the server listening on `port` (in the background).
    public func start(port: Int, logger: Logger) {
        guard requests > 0 else { return }
        Task { await run(port: port, logger: logger) }
    }

    /// Runs it and returns when done.
    public func run(port: Int, logger: Logger) async {
        let clock = ContinuousClock()
        let started = clock.now
        let (requests, concurrency, path) = (self.requests, self.concurrency, self.path)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for index in stride(from: worker, to: requests, by: concurrency) {
                        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path(index))")
                        _ = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)).body.collect(upTo: 1 << 20)
                    }
                }
            }
        }
        done.withLock { $0 = true }
        logger.info("warmed up with \(requests) requests to itself in \(clock.now - started)")
    }
}
