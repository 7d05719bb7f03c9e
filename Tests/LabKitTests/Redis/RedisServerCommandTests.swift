import Foundation
import Telemetry
import Tracing
import XCTest

@testable import LabKit

/// INFO, CONFIG, DBSIZE, TIME and the bulk loader against a real redis-server.
final class RedisServerCommandTests: RedisServerTestCase {
    func testInfoConfigDBSizeAndTime() async throws {
        let redis = try makeClient()
        let memory = try await redis.info("memory")
        XCTAssertNotNil(memory["used_memory"].flatMap(Int.init), "\(memory)")
        XCTAssertNil(memory.keys.first { $0.hasPrefix("#") })

        let policy = try await redis.configGet("maxmemory-policy")
        XCTAssertEqual(policy, ["maxmemory-policy": "noeviction"], "redis-server's default never drops keys")
        try await redis.configSet("maxmemory-policy", "volatile-lru")
        let changed = try await redis.configGet("maxmemory-policy")
        XCTAssertEqual(changed["maxmemory-policy"], "volatile-lru")
        await assertThrowsRedisError(try await redis.configSet("maxmemory-policy", "sometimes")) {
            XCTAssertEqual($0.serverErrorCode, "ERR")
        }

        try await redis.set("a", to: "1")
        try await redis.set("b", to: "2")
        let keys = try await redis.dbsize()
        XCTAssertEqual(keys, 2)

        let server = try await redis.serverTime()
        let local = Date().timeIntervalSince1970
        let serverSeconds = Double(server.components.seconds) + Double(server.components.attoseconds) / 1e18
        XCTAssertEqual(serverSeconds, local, accuracy: 5, "the same machine's clock")

        for _ in 0..<20 { _ = try await redis.get("a") }
        let latencies = try await redis.serverLatencyPercentiles()
        let get = try XCTUnwrap(latencies["get"], "\(latencies.keys.sorted())")
        let p99 = try XCTUnwrap(get["p99"])
        XCTAssertGreaterThan(p99, .zero)
        XCTAssertLessThan(p99, .milliseconds(50), "a GET takes Redis microseconds")
        XCTAssertEqual(
            RedisClient.parseLatencyStats(["latency_percentiles_usec_evalsha": "p50=5.023,p99=12.031,p99.9=20.095", "used_memory": "1"]),
            ["evalsha": ["p50": .nanoseconds(5_023), "p99": .nanoseconds(12_031), "p99.9": .nanoseconds(20_095)]])

        XCTAssertEqual(
            RedisClient.parseInfo("# Memory\r\nused_memory:12\r\nmaxmemory_policy:noeviction\r\n\r\n"),
            ["used_memory": "12", "maxmemory_policy": "noeviction"])
    }

    func testBulkLoadSendsEveryCommandInPipelines() async throws {
        let processor = InMemorySpanProcessor()
        let tracer = TelemetryTracer(sampler: AlwaysOnSampler(), processor: processor)
        let registry = MetricsRegistry()
        let redis = try makeClient(poolSize: 4, tracer: tracer, metricsFactory: PrometheusMetricsFactory(registry: registry))
        // 100 ZADDs of 1,000 members each: 100,000 players, generated lazily.
        let commands = (0..<100).lazy.map { batch -> [RedisArgument] in
            var arguments: [RedisArgument] = ["ZADD", "players"]
            for player in batch * 1000..<(batch + 1) * 1000 {
                arguments.append(RedisArgument(player % 997))
                arguments.append(RedisArgument("player-\(player)"))
            }
            return arguments
        }
        let report = try await redis.bulkLoad(commands, batchSize: 8)
        XCTAssertEqual(report.commands, 100)
        XCTAssertEqual(report.batches, 13, "12 full pipelines of 8 and one of 4")
        let players = try await redis.zcard("players")
        XCTAssertEqual(players, 100_000)
        let score = try await redis.zscore("players", member: "player-99999")
        XCTAssertEqual(score, Double(99_999 % 997))

        let pipelines = processor.finishedSpans.filter { $0.name == "PIPELINE" }
        XCTAssertEqual(pipelines.count, 13)
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains(#"redis_client_commands_total{command="PIPELINE",outcome="success"} 13"#), text)

        // An error reply fails the load and names the command; the ones before it are applied.
        try await redis.send("LPUSH", "a-list", "x")
        let mixed: [[RedisArgument]] = [["SET", "k1", "v"], ["SET", "k2", "v"], ["INCR", "a-list"], ["SET", "k3", "v"]]
        await assertThrowsRedisError(try await redis.bulkLoad(mixed, batchSize: 2, concurrency: 1)) { error in
            XCTAssertEqual(error.serverErrorCode, "WRONGTYPE")
            XCTAssertTrue("\(error)".contains("#2"), "\(error)")
        }
        let first = try await redis.get("k1")
        XCTAssertEqual(first, "v")
        let empty = try await redis.bulkLoad([[RedisArgument]]())
        XCTAssertEqual(empty.commands, 0)
    }
}
