import Foundation
import LabControl
import Telemetry
import XCTest

/// The self-test lab end to end: two `labsvc` processes, a real Redis and a real PostgreSQL.
final class SelfTestLabTests: XCTestCase {
    func testFrontendCallsBackendWhichUsesRedisAndPostgres() async throws {
        let dir = URL(fileURLWithPath: "/tmp/selftest-lab-\(UUID().uuidString.prefix(8))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let redis = try await RedisServer.start(directory: dir.appendingPathComponent("redis"))
        let postgres = try await PostgresServer.start(directory: dir.appendingPathComponent("postgres"))
        addTeardownBlock {
            await redis.stop()
            await postgres.stop()
        }

        let backend = try await LabsvcProcess.start(
            "selftest", "backend", port: try FreePort.next(), environment: ["REDIS_URL": redis.url, "DATABASE_URL": postgres.url])
        addTeardownBlock { await backend.stop() }
        let frontend = try await LabsvcProcess.start(
            "selftest", "frontend", port: try FreePort.next(), environment: ["BACKEND_URL": backend.baseURL])
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
        XCTAssertTrue(
            frontMetrics.contains(
                #"http_client_request_duration_seconds_count{server_address="127.0.0.1",http_request_method="GET",http_response_status_code="200"} 3"#
            ), frontMetrics)
        let backMetrics = try await backend.get("/metrics").body
        XCTAssertTrue(
            backMetrics.contains(
                #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/work",http_response_status_code="200"} 3"#
            ))

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

/// Spans leave each `labsvc` process over OTLP/HTTP (our AsyncHTTPClient transport) and arrive at
/// the control plane's receiver as one trace spanning both services and their databases.
final class SelfTestTracingTests: XCTestCase {
    func testOneTraceSpansBothServicesAndTheirDatabases() async throws {
        let dir = URL(fileURLWithPath: "/tmp/selftest-trace-\(UUID().uuidString.prefix(8))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let store = try TraceStore(directory: dir.appendingPathComponent("traces").path)
        let receiver = OTLPReceiver(store: store, configuration: .init(port: 0, forwarder: nil))
        _ = try await receiver.start()
        addTeardownBlock { await receiver.stop() }
        let endpoint = try XCTUnwrap(receiver.endpoint)
        let redis = try await RedisServer.start(directory: dir.appendingPathComponent("redis"))
        let postgres = try await PostgresServer.start(directory: dir.appendingPathComponent("postgres"))
        addTeardownBlock {
            await redis.stop()
            await postgres.stop()
        }

        let otel = ["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_EXPORTER": "otlp", "OTEL_BSP_SCHEDULE_DELAY": "100"]
        let backend = try await LabsvcProcess.start(
            "selftest", "backend", port: try FreePort.next(),
            environment: otel.merging(["REDIS_URL": redis.url, "DATABASE_URL": postgres.url]) { a, _ in a })
        addTeardownBlock { await backend.stop() }
        let frontend = try await LabsvcProcess.start(
            "selftest", "frontend", port: try FreePort.next(), environment: otel.merging(["BACKEND_URL": backend.baseURL]) { a, _ in a })
        addTeardownBlock { await frontend.stop() }

        let traceID = TraceID.random()
        let callerSpan = SpanID.random()
        let reply = try await frontend.send("GET", "/hello", headers: [("traceparent", "00-\(traceID.hex)-\(callerSpan.hex)-01")])
        XCTAssertEqual(reply.status, 200, reply.body)

        // Each process exports on its own schedule: wait for both services' spans (the backend's five
        // can arrive before the frontend's two).
        var spans: [TraceSpan] = []
        for _ in 0..<100 {
            spans = try store.trace(traceID)?.spans ?? []
            if spans.filter({ $0.serviceName == "selftest-frontend" }).count >= 2
                && spans.filter({ $0.serviceName == "selftest-backend" }).count >= 5
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        func find(_ name: String, _ service: String, kind: Int32) throws -> TraceSpan {
            try XCTUnwrap(
                spans.first { $0.span.name == name && $0.serviceName == service && $0.span.kind == kind },
                "no \(name) span from \(service) in \(spans.map { "\($0.serviceName): \($0.span.name)" })")
        }
        let hello = try find("GET /hello", "selftest-frontend", kind: 2)
        let call = try find("GET /work", "selftest-frontend", kind: 3)
        let work = try find("GET /work", "selftest-backend", kind: 2)
        let incr = try find("INCR", "selftest-backend", kind: 3)
        let insert = try find("INSERT", "selftest-backend", kind: 3)
        XCTAssertEqual(hello.parentSpanID, callerSpan, "the frontend continued our trace")
        XCTAssertEqual(call.parentSpanID, hello.spanID)
        XCTAssertEqual(work.parentSpanID, call.spanID, "traceparent crossed the process boundary")
        XCTAssertEqual(incr.parentSpanID, work.spanID)
        XCTAssertEqual(insert.parentSpanID, work.spanID)
        XCTAssertEqual(
            insert.span.attributes.first { $0.key == "db.query.text" }?.value, .string("INSERT INTO selftest_visits (service) VALUES ($1)"))
    }

    func testSpansStillBufferedAtSIGTERMAreFlushedBeforeExit() async throws {
        let dir = URL(fileURLWithPath: "/tmp/selftest-flush-\(UUID().uuidString.prefix(8))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let store = try TraceStore(directory: dir.appendingPathComponent("traces").path)
        let receiver = OTLPReceiver(store: store, configuration: .init(port: 0, forwarder: nil))
        _ = try await receiver.start()
        addTeardownBlock { await receiver.stop() }
        // A one-minute batch delay: only the shutdown flush can deliver the span in time.
        let backend = try await LabsvcProcess.start(
            "selftest", "backend", port: try FreePort.next(),
            environment: [
                "OTEL_EXPORTER_OTLP_ENDPOINT": try XCTUnwrap(receiver.endpoint), "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_BSP_SCHEDULE_DELAY": "60000",
            ])
        addTeardownBlock { await backend.stop() }

        let traceID = TraceID.random()
        let reply = try await backend.send("GET", "/work", headers: [("traceparent", "00-\(traceID.hex)-\(SpanID.random().hex)-01")])
        XCTAssertEqual(reply.status, 200)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertNil(try store.trace(traceID), "still buffered in the batch processor")

        backend.sigterm()
        let exit = await backend.waitForExit()
        XCTAssertEqual(exit.status, 0)
        let spans = try store.trace(traceID)?.spans ?? []
        XCTAssertEqual(spans.map(\.span.name), ["GET /work"], "flushed on the way out")
    }

    func testSIGTERMEndsTheProcessEvenWhenARequestNeverFinishes() async throws {
        let backend = try await LabsvcProcess.start("selftest", "backend", port: try FreePort.next())
        addTeardownBlock { await backend.stop() }
        let hung = Task { try? await backend.get("/hang", timeout: 30) }
        defer { hung.cancel() }
        try await Task.sleep(for: .milliseconds(300))

        let start = Date()
        backend.sigterm()
        let exit = await backend.waitForExit(timeout: 20)
        let took = Date().timeIntervalSince(start)
        XCTAssertEqual(exit.reason, .exit, "ended by itself, not killed by the test after 20 s")
        XCTAssertEqual(exit.status, 0)
        // shutdownGrace (3 s) for the request, 1 s for cancellation, then the process exits without it.
        XCTAssertLessThan(took, 15, "a hung request must not hold the process until it is killed")
    }
}
