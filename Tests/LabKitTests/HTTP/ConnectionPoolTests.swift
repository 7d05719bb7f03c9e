import Foundation
import XCTest

@testable import LabKit

final class ConnectionPoolTests: XCTestCase {
    private func startPeer() async throws -> RunningService {
        try await RunningService.start(name: "pool-peer") { service in
            service.router.get("/slow") { _, _ in
                try await Task.sleep(for: .milliseconds(800))
                return "slow"
            }
            service.router.get("/fast") { _, _ in "fast" }
        }
    }

    func testACallThatFindsEveryConnectionLeasedWaitsThenTimesOut() async throws {
        let peer = try await startPeer()
        addTeardownBlock { await peer.stop() }
        let metrics = ResilienceTestMetrics()
        let pool = ConnectionPool(name: "shared", size: 1, maxWait: .milliseconds(200), metricsFactory: metrics)
        addTeardownBlock { try? await pool.shutdown() }
        var client = PeerClient(name: "peer", baseURL: peer.baseURL)
        client.pool = pool
        XCTAssertEqual(metrics.value("connection_pool_size", ["pool": "shared"]), 1)

        let slow = Task { [client] in try await client.get("/slow") }
        try await eventually { pool.inUse == 1 }
        XCTAssertEqual(metrics.value("connection_pool_in_use", ["pool": "shared"]), 1)
        let (result, seconds) = await timed { () -> Result<PeerResponse, any Error> in
            do { return .success(try await client.get("/fast")) } catch { return .failure(error) }
        }
        guard case .failure(let error) = result, case .poolTimeout(let peerName, let poolName)? = error as? PeerError else {
            return XCTFail("expected a pool timeout, got \(result)")
        }
        XCTAssertEqual(peerName, "peer")
        XCTAssertEqual(poolName, "shared")
        XCTAssertGreaterThanOrEqual(seconds, 0.19, "it waited maxWait for a connection")
        XCTAssertLessThan(seconds, 0.7, "and no longer")
        XCTAssertEqual(metrics.counter("connection_pool_rejected_total", ["pool": "shared", "reason": "wait_timeout"]), 1)

        let slowReply = try await slow.value
        XCTAssertEqual(slowReply.text, "slow")
        XCTAssertEqual(pool.inUse, 0)
        let fastReply = try await client.get("/fast")
        XCTAssertEqual(fastReply.text, "fast", "a free connection serves the next call")
    }

    func testZeroWaitFailsAtOnceAndOtherPoolsAreUntouched() async throws {
        let peer = try await startPeer()
        addTeardownBlock { await peer.stop() }
        let metrics = ResilienceTestMetrics()
        let reports = ConnectionPool(name: "reports", size: 1, maxWait: .zero, metricsFactory: metrics)
        let inventory = ConnectionPool(name: "inventory", size: 1, maxWait: .zero, metricsFactory: metrics)
        addTeardownBlock {
            try? await reports.shutdown()
            try? await inventory.shutdown()
        }
        var slowClient = PeerClient(name: "reports", baseURL: peer.baseURL)
        slowClient.pool = reports
        var fastClient = PeerClient(name: "inventory", baseURL: peer.baseURL)
        fastClient.pool = inventory

        let slow = Task { [slowClient] in try await slowClient.get("/slow") }
        try await eventually { reports.inUse == 1 }
        let (result, seconds) = await timed { () -> Result<PeerResponse, any Error> in
            do { return .success(try await slowClient.get("/fast")) } catch { return .failure(error) }
        }
        guard case .failure(let error) = result, case .poolTimeout? = error as? PeerError else {
            return XCTFail("expected a pool timeout, got \(result)")
        }
        XCTAssertLessThan(seconds, 0.1, "no wait at all")
        XCTAssertEqual(metrics.counter("connection_pool_rejected_total", ["pool": "reports", "reason": "full"]), 1)
        let other = try await fastClient.get("/fast")
        XCTAssertEqual(other.text, "fast", "the other pool has its own connection")
        _ = try await slow.value
    }

    /// A pool that was used and then dropped without `shutdown()` (a service built but never run)
    /// closes its client instead of trapping in AsyncHTTPClient's debug check.
    func testAPoolDroppedWithoutShutdownClosesItsClient() async throws {
        let peer = try await startPeer()
        addTeardownBlock { await peer.stop() }
        var pool: ConnectionPool? = ConnectionPool(name: "dropped", size: 1, maxWait: .zero, metricsFactory: ResilienceTestMetrics())
        var client = PeerClient(name: "peer", baseURL: peer.baseURL)
        client.pool = pool
        _ = try await client.get("/fast")
        client.pool = nil
        pool = nil
        try await Task.sleep(for: .milliseconds(200)) // the client shuts down on its own queue
    }
}
