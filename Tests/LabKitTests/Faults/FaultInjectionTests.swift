import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Synchronization
import XCTest

@testable import LabKit

final class FaultInjectionTests: XCTestCase {
    private func startTwoRouteService(_ environment: [String: String] = [:]) async throws -> RunningService {
        try await RunningService.start(name: "faults-test", environment: environment) { service in
            service.router.get("/chosen") { _, _ in "chosen" }
            service.router.get("/other") { _, _ in "other" }
            service.router.get("/items/{id}") { _, _ in "item" }
        }
    }

    func testLatencyIsAddedOnlyToTheChosenRoute() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        let put = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"latency":{"fixed_ms":800,"route":"/chosen"}}"#)
        XCTAssertEqual(put.status, 200, put.body)

        // Our own trace ids, so the spans we look at are this test's.
        let traceID = TraceID.random().hex
        let traceparent = [("traceparent", "00-\(traceID)-\(SpanID.random().hex)-01")]
        let (chosen, slow) = try await timed { try await http(.GET, svc.baseURL + "/chosen", headers: traceparent) }
        let (other, fast) = try await timed { try await http(.GET, svc.baseURL + "/other", headers: traceparent) }
        XCTAssertEqual(chosen.status, 200)
        XCTAssertEqual(other.status, 200)
        XCTAssertGreaterThanOrEqual(slow, 0.8, "the chosen route waits at least fixed_ms")
        XCTAssertLessThan(fast, 0.6, "other routes are not delayed")

        let spans = try await TestTelemetry.spans(named: "GET /chosen", where: { $0.traceHex == traceID })
        XCTAssertEqual(spans.map { $0.attribute("fault.injected") }, [.string("latency")])
        let otherSpans = try await TestTelemetry.spans(named: "GET /other", where: { $0.traceHex == traceID })
        XCTAssertEqual(otherSpans.count, 1)
        XCTAssertNil(otherSpans.first?.attribute("fault.injected"))
    }

    func testLatencyRouteMatchesARoutePatternToo() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"latency":{"fixed_ms":600,"route":"/items/{id}"}}"#)
        let (_, seconds) = try await timed { try await http(.GET, svc.baseURL + "/items/7") }
        XCTAssertGreaterThanOrEqual(seconds, 0.6)
    }

    func testErrorRateOneAnswersTheChosenStatusAndShowsAsAMetric() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        let put = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"error":{"rate":1.0,"status":503,"route":"/chosen"}}"#)
        XCTAssertEqual(put.status, 200, put.body)
        for _ in 0..<5 {
            let chosen = try await http(.GET, svc.baseURL + "/chosen")
            XCTAssertEqual(chosen.status, 503)
        }
        let answer1 = try await http(.GET, svc.baseURL + "/other")
        XCTAssertEqual(answer1.status, 200)

        var metrics = try await http(.GET, svc.baseURL + "/metrics").body
        XCTAssertTrue(metrics.contains(#"fault_injection_active{kind="error"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"fault_injection_active{kind="latency"} 0"#), metrics)
        XCTAssertTrue(
            metrics.contains(#"http_route="/chosen",http_response_status_code="503"}"#), "injected errors are measured like real ones")

        let spans = try await TestTelemetry.spans(named: "GET /chosen", where: { $0.attribute("fault.injected") == .string("error") })
        XCTAssertTrue(
            spans.contains { $0.attribute("fault.injected") == .string("error") && $0.attribute("http.response.status_code") == .int(503) })

        let cleared = try await http(.DELETE, svc.baseURL + "/admin/faults")
        XCTAssertEqual(cleared.status, 200)
        let answer2 = try await http(.GET, svc.baseURL + "/admin/faults")
        XCTAssertEqual(answer2.json, [:])
        let answer3 = try await http(.GET, svc.baseURL + "/chosen")
        XCTAssertEqual(answer3.status, 200, "DELETE clears the fault")
        metrics = try await http(.GET, svc.baseURL + "/metrics").body
        XCTAssertTrue(metrics.contains(#"fault_injection_active{kind="error"} 0"#), metrics)
    }

    func testErrorRateHalfFailsRoughlyHalf() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"error":{"rate":0.5,"status":500}}"#)
        var failures = 0
        for _ in 0..<200 where try await http(.GET, svc.baseURL + "/other").status == 500 { failures += 1 }
        XCTAssert((50...150).contains(failures), "\(failures)/200 failed at rate 0.5")
    }

    func testHangNeverAnswersUntilClearedThenReleasesTheRequest() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"hang":{"route":"/chosen"}}"#)

        do {
            let answer = try await http(.GET, svc.baseURL + "/chosen", timeout: .milliseconds(700))
            XCTFail("a hung route answered: \(answer.status)")
        } catch let error as HTTPClientError {
            XCTAssertEqual(error, .deadlineExceeded)
        }
        let answer4 = try await http(.GET, svc.baseURL + "/other")
        XCTAssertEqual(answer4.status, 200, "other routes are not hung")

        let parked = Task { try await http(.GET, svc.baseURL + "/chosen", timeout: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(500))
        _ = try await http(.DELETE, svc.baseURL + "/admin/faults")
        let released = try await parked.value
        XCTAssertEqual(released.status, 200, "clearing the hang releases held requests")
        XCTAssertEqual(released.body, "chosen")
    }

    func testBadFaultBodiesAre400NamingTheField() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        let cases: [(String, String)] = [
            (#"{"latency":{"fixed_ms":"slow"}}"#, "field 'latency.fixed_ms': expected a non-negative number"),
            (#"{"latency":{"fixed_ms":-5}}"#, "field 'latency.fixed_ms': expected a non-negative number"),
            (#"{"latency":{}}"#, "field 'latency.fixed_ms': required, expected a non-negative number"),
            (#"{"latency":{"fixed_ms":5,"fraction":1.5}}"#, "field 'latency.fraction': expected a number between 0 and 1"),
            (#"{"error":{"rate":2}}"#, "field 'error.rate': expected a number between 0 and 1"),
            (#"{"error":{"status":200}}"#, "field 'error.status': expected an HTTP error status between 400 and 599"),
            (#"{"hang":{"route":5}}"#, "field 'hang.route': expected a non-empty string"),
            (#"{"latncy":{"fixed_ms":5}}"#, "field 'latncy': unknown field (expected one of: abort, error, hang, latency)"),
            (
                #"{"latency":{"fixed_sm":5}}"#,
                "field 'latency.fixed_sm': unknown field (expected one of: fixed_ms, fraction, jitter_ms, route)"
            ),
            (#"{"latency": "#, "body is not valid JSON"),
            (#"[1,2]"#, "body: expected a JSON object"),
        ]
        for (body, message) in cases {
            let answer = try await http(.PUT, svc.baseURL + "/admin/faults", body: body)
            XCTAssertEqual(answer.status, 400, body)
            XCTAssertEqual(answer.json["error"], .string(message), body)
        }
        let answer5 = try await http(.GET, svc.baseURL + "/admin/faults")
        XCTAssertEqual(answer5.json, [:], "a rejected body changes nothing")
    }

    func testPutReplacesTheWholeSetAndGetShowsIt() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"latency":{"fixed_ms":10,"jitter_ms":5},"error":{"rate":0.1}}"#)
        let shown = try await http(.GET, svc.baseURL + "/admin/faults")
        XCTAssertEqual(
            shown.json,
            ["latency": ["fixed_ms": 10, "jitter_ms": 5, "fraction": 1], "error": ["rate": 0.1, "status": 500]])
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"hang":{"fraction":0.25}}"#)
        let answer6 = try await http(.GET, svc.baseURL + "/admin/faults")
        XCTAssertEqual(answer6.json, ["hang": ["fraction": 0.25]])
        _ = try await http(.DELETE, svc.baseURL + "/admin/faults")
    }

    func testBuiltinRoutesAreNeverFaulted() async throws {
        let svc = try await startTwoRouteService()
        addTeardownBlock { await svc.stop() }
        _ = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"error":{"rate":1,"status":500},"latency":{"fixed_ms":2000}}"#)
        let (health, seconds) = try await timed { try await http(.GET, svc.baseURL + "/healthz") }
        XCTAssertEqual(health.status, 200)
        let answer7 = try await http(.GET, svc.baseURL + "/metrics")
        XCTAssertEqual(answer7.status, 200)
        XCTAssertLessThan(seconds, 1.5)
        _ = try await http(.DELETE, svc.baseURL + "/admin/faults")
    }

    func testAdminTokenIsRequiredWhenConfigured() async throws {
        let svc = try await startTwoRouteService(["LAB_ADMIN_TOKEN": "s3cret"])
        addTeardownBlock { await svc.stop() }
        let anonymous = try await http(.PUT, svc.baseURL + "/admin/faults", body: #"{"error":{"rate":1}}"#)
        XCTAssertEqual(anonymous.status, 403, "even loopback callers need the token once it is set")
        let wrong = try await http(.GET, svc.baseURL + "/admin/config", headers: [("authorization", "Bearer nope")])
        XCTAssertEqual(wrong.status, 403)
        let answer8 = try await http(.GET, svc.baseURL + "/chosen")
        XCTAssertEqual(answer8.status, 200, "the rejected PUT changed nothing")

        let authorised = try await http(
            .PUT, svc.baseURL + "/admin/faults", headers: [("authorization", "Bearer s3cret")], body: #"{"error":{"rate":1,"status":502}}"#)
        XCTAssertEqual(authorised.status, 200)
        let answer9 = try await http(.GET, svc.baseURL + "/chosen")
        XCTAssertEqual(answer9.status, 502)

        // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            let lower = try await http(.GET, svc.baseURL + "/admin/config", headers: [("authorization", "\(scheme) s3cret")])
            XCTAssertEqual(lower.status, 200, "scheme '\(scheme)'")
        }
        let wrongCase = try await http(.GET, svc.baseURL + "/admin/config", headers: [("authorization", "Bearer S3CRET")])
        XCTAssertEqual(wrongCase.status, 403)
    }

    func testBearerSchemeParsing() {
        XCTAssertTrue(AdminGuard.presentsBearer("t0k", "Bearer t0k"))
        XCTAssertTrue(AdminGuard.presentsBearer("t0k", "bearer t0k"))
        XCTAssertTrue(AdminGuard.presentsBearer("t0k", "BEARER   t0k"))
        XCTAssertFalse(AdminGuard.presentsBearer("t0k", "Basic t0k"))
        XCTAssertFalse(AdminGuard.presentsBearer("t0k", "Bearer t0kk"))
        XCTAssertFalse(AdminGuard.presentsBearer("t0k", "Bearer"))
        XCTAssertFalse(AdminGuard.presentsBearer("t0k", "t0k"))
        XCTAssertFalse(AdminGuard.presentsBearer("t0k", nil))
    }

    func testOnlyLoopbackAddressesCountAsInternal() throws {
        XCTAssertTrue(AdminGuard.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        XCTAssertTrue(AdminGuard.isLoopback(try SocketAddress(ipAddress: "127.3.4.5", port: 1)))
        XCTAssertTrue(AdminGuard.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
        XCTAssertFalse(AdminGuard.isLoopback(try SocketAddress(ipAddress: "10.0.0.7", port: 1)))
        XCTAssertFalse(AdminGuard.isLoopback(try SocketAddress(ipAddress: "128.0.0.1", port: 1)))
        XCTAssertFalse(AdminGuard.isLoopback(try SocketAddress(ipAddress: "fe80::1", port: 1)))
        XCTAssertFalse(AdminGuard.isLoopback(nil))
    }

    /// A caller on a non-loopback interface is refused (skipped when the machine has only loopback).
    func testNonLoopbackCallerIsRefused() async throws {
        guard let external = Self.firstNonLoopbackIPv4() else { throw XCTSkip("no non-loopback IPv4 interface") }
        let svc = try await RunningService.start(name: "faults-remote", environment: ["HOST": "0.0.0.0"]) { service in
            service.router.get("/x") { _, _ in "x" }
        }
        addTeardownBlock { await svc.stop() }
        let remote = try await http(.GET, "http://\(external):\(svc.port)/admin/faults")
        XCTAssertEqual(remote.status, 403)
        let answer10 = try await http(.GET, "http://\(external):\(svc.port)/x")
        XCTAssertEqual(answer10.status, 200)
        let answer11 = try await http(.GET, "http://127.0.0.1:\(svc.port)/admin/faults")
        XCTAssertEqual(answer11.status, 200)
    }

    private static func firstNonLoopbackIPv4() -> String? {
        guard let interfaces = try? System.enumerateDevices() else { return nil }
        return interfaces.compactMap { device -> String? in
            guard case .v4? = device.address, let ip = device.address?.ipAddress, !ip.hasPrefix("127.") else { return nil }
            return ip
        }.first
    }
}
