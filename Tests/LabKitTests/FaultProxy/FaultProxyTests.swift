import Foundation
import LabControl
import XCTest

@testable import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// The proxy against a real redis-server: traffic passes intact, and each toxic has its effect
/// (with wide timing margins: the machine is small and shared).
final class FaultProxyTests: FaultProxyTestCase {
    func testTrafficPassesIntactBothWays() async throws {
        let proxied = try makeProxiedClient()
        let direct = try makeClient()
        // 1 MB of every byte value, written through the proxy and read back directly.
        let blob = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        try await proxied.set("blob", to: .bytes(blob))
        let readDirectly = try await direct.getBytes("blob")
        XCTAssertEqual(readDirectly, blob)
        // And written directly, read through the proxy.
        try await direct.set("greeting", to: "hello")
        let readProxied = try await proxied.get("greeting")
        XCTAssertEqual(readProxied, "hello")
        let replies = try await proxied.pipeline((0..<1000).map { _ in ["INCR", "n"] })
        XCTAssertEqual(replies.last, .integer(1000))

        let text = proxyMetrics.render(.prometheusText)
        // The blob went up through the proxy; the 1000 replies came down through it.
        let upstream = metricValue(text, #"proxy_bytes_total{proxy="redis",direction="upstream"}"#)
        let downstream = metricValue(text, #"proxy_bytes_total{proxy="redis",direction="downstream"}"#)
        XCTAssertGreaterThan(upstream ?? 0, Double(1 << 20), text)
        XCTAssertGreaterThan(downstream ?? 0, Double(1000 * ":1\r\n".count), text)
        XCTAssertGreaterThanOrEqual(metricValue(text, #"proxy_connections_total{proxy="redis"}"#) ?? 0, 1, text)
    }

    func testRedisBenchmarkThroughTheProxy() async throws {
        let benchmark = try ProgramLocator.standard.find("redis-benchmark")
        let log = scratch.appendingPathComponent("redis-benchmark.log")
        try await ChildProcess.run(
            name: "redis-benchmark", executable: benchmark,
            arguments: ["-h", "127.0.0.1", "-p", "\(proxy.listenPort)", "-t", "set,get,incr,lpush", "-n", "20000", "-q"],
            directory: scratch, logFile: log, timeout: .seconds(180))
        let output = try String(contentsOf: log, encoding: .utf8)
        // -q prints progress lines ending in \r, then one result line per test.
        let results = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
            .filter { $0.contains("requests per second") }
        for test in ["SET", "GET", "INCR", "LPUSH"] {
            let line = results.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(test): ") }
            let rate = line.flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") }
            XCTAssertGreaterThan(rate ?? 0, 0, "no result for \(test) in:\n\(results.joined(separator: "\n"))")
        }
        // The benchmark's writes really reached the server.
        let direct = try makeClient()
        let length = try await direct.send("LLEN", "mylist")
        XCTAssertGreaterThanOrEqual(length.int ?? 0, 20000, "every LPUSH went through")
        let counter = try await direct.get("counter:__rand_int__")
        XCTAssertEqual(counter, "20000", "every INCR went through")
    }

    func testLatencyAddsToEveryRoundTripAndCanBeRemoved() async throws {
        let redis = try makeProxiedClient(poolSize: 1)
        try await redis.ping() // connection open before the toxic: toxics apply to it too
        // The fastest of a few round trips: noise on a shared machine only ever adds time.
        func fastestPing() async throws -> Duration {
            var fastest = Duration.seconds(60)
            for _ in 0..<3 { fastest = min(fastest, try await measure { try await redis.ping() }) }
            return fastest
        }
        let baseline = try await fastestPing()

        try proxy.addToxic(Toxic(name: "slow", kind: .latency(latency: .milliseconds(200), jitter: .zero)))
        let slowed = try await fastestPing()
        XCTAssertGreaterThanOrEqual(slowed - baseline, .milliseconds(150), "baseline \(baseline), with latency \(slowed)")
        XCTAssertLessThan(slowed, .seconds(3))

        XCTAssertTrue(proxy.removeToxic(named: "slow"))
        let restored = try await fastestPing()
        XCTAssertLessThan(restored, .milliseconds(150), "latency gone once the toxic is removed")
    }

    func testLatencyWithJitterPreservesOrder() async throws {
        try proxy.addToxic(
            Toxic(kind: .latency(latency: .milliseconds(50), jitter: .milliseconds(45)), stream: .upstream))
        let connection = try RawConnection(port: proxy.listenPort)
        // 40 separate writes; each chunk gets its own random delay, yet Redis must see them in order.
        for index in 1...40 {
            try connection.send("RPUSH order \(index)\r\n")
            usleep(2000)
        }
        _ = try connection.receive(until: ":40\r\n")
        let order = try await makeClient().send("LRANGE", "order", 0, -1)
        XCTAssertEqual(order.array?.compactMap(\.string), (1...40).map(String.init))
    }

    func testDownRefusesConnectionsAndUpRestores() async throws {
        let redis = try makeProxiedClient(poolSize: 1)
        try await redis.ping()
        let open = try RawConnection(port: proxy.listenPort)
        try open.send("PING\r\n")
        _ = try open.receive(until: "+PONG\r\n")

        await proxy.disable()
        XCTAssertFalse(proxy.isEnabled)
        XCTAssertThrowsError(try RawConnection(port: proxy.listenPort)) { error in
            XCTAssertEqual(error as? RawSocketError, RawSocketError(errno: ECONNREFUSED))
        }
        // The open connection was cut.
        XCTAssertEqual(try? open.receive(), [], "an open connection sees EOF")
        await assertThrowsRedisError(try await redis.ping()) { error in
            guard case .connection(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("refused"), message)
        }

        try await proxy.enable()
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
    }

    func testResetPeerSendsRST() async throws {
        try proxy.addToxic(Toxic(kind: .resetPeer(after: .zero)))
        let connection = try RawConnection(port: proxy.listenPort)
        try? connection.send("PING\r\n")
        XCTAssertThrowsError(try connection.receive()) { error in
            XCTAssertEqual(error as? RawSocketError, RawSocketError(errno: ECONNRESET), "\(error)")
        }
        let redis = try makeProxiedClient()
        await assertThrowsRedisError(try await redis.ping()) { error in
            guard case .connection = error else { return XCTFail("\(error)") }
        }
    }

    func testResetPeerAfterATimeout() async throws {
        try proxy.addToxic(Toxic(kind: .resetPeer(after: .milliseconds(400))))
        let connection = try RawConnection(port: proxy.listenPort)
        try connection.send("PING\r\n")
        _ = try connection.receive(until: "+PONG\r\n") // works until the timer fires
        let start = ContinuousClock.now
        XCTAssertThrowsError(try connection.receive()) { error in
            XCTAssertEqual(error as? RawSocketError, RawSocketError(errno: ECONNRESET), "\(error)")
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(200))
    }

    func testTimeoutToxicHangsCommandsUntilTheClientTimesOut() async throws {
        let redis = try makeProxiedClient(poolSize: 1, commandTimeout: .milliseconds(500))
        try await redis.ping()
        try proxy.addToxic(Toxic(name: "hang", kind: .timeout(after: nil)))
        let hung = try await measure {
            await assertThrowsRedisError(try await redis.ping()) { error in
                XCTAssertEqual(error, .timeout)
            }
        }
        XCTAssertGreaterThanOrEqual(hung, .milliseconds(400))

        proxy.removeToxic(named: "hang")
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
    }

    func testTimeoutToxicClosesAfterItsTimeout() async throws {
        try proxy.addToxic(Toxic(kind: .timeout(after: .milliseconds(300))))
        let connection = try RawConnection(port: proxy.listenPort)
        try connection.send("PING\r\n")
        let start = ContinuousClock.now
        let received = try connection.receive()
        XCTAssertEqual(received, [], "nothing is forwarded; then the connection is closed")
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(200))
        XCTAssertLessThan(elapsed, .seconds(4))
    }

    func testBandwidthSlowsALargeTransfer() async throws {
        let direct = try makeClient()
        try await direct.set("big", to: .bytes([UInt8](repeating: 42, count: 1 << 20)))
        let redis = try makeProxiedClient(poolSize: 1, commandTimeout: .seconds(30))
        try await redis.ping()
        let unthrottled = try await measure { _ = try await redis.getBytes("big") }

        try proxy.addToxic(Toxic(kind: .bandwidth(bytesPerSecond: 256 * 1024)))
        var value: [UInt8]?
        let throttled = try await measure { value = try await redis.getBytes("big") }
        XCTAssertEqual(value?.count, 1 << 20, "slow, but intact")
        // 1 MiB at 256 KiB/s takes about 4 s.
        XCTAssertGreaterThanOrEqual(throttled, .milliseconds(2500), "unthrottled \(unthrottled)")
        XCTAssertLessThan(throttled, .seconds(15))
        XCTAssertLessThan(unthrottled, .milliseconds(1500))
    }

    func testSlowCloseDelaysTheClose() async throws {
        try proxy.addToxic(Toxic(kind: .slowClose(delay: .milliseconds(600))))
        let connection = try RawConnection(port: proxy.listenPort)
        try connection.send("QUIT\r\n")
        _ = try connection.receive(until: "+OK\r\n")
        let start = ContinuousClock.now
        let eof = try connection.receive()
        XCTAssertEqual(eof, [])
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(400))

        proxy.removeAllToxics()
        let prompt = try RawConnection(port: proxy.listenPort)
        try prompt.send("QUIT\r\n")
        _ = try prompt.receive(until: "+OK\r\n")
        let quick = try await measure { _ = try prompt.receive() }
        XCTAssertLessThan(quick, .milliseconds(400))
    }

    func testToxicityRollsPerConnection() async throws {
        try proxy.addToxic(
            Toxic(kind: .latency(latency: .milliseconds(400), jitter: .zero), toxicity: 0.5))
        var slow = 0
        var fast = 0
        for _ in 0..<30 {
            let connection = try RawConnection(port: proxy.listenPort)
            let elapsed = try await measure {
                try connection.send("PING\r\n")
                _ = try connection.receive(until: "+PONG\r\n")
            }
            if elapsed >= .milliseconds(300) { slow += 1 } else { fast += 1 }
        }
        // P(all 30 on one side) = 2 * 0.5^30.
        XCTAssertGreaterThan(slow, 0)
        XCTAssertGreaterThan(fast, 0)

        proxy.removeAllToxics()
        try proxy.addToxic(Toxic(kind: .latency(latency: .milliseconds(400), jitter: .zero), toxicity: 0))
        let connection = try RawConnection(port: proxy.listenPort)
        let unaffected = try await measure {
            try connection.send("PING\r\n")
            _ = try connection.receive(until: "+PONG\r\n")
        }
        XCTAssertLessThan(unaffected, .milliseconds(300), "toxicity 0 affects no connection")
    }

    func testMetricsTrackConnectionsAndToxics() async throws {
        try proxy.addToxic(Toxic(kind: .latency(latency: .milliseconds(1), jitter: .zero)))
        try proxy.addToxic(Toxic(name: "second", kind: .latency(latency: .milliseconds(1), jitter: .zero)))
        XCTAssertThrowsError(try proxy.addToxic(Toxic(name: "second", kind: .slowClose(delay: .zero)))) { error in
            XCTAssertEqual(error as? FaultProxyError, .duplicateToxic("second"))
        }
        let connection = try RawConnection(port: proxy.listenPort)
        try connection.send("PING\r\n")
        _ = try connection.receive(until: "+PONG\r\n")
        var text = proxyMetrics.render(.prometheusText)
        XCTAssertEqual(metricValue(text, #"proxy_toxic_active{proxy="redis",type="latency"}"#), 2, text)
        XCTAssertEqual(metricValue(text, #"proxy_toxic_active{proxy="redis",type="timeout"}"#), 0, text)
        XCTAssertEqual(metricValue(text, #"proxy_active_connections{proxy="redis"}"#), 1, text)

        try connection.send("QUIT\r\n")
        _ = try connection.receive(until: "+OK\r\n")
        // The connection finishes on the event loop shortly after the EOF.
        for _ in 0..<100 where proxy.activeConnections > 0 { try await Task.sleep(for: .milliseconds(20)) }
        proxy.removeAllToxics()
        text = proxyMetrics.render(.prometheusText)
        XCTAssertEqual(metricValue(text, #"proxy_active_connections{proxy="redis"}"#), 0, text)
        XCTAssertEqual(metricValue(text, #"proxy_toxic_active{proxy="redis",type="latency"}"#), 0, text)

        // proxy_up follows "down" and "up".
        XCTAssertEqual(metricValue(text, #"proxy_up{proxy="redis"}"#), 1, text)
        await proxy.disable()
        XCTAssertEqual(metricValue(proxyMetrics.render(.prometheusText), #"proxy_up{proxy="redis"}"#), 0)
        try await proxy.enable()
        XCTAssertEqual(metricValue(proxyMetrics.render(.prometheusText), #"proxy_up{proxy="redis"}"#), 1)
    }

    func testUpstreamDownClosesClientConnections() async throws {
        await redisServer.stop()
        let connection = try RawConnection(port: proxy.listenPort)
        XCTAssertEqual(try connection.receive(), [], "nothing upstream: the proxy closes the client's connection")
    }
}

/// The value of one sample line `name{labels} value` in Prometheus text.
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1).split(separator: " ")[0])
    }
    return nil
}
