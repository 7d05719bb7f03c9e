import Foundation
import LabControl
import XCTest

/// The self-test lab end to end: two `labsvc` processes, a real Redis and a real PostgreSQL.
final class SelfTestLabTests: XCTestCase {
    func testFrontendCallsBackendWhichUsesRedisAndPostgres() async throws {
        let dir = URL(fileURLWithPath: "/tmp/selftest-lab-\(UUID().uuidString.prefix(8))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let redis = try await RedisServer.start(directory: dir.appendingPathComponent("redis"))
        let postgres = try await PostgresServer.start(directory: dir.appendingPathComponent("postgres"))
        addTeardownBlock { await redis.stop(); await postgres.stop() }

        let backend = try await LabsvcProcess.start(
            "selftest", "backend", port: try FreePort.next(), environment: ["REDIS_URL": redis.url, "DATABASE_URL": postgres.url])
        addTeardownBlock { await backend.stop() }
        let frontend = try await LabsvcProcess.start("selftest", "frontend", port: try FreePort.next(), environment: ["BACKEND_URL": backend.baseURL])
        addTeardownBlock { await frontend.stop() }

        let ready = try await backend.get("/readyz")
        XCTAssertEqual(ready.status, 200, ready.body)

        for expected in 1...3 {
            let reply = try await frontend.json("/hello")
            let fromBackend = try XCTUnwrap(reply["backend"] as? [String: Any], "\(reply)")
            XCTAssertEqual(reply["service"] as? String, "selftest-frontend")
            XCTAssertEqual(fromBackend["service"] as? String, "selftest-backend")
            XCTAssertEqual(fromBackend["counter"] as? Int, expected, "INCR in Redis")
            XCTAssertEqual(fromBackend["visits"] as? Int, expected, "INSERT + count in PostgreSQL")
        }

        // Both sides measured the hop.
        let frontMetrics = try await frontend.get("/metrics").body
        XCTAssertTrue(frontMetrics.contains(#"http_client_request_duration_seconds_count{server_address="127.0.0.1",http_request_method="GET",http_response_status_code="200"} 3"#), frontMetrics)
        let backMetrics = try await backend.get("/metrics").body
        XCTAssertTrue(backMetrics.contains(#"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/work",http_response_status_code="200"} 3"#))

        // An injected backend error surfaces at the frontend as 502.
        _ = try await backend.send("PUT", "/admin/faults", body: #"{"error":{"rate":1,"status":503}}"#)
        let failed = try await frontend.get("/hello")
        XCTAssertEqual(failed.status, 502)
        _ = try await backend.send("DELETE", "/admin/faults")

        // Readiness follows each dependency.
        await redis.stop()
        let noRedis = try await backend.get("/readyz")
        XCTAssertEqual(noRedis.status, 503)
        XCTAssertTrue(noRedis.body.contains(#""failed":["redis"]"#), noRedis.body)
        await postgres.stop()
        let neither = try await backend.get("/readyz")
        XCTAssertEqual(neither.status, 503)
        XCTAssertTrue(neither.body.contains(#""failed":["postgres","redis"]"#), neither.body)
    }
}
