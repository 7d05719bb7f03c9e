import AsyncHTTPClient
import CoreMetrics
import NIOPosix
import Synchronization

/// A connection pool of its own for the peers that use it (`PeerClient.pool`): at most `size` calls —
/// and so at most `size` keep-alive connections per host — go through it at once. A call that finds
/// every connection leased waits up to `maxWait` for one (the pool timeout of HikariCP, Apache
/// HttpClient and friends), then fails with ``PeerError/poolTimeout(peer:pool:)``; `maxWait == .zero`
/// fails at once.
///
/// One pool for several dependencies (`size` leases shared across hosts, like Apache HttpClient's
/// `maxTotal`) is the usual default; a pool per dependency, each sized by Little's law for its own
/// traffic (connections in use = calls per second x seconds per call), is the bulkhead.
///
/// Each pool has its own AsyncHTTPClient, so no two pools ever share a connection. A service makes
/// its pools with `LabService.connectionPool(name:size:maxWait:)`, which shuts them down when it
/// stops; a pool dropped without ``shutdown()`` closes its client from `deinit`.
///
/// Metrics (labelled `pool`): `connection_pool_size`, `connection_pool_in_use`,
/// `connection_pool_waiting` (gauges), `connection_pool_rejected_total{reason="wait_timeout|full"}`.
public final class ConnectionPool: Sendable {
    public let name: String
    public let size: Int
    public let maxWait: Duration
    let client: HTTPClient
    private let leases: Bulkhead<ContinuousClock>
    private let counts = Mutex((inUse: 0, waiting: 0))
    private let inUseGauge: Gauge
    private let waitingGauge: Gauge
    private let timedOut: Counter
    private let full: Counter

    public init(name: String, size: Int, maxWait: Duration, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        precondition(size >= 1 && maxWait >= .zero)
        self.name = name
        self.size = size
        self.maxWait = maxWait
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = nil
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = size
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(3)
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        // The leases are a bulkhead; the pool publishes them under its own names.
        leases = Bulkhead(
            name: name, configuration: .init(maxConcurrentCalls: size, maxWaitDuration: maxWait),
            metricsFactory: NOOPMetricsHandler.instance)
        let dimensions = [("pool", name)]
        Gauge(label: "connection_pool_size", dimensions: dimensions, factory: metricsFactory).record(size)
        inUseGauge = Gauge(label: "connection_pool_in_use", dimensions: dimensions, factory: metricsFactory)
        waitingGauge = Gauge(label: "connection_pool_waiting", dimensions: dimensions, factory: metricsFactory)
        timedOut = Counter(
            label: "connection_pool_rejected_total", dimensions: dimensions + [("reason", "wait_timeout")], factory: metricsFactory)
        full = Counter(label: "connection_pool_rejected_total", dimensions: dimensions + [("reason", "full")], factory: metricsFactory)
        inUseGauge.record(0)
        waitingGauge.record(0)
    }

    /// Connections leased right now.
    public var inUse: Int { counts.withLock { $0.inUse } }

    /// Runs `body` holding one of the pool's connections.
    nonisolated(nonsending) func withLease<R>(peer: String, _ body: nonisolated(nonsending) () async throws -> R) async throws -> R {
        update { $0.waiting += 1 }
        let permit: Bulkhead<ContinuousClock>.Permit
        do {
            permit = try await leases.acquire()
        } catch let error as BulkheadFullError {
            update { $0.waiting -= 1 }
            (error.reason == .waitTimedOut ? timedOut : full).increment()
            throw PeerError.poolTimeout(peer: peer, pool: name)
        } catch {
            update { $0.waiting -= 1 }
            throw error
        }
        update {
            $0.waiting -= 1
            $0.inUse += 1
        }
        defer {
            leases.release(permit)
            update { $0.inUse -= 1 }
        }
        return try await body()
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    deinit {
        // A pool dropped unshut (a service built but never run, as the knob tests do) still closes its
        // client: AsyncHTTPClient traps in debug builds when it is dropped running. After `shutdown()`
        // this is a no-op that reports "already shut down" to nobody.
        client.shutdown { _ in }
    }

    private func update(_ change: (inout (inUse: Int, waiting: Int)) -> Void) {
        counts.withLock { counts in
            change(&counts)
            inUseGauge.record(counts.inUse) // under the lock, so the gauges never go back to a stale value
            waitingGauge.record(counts.waiting)
        }
    }
}
