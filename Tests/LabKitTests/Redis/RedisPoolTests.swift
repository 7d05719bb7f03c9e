import LabControl
import Telemetry
import Tracing
import XCTest

@testable import LabKit

/// The pool under concurrency, recovery after a server restart, cancellation, spans and metrics.
final class RedisPoolTests: RedisServerTestCase {
    func testManyTasksShareABoundedPool() async throws {
        let redis = try makeClient(poolSize: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<300 {
                group.addTask { try await redis.incr("hits") }
            }
            try await group.waitForAll()
        }
        let total = try await redis.get("hits")
        XCTAssertEqual(total, "300")

        let observer = try makeClient(poolSize: 1)
        let info = try await observer.send("INFO", "clients").string ?? ""
        let connected = info.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix("connected_clients:") }
            .flatMap { Int($0.split(separator: ":")[1]) }
        XCTAssertNotNil(connected, info)
        XCTAssertLessThanOrEqual(connected ?? 99, 3 + 1, "at most poolSize connections plus the observer")
    }

    func testRecoversAfterServerRestart() async throws {
        let redis = try makeClient(poolSize: 4)
        // Open every slot's connection at once (four BLPOPs that each hold one for 0.2 s), so the
        // pool holds four idle connections for the restart to kill.
        try await withThrowingTaskGroup(of: RESPValue.self) { group in
            for _ in 0..<4 { group.addTask { try await redis.send("BLPOP", "warm", "0.2") } }
            for try await reply in group { XCTAssertEqual(reply, .null) }
        }
        let observer = try makeClient(poolSize: 1)
        let warm = try await observer.send("INFO", "clients").string ?? ""
        XCTAssertTrue(warm.contains("connected_clients:5"), warm)
        try await redis.set("before", to: "1")
        let port = redisServer.port
        await redisServer.stop()

        await assertThrowsRedisError(try await redis.ping()) { error in
            guard case .connection = error else { return XCTFail("\(error)") }
        }

        let restarted = try await startRedis(port: port, directory: scratch)
        defer { Task { await restarted.stop(signal: SIGTERM, grace: .seconds(5)) } }
        // Every pooled connection is dead; each must be noticed and replaced, not fail a command.
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await redis.ping() } }
            for try await pong in group { XCTAssertEqual(pong, "PONG") }
        }
        let lost = try await redis.get("before")
        XCTAssertNil(lost, "a new server without persistence: the client talks to it, not to a stale socket")
        await restarted.stop(signal: SIGTERM, grace: .seconds(5))
    }

    func testCancelledWaiterLeavesThePoolUsable() async throws {
        let redis = try makeClient(poolSize: 1)
        // Occupy the only slot: BLPOP with a 1 s server-side timeout answers nil after a second.
        let blocker = Task { try await redis.send("BLPOP", "empty", 1) }
        try await Task.sleep(for: .milliseconds(200))
        let waiter = Task { try await redis.ping() }
        try await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        do {
            _ = try await waiter.value
            XCTFail("a cancelled waiter must not get a connection")
        } catch {
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
        let blocked = try await blocker.value
        XCTAssertEqual(blocked, .null)
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
    }

    func testSpansCarryDatabaseAttributesButNeverValues() async throws {
        let processor = InMemorySpanProcessor()
        let tracer = TelemetryTracer(sampler: AlwaysOnSampler(), processor: processor)
        let redis = try makeClient(tracer: tracer)

        try await tracer.withSpan("checkout", ofKind: .server) { _ in
            try await redis.set("secret-key", to: "secret-value")
        }
        try await redis.send("LPUSH", "secret-list", "x")
        await assertThrowsRedisError(try await redis.get("secret-list"))
        _ = try await redis.pipeline([["GET", "secret-key"], ["INCR", "secret-n"]])

        let spans = processor.finishedSpans
        let parent = try XCTUnwrap(spans.first { $0.name == "checkout" })
        let set = try XCTUnwrap(spans.first { $0.name == "SET" })
        XCTAssertEqual(set.kind, 3, "SPAN_KIND_CLIENT")
        XCTAssertEqual(set.parentSpanID, parent.spanID, "the command span is a child of the caller's span")
        XCTAssertEqual(set.traceID, parent.traceID)
        XCTAssertEqual(attribute("db.system", in: set), .string("redis"))
        XCTAssertEqual(attribute("db.operation.name", in: set), .string("SET"))
        XCTAssertEqual(attribute("server.address", in: set), .string("127.0.0.1"))
        XCTAssertEqual(attribute("server.port", in: set), .int(Int64(redisServer.port)))
        XCTAssertEqual(set.status.code, 0)

        let failed = try XCTUnwrap(spans.first { $0.name == "GET" })
        XCTAssertEqual(failed.status.code, 2, "STATUS_CODE_ERROR")
        XCTAssertEqual(attribute("db.response.status_code", in: failed), .string("WRONGTYPE"))

        let pipeline = try XCTUnwrap(spans.first { $0.name == "PIPELINE" })
        XCTAssertEqual(attribute("db.operation.batch.size", in: pipeline), .int(2))

        for span in spans {
            for keyValue in span.attributes {
                XCTAssertFalse("\(keyValue.value)".contains("secret"), "\(span.name) leaks \(keyValue)")
            }
        }
    }

    func testMetricsCountOutcomesAndTrackThePool() async throws {
        let registry = MetricsRegistry()
        let redis = try makeClient(
            poolSize: 2, commandTimeout: .milliseconds(300), metricsFactory: PrometheusMetricsFactory(registry: registry))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { try await redis.incr("n") } }
            try await group.waitForAll()
        }
        try await redis.send("LPUSH", "l", "x")
        await assertThrowsRedisError(try await redis.incr("l"))
        await assertThrowsRedisError(try await redis.send("BLPOP", "empty", 0))

        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains(#"redis_client_commands_total{command="INCR",outcome="success"} 50"#), text)
        XCTAssertTrue(text.contains(#"redis_client_commands_total{command="INCR",outcome="server_error"} 1"#), text)
        XCTAssertTrue(text.contains(#"redis_client_commands_total{command="BLPOP",outcome="timeout"} 1"#), text)
        XCTAssertTrue(text.contains(#"redis_client_command_duration_seconds_count{command="INCR"} 51"#), text)
        // Every slot was returned: nothing is in use once the commands are done.
        XCTAssertTrue(
            text.contains(#"redis_client_pool_connections_in_use{server_address="127.0.0.1",server_port="\#(redisServer.port)"} 0"#),
            text)
    }

    private func attribute(_ key: String, in span: OTLP.Span) -> OTLP.AnyValue? {
        span.attributes.first { $0.key == key }?.value
    }
}
