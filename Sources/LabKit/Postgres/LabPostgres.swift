import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Tracing

/// A PostgreSQL connection pool (PostgresNIO's `PostgresClient`) that a lab can watch.
///
/// - every `query` is a client span `SELECT` / `INSERT` … with `db.system`="postgresql" and
///   `db.query.text` = the statement with its `$1` placeholders (bound values are never recorded);
/// - the pool is measured in this wrapper, because PostgresNIO does not expose its pool state:
///   `db_client_connections_in_use`, `db_client_connections_idle` (open, not leased),
///   `db_client_connections_pending_requests` (callers waiting for a connection) and
///   `db_client_connection_acquire_duration_seconds` (how long they waited), all labelled `pool_name`;
/// - waiting longer than the acquire timeout fails with `PoolExhausted` instead of queueing forever.
///
/// It is a `Service`: run it in the service group (`LabService.postgres()` does).
public final class LabPostgres: Service, Sendable {
    public let client: PostgresClient
    public let url: DatabaseURL
    public let poolName: String
    public let poolSize: Int
    public let acquireTimeout: Duration
    public let logger: Logger
    private let counts = Mutex(PoolCounts())
    private let inUseGauge: Gauge
    private let idleGauge: Gauge
    private let pendingGauge: Gauge
    private let acquireTimer: Timer

    public init(url: DatabaseURL, poolName: String = "default", poolSize: Int = 10, acquireTimeout: Duration = .seconds(5), logger: Logger)
    {
        var configuration = url.configuration
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.url = url
        self.poolName = poolName
        self.poolSize = max(1, poolSize)
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        let dims = [("pool_name", poolName)]
        self.inUseGauge = Gauge(label: "db_client_connections_in_use", dimensions: dims)
        self.idleGauge = Gauge(label: "db_client_connections_idle", dimensions: dims)
        self.pendingGauge = Gauge(label: "db_client_connections_pending_requests", dimensions: dims)
        self.acquireTimer = Timer(label: "db_client_connection_acquire_duration_seconds", dimensions: dims, preferredDisplayUnit: .seconds)
        inUseGauge.record(0)
        idleGauge.record(0)
        pendingGauge.record(0)
    }

    /// From `DATABASE_URL` and the knobs `DB_POOL_SIZE` and `DB_ACQUIRE_TIMEOUT_MS` (`knobs`: a service
    /// that uses `LabService.postgres()` declares them); nil when `DATABASE_URL` is not set.
    public static func fromEnvironment(_ context: LabContext, poolName: String = "default") throws -> LabPostgres? {
        let poolSize = try context.knobs.read(poolSizeKnob)
        let acquireTimeout = try context.knobs.read(acquireTimeoutKnob)
        guard let raw = context.environment["DATABASE_URL"], !raw.isEmpty else { return nil }
        return LabPostgres(
            url: try DatabaseURL(raw), poolName: poolName, poolSize: poolSize, acquireTimeout: acquireTimeout, logger: context.logger)
    }

    public static let poolSizeKnob = Knob.wholeNumber(
        "DB_POOL_SIZE", default: 10, in: 1...1_000, "PostgreSQL connections in the pool, at most")
    public static let acquireTimeoutKnob = Knob.milliseconds(
        "DB_ACQUIRE_TIMEOUT_MS", default: 5_000, in: 1...3_600_000, "how long a query waits for a pool connection before PoolExhausted")

    /// The knobs of `LabService.postgres()`: a lab service that uses it declares these.
    public static let knobs: [any LabKnob] = [poolSizeKnob, acquireTimeoutKnob]

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    // MARK: Queries

