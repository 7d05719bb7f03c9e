import Metrics
import NIOPosix
import ServiceLifecycle
import Synchronization
import Tracing

/// An async Redis client over hiredis.
///
/// hiredis is a blocking C library, so every command runs on the client's own `NIOThreadPool`
/// (one thread per pooled connection), never on the Swift cooperative pool, where a blocked
/// thread would stall unrelated tasks. A connection that breaks or times out is discarded and the
/// next command on that slot reconnects; an idle connection the server closed (a restart) is
/// noticed before use and replaced.
///
///     let redis = try RedisClient(url: "redis://127.0.0.1:6379/0")
///     try await redis.set("greeting", to: "hello", expiration: .seconds(60))
///     let value = try await redis.get("greeting")   // "hello"
///     await redis.shutdown()
///
/// Every command is a client span (`db.system`=redis, `db.operation.name`, `server.address`,
/// `server.port`; never keys or values) and is counted in `redis_client_commands_total{command,outcome}`
/// and timed in `redis_client_command_duration_seconds{command}`.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let pool: RedisConnectionPool
    private let threads: NIOThreadPool
    private let metrics: RedisClientMetrics
    private let isShutDown = Atomic<Bool>(false)
    /// nil: the global `InstrumentationSystem.tracer`, read at each call (so bootstrapping later works).
    private let tracerOverride: (any Tracer)?

    /// - Parameters:
    ///   - tracer: where spans go; defaults to `InstrumentationSystem.tracer`.
    ///   - metricsFactory: where metrics go; defaults to `MetricsSystem.factory`.
    public init(
        configuration: RedisConfiguration, tracer: (any Tracer)? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.configuration = configuration
        self.tracerOverride = tracer
        let metrics = RedisClientMetrics(configuration: configuration, factory: metricsFactory ?? MetricsSystem.factory)
        self.metrics = metrics
        self.pool = RedisConnectionPool(capacity: configuration.poolSize) { metrics.poolInUse.record($0) }
        self.threads = NIOThreadPool(numberOfThreads: configuration.poolSize)
        threads.start()
    }

    public convenience init(
        url: String, poolSize: Int = 4,
        connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2),
        tracer: (any Tracer)? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) throws(RedisError) {
        self.init(
            configuration: try RedisConfiguration(
                url: url, poolSize: poolSize, connectTimeout: connectTimeout, commandTimeout: commandTimeout),
            tracer: tracer, metricsFactory: metricsFactory)
    }

    /// Sends one command and returns its reply. An error reply throws `RedisError.server(message)`.
    @discardableResult
    public func send(_ arguments: [RedisArgument]) async throws -> RESPValue {
        try await instrumented(Self.operationName(arguments), batchSize: nil) {
            let reply = try await execute([arguments])[0]
            if case .error(let message) = reply { throw RedisError.server(message) }
            return reply
        }
    }

    @discardableResult
    public func send(_ arguments: RedisArgument...) async throws -> RESPValue {
        try await send(arguments)
    }

    /// Sends all commands in one write on one connection and reads one reply per command: one round
    /// trip instead of N. Error replies come back in place as `.error`, so one failing command does
    /// not hide the others' results; a transport failure or timeout throws.
    /// Wrap commands in MULTI ... EXEC to make them a transaction.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        return try await instrumented("PIPELINE", batchSize: commands.count) {
            try await execute(commands)
        }
    }

    /// Closes the pool and stops its threads. Commands in flight finish; new ones throw `.clientClosed`.
    public func shutdown() async {
        guard isShutDown.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
            return
        }
        pool.close()
        try? await threads.shutdownGracefully()
    }

    // MARK: - Running a command

    /// What one thread-pool job hands back: the connection to return to its slot, and the outcome.
    private struct JobResult: Sendable {
        var connection: RedisConnection?
        var replies: Result<[RESPValue], RedisError>
    }

    private func execute(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        let pooled = try await pool.checkOut()
        let configuration = self.configuration
        let job: JobResult
        do {
            job = try await threads.runIfActive {
                var connection = pooled
                do throws(RedisError) {
                    if let idle = connection, !idle.looksAlive { connection = nil }
                    let live: RedisConnection
                    if let connection { live = connection } else { live = try RedisConnection.open(configuration) }
                    connection = live
                    return JobResult(connection: live, replies: .success(try live.execute(commands)))
                } catch {
                    return JobResult(connection: connection, replies: .failure(error))
                }
            }
        } catch {
            // The job never ran: the task was cancelled while queued, or the pool is shut down.
            pool.checkIn(pooled)
            throw error is CancellationError ? error : RedisError.clientClosed
        }
        pool.checkIn(job.connection)
        return try job.replies.get()
    }

    /// Wraps one round trip in a client span and records the command metrics.
    private func instrumented<T>(
        _ operation: String, batchSize: Int?,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        var outcome = "success"
        defer { metrics.record(command: operation, outcome: outcome, duration: ContinuousClock.now - start) }
        let tracer = tracerOverride ?? InstrumentationSystem.tracer
        return try await tracer.withSpan(operation, ofKind: .client) { span in
            span.attributes["db.system"] = "redis"
            span.attributes["db.operation.name"] = operation
            span.attributes["db.namespace"] = String(configuration.database)
            span.attributes["server.address"] = configuration.host
            span.attributes["server.port"] = configuration.port
            if let batchSize { span.attributes["db.operation.batch.size"] = batchSize }
            do {
                return try await body()
            } catch let error as RedisError {
                outcome = error.outcomeLabel
                span.attributes["error.type"] = error.serverErrorCode ?? outcome
                if let code = error.serverErrorCode { span.attributes["db.response.status_code"] = code }
                span.setStatus(SpanStatus(code: .error))
                throw error
            } catch {
                outcome = error is CancellationError ? "cancelled" : "error"
                span.setStatus(SpanStatus(code: .error))
                throw error
            }
        }
    }

    /// The span name and `command` label: the command word, upper-cased (never a key or value).
    static func operationName(_ arguments: [RedisArgument]) -> String {
        guard let first = arguments.first else { return "UNKNOWN" }
        let word = String(decoding: first.bytes.prefix(32), as: UTF8.self).uppercased()
        return word.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "." }) && !word.isEmpty ? word : "UNKNOWN"
    }
}

extension RedisClient: Service {
    /// Runs until graceful shutdown, then closes the client (for a `ServiceGroup`).
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}

extension RedisClient {
    /// Histogram buckets for Redis command durations (seconds): from 100 µs, where a local Redis answers,
    /// to 2.5 s. `LabService.redis()` gives them to `redis_client_command_duration_seconds`.
    public static let durationBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]
}

/// The client's swift-metrics instruments.
struct RedisClientMetrics: Sendable {
    let poolInUse: Gauge
    let factory: any MetricsFactory

    init(configuration: RedisConfiguration, factory: any MetricsFactory) {
        self.factory = factory
        poolInUse = Gauge(
            label: "redis_client_pool_connections_in_use",
            dimensions: [("server_address", configuration.host), ("server_port", String(configuration.port))],
            factory: factory)
    }

    func record(command: String, outcome: String, duration: Duration) {
        Counter(
            label: "redis_client_commands_total", dimensions: [("command", command), ("outcome", outcome)],
            factory: factory
        ).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: "redis_client_command_duration_seconds", dimensions: [("command", command)], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
