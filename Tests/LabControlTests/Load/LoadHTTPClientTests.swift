// The load generator's own HTTP/1.1 client against a real Hummingbird server: keep-alive reuse
// within the connection cap, timeouts that free the connection, refused connections, paths, bodies.

import NIOHTTP1
import XCTest

@testable import LabControl

final class LoadHTTPClientTests: XCTestCase {
    private var server: LoadTestServer!

    override func tearDown() async throws {
        await server?.stop()
        server = nil
    }

    func testConcurrentRequestsShareAtMostTheCappedConnections() async throws {
        server = try await LoadTestServer.start()
        let client = try LoadHTTPClient(target: server.baseURL, maxConnections: 4)
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var statuses: [Int] = []
                    for _ in 0..<25 {
                        statuses.append(
                            try await client.execute(method: .GET, path: "/fast", headers: [:], body: nil, timeout: .seconds(10)))
                    }
                    return statuses
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        await client.shutdown()
        XCTAssertEqual(statuses.count, 400)
        XCTAssertEqual(Set(statuses), [200])
        XCTAssertEqual(server.arrivals.count, 400)
        // 400 requests from 16 concurrent callers over exactly 4 kept-alive connections.
        XCTAssertEqual(client.connectionsOpened, 4)
    }

    func testATimeoutFailsTheRequestAndTheNextOneGetsAFreshConnection() async throws {
        server = try await LoadTestServer.start()
        let client = try LoadHTTPClient(target: server.baseURL, maxConnections: 1)
        let start = ContinuousClock.now
        do {
            _ = try await client.execute(method: .GET, path: "/sleep/3000", headers: [:], body: nil, timeout: .milliseconds(200))
            XCTFail("a 3 s response within a 200 ms timeout")
        } catch let failure as LoadHTTPClient.Failure {
            XCTAssertEqual(failure, .timeout)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(2_000))
        XCTAssertEqual(LoadGenerator.classify(LoadHTTPClient.Failure.timeout), .timeout)

        // The timed-out connection is closed (its late response must not answer the next request),
        // and the single slot is free again.
        let status = try await client.execute(method: .GET, path: "/status/418", headers: [:], body: nil, timeout: .seconds(5))
        XCTAssertEqual(status, 418)
        XCTAssertEqual(client.connectionsOpened, 2)
        await client.shutdown()
    }

    func testARefusedConnectionFailsAtOnceAsAConnectionError() async throws {
        let port = try LoadTestServer.unusedPort()
        let client = try LoadHTTPClient(target: "http://127.0.0.1:\(port)", maxConnections: 2)
        let start = ContinuousClock.now
        do {
            _ = try await client.execute(method: .GET, path: "/fast", headers: [:], body: nil, timeout: .seconds(10))
            XCTFail("nothing listens on \(port)")
        } catch {
            guard case LoadHTTPClient.Failure.cannotConnect = error else { return XCTFail("\(error)") }
            XCTAssertEqual(LoadGenerator.classify(error), .connectionError)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        await client.shutdown()
    }

    func testTheTargetsPathPrefixHostHeaderAndBodyReachTheServer() async throws {
        server = try await LoadTestServer.start()
        let client = try LoadHTTPClient(target: server.baseURL + "/items/", maxConnections: 1)
        var headers = HTTPHeaders()
        headers.add(name: "idempotency-key", value: "k-1")
        let status = try await client.execute(method: .POST, path: "/7", headers: headers, body: #"{"n":1}"#, timeout: .seconds(5))
        await client.shutdown()
        XCTAssertEqual(status, 200)
        let arrival = try XCTUnwrap(server.arrivals.first)
        XCTAssertEqual(arrival.path, "/items/7")
        // (The Host header is there — an HTTP/1.1 server answers 400 without it — but HTTPTypes
        // moves it into the request's authority, so the arrival log does not list it.)
        XCTAssertEqual(arrival.headers["idempotency-key"], "k-1")
        XCTAssertEqual(arrival.headers["content-length"], "7")
    }

    func testTargetsThatAreNotPlainHTTPAreRejectedWithTheField() {
        XCTAssertThrowsError(try LoadHTTPClient(target: "https://example.org", maxConnections: 1)) { error in
            XCTAssertEqual((error as? LoadPlanError)?.field, "target")
        }
        XCTAssertThrowsError(try LoadHTTPClient(target: "http://:80", maxConnections: 1))
    }
}