    /// Runs one statement and reads all its rows, in a span named by the statement's verb.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withStatementSpan(query.sql) {
            let logger = self.logger
            return try await withConnection { connection in
                try await connection.query(query, logger: logger).collect()
            }
        }
    }

    /// The client span of one statement (here and inside `transaction`): named by its verb, with the
    /// statement text — never the bound values — and where it ran.
    func withStatementSpan<R>(_ sql: String, _ body: () async throws -> R) async throws -> R {
        let verb = Self.operation(of: sql)
        return try await withSpan(verb, ofKind: .client) { span in
            span.attributes["db.system"] = "postgresql"
            span.attributes["db.system.name"] = "postgresql"
            span.attributes["db.query.text"] = sql
            span.attributes["db.operation.name"] = verb
            if let database = url.database { span.attributes["db.namespace"] = database }
            span.attributes["server.address"] = url.socketDirectory == nil ? (url.host ?? "") : url.serverAddress
            span.attributes["server.port"] = url.port
            return try await body()
        }
    }

    /// Leases a connection (measured, bounded by the acquire timeout) for `body`.
    public func withConnection<R: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let wait = AcquireWait(pool: self)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    guard wait.acquired() else { throw CancellationError() }
                    self.leased(connection)
                    defer { self.released() }
                    return try await body(connection)
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.acquireTimeout)
                if Task.isCancelled { return nil } // the work finished, or our caller gave up
                if wait.gaveUp() {
                    throw PoolExhausted(
                        poolName: self.poolName, poolSize: self.poolSize, waited: self.acquireTimeout,
                        inUse: self.connectionsInUse, server: self.url.endpointDescription)
                }
                return nil
            }
            // However we leave (error, cancellation), a caller still waiting stops counting as pending.
            defer { wait.gaveUp() }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw CancellationError()
        }
    }

    /// A readiness check: the server answers `SELECT 1`.
    public func ping() async throws {
        try await query("SELECT 1")
    }

    static func operation(of sql: String) -> String {
        sql.split(whereSeparator: { $0.isWhitespace || $0 == "(" }).first.map { $0.uppercased() } ?? "QUERY"
    }

    // MARK: Pool accounting

    /// What this wrapper sees of the pool. PostgresNIO does not publish its pool's state, so open
    /// connections are the ones leased through here at least once and not closed since (a connection
    /// stays open, idle, for PostgresNIO's idle timeout after its last use).
    struct PoolCounts {
        var inUse = 0
        var pending = 0
        var open: Set<PostgresConnection.ID> = []
        var idle: Int { max(0, open.count - inUse) }
    }

    fileprivate func startedWaiting() {
        let pending = counts.withLock { c in
            c.pending += 1
            return c.pending
        }
        pendingGauge.record(pending)
    }

    fileprivate func stoppedWaiting(acquired: Bool, after waited: Duration) {
        let c = counts.withLock { c in
            c.pending -= 1
            if acquired { c.inUse += 1 }
            return (c.pending, c.inUse, c.idle)
        }
        pendingGauge.record(c.0)
        inUseGauge.record(c.1)
        idleGauge.record(c.2)
        if acquired { acquireTimer.recordNanoseconds(waited.nanoseconds) }
    }

    /// Notes a leased connection; the first time it is seen, watches for it to close.
    private func leased(_ connection: PostgresConnection) {
        let id = connection.id
        let isNew = counts.withLock { c in c.open.insert(id).inserted }
        guard isNew else { return }
        idleGauge.record(counts.withLock { $0.idle })
        connection.closeFuture.whenComplete { [self] _ in
            let idle = counts.withLock { c in
                c.open.remove(id)
                return c.idle
            }
            idleGauge.record(idle)
        }
    }

    fileprivate func released() {
        let (inUse, idle) = counts.withLock { c in
            c.inUse -= 1
            return (c.inUse, c.idle)
        }
        inUseGauge.record(inUse)
        idleGauge.record(idle)
    }

    /// Current pool counts as this wrapper sees them (for tests and readiness output).
    public var connectionsInUse: Int { counts.withLock { $0.inUse } }
    /// Connections open and not leased (see `PoolCounts`).
    public var idleConnections: Int { counts.withLock { $0.idle } }
    public var pendingRequests: Int { counts.withLock { $0.pending } }
}

/// One caller waiting for a connection: it ends exactly once, either acquired or given up.
private final class AcquireWait: Sendable {
    private let state = Mutex<Bool?>(nil) // nil = waiting, true = acquired, false = gave up
    private let pool: LabPostgres
    private let start = ContinuousClock.now

    init(pool: LabPostgres) {
        self.pool = pool
        pool.startedWaiting()
    }

    /// True if the connection arrived while still wanted.
    func acquired() -> Bool { finish(true) }

    /// True if the caller gave up before a connection arrived.
    @discardableResult
    func gaveUp() -> Bool { finish(false) }

    private func finish(_ acquired: Bool) -> Bool {
        let changed = state.withLock { s -> Bool in
            guard s == nil else { return false }
            s = acquired
            return true
        }
        if changed { pool.stoppedWaiting(acquired: acquired, after: ContinuousClock.now - start) }
        return changed
    }
}

/// No connection became available within the acquire timeout. Two different situations end here,
/// and the message tells them apart: every connection of the pool is busy with other callers (the
/// lesson of the pool-exhaustion lab), or the pool has room but cannot open a connection — the
/// server is down, unreachable or refusing us.
public struct PoolExhausted: Error, CustomStringConvertible, Sendable {
    public let poolName: String
    public let poolSize: Int
    public let waited: Duration
    /// Connections leased to callers when the wait ran out.
    public let inUse: Int
    /// Where the pool connects, e.g. `127.0.0.1:5432`.
    public let server: String

    public init(poolName: String, poolSize: Int, waited: Duration, inUse: Int, server: String) {
        self.poolName = poolName
        self.poolSize = poolSize
        self.waited = waited
        self.inUse = inUse
        self.server = server
    }

    /// True when every connection was busy; false when the pool could not connect.
    public var allConnectionsBusy: Bool { inUse >= poolSize }

    public var description: String {
        if allConnectionsBusy {
            return "database pool '\(poolName)' exhausted: all \(poolSize) connections busy for \(waited)"
        }
        return "database pool '\(poolName)' got no connection to PostgreSQL at \(server) within \(waited) "
            + "(\(inUse) of \(poolSize) in use): is the server running and reachable?"
    }
}

extension LabService {
    /// The service's PostgreSQL pool from `DATABASE_URL` (nil when unset): started and stopped with
    /// the service, and `/readyz` reports `postgres` not ready while `SELECT 1` fails.
    public func postgres(poolName: String = "default") throws -> LabPostgres? {
        guard let db = try LabPostgres.fromEnvironment(context, poolName: poolName) else { return nil }
        addService(db)
        addReadinessCheck("postgres") { try await db.ping() }
        return db
    }
}
