import Foundation
import HTTPTypes
import NIOHTTP1
import Synchronization
import XCTest

@testable import LabKit

final class LabServiceTests: XCTestCase {
    func testServerSpanIsNamedByRouteAndContinuesTheIncomingTrace() async throws {
        let svc = try await RunningService.start(name: "span-test") { service in
            service.router.get("/items/{id}") { _, context in "item \(context.parameters.get("id") ?? "?")" }
        }
        addTeardownBlock { await svc.stop() }
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let parentID = "00f067aa0ba902b7"
        let answer = try await http(.GET, svc.baseURL + "/items/42", headers: [("traceparent", "00-\(traceID)-\(parentID)-01")])
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, "item 42")

        let spans = try await TestTelemetry.spans(named: "GET /items/{id}", where: { $0.traceHex == traceID })
        let span = try XCTUnwrap(spans.first, "no server span named by the route in the incoming trace")
        XCTAssertEqual(span.parentHex, parentID, "the incoming traceparent is the parent")
        XCTAssertEqual(span.kind, 2, "SPAN_KIND_SERVER")
        XCTAssertEqual(span.attribute("http.request.method"), .string("GET"))
        XCTAssertEqual(span.attribute("http.route"), .string("/items/{id}"))
        XCTAssertEqual(span.attribute("url.path"), .string("/items/42"))
        XCTAssertEqual(span.attribute("http.response.status_code"), .int(200))
    }

    func testMetricsExposeTheServerDurationHistogramWithRouteLabels() async throws {
        let svc = try await RunningService.start(name: "metrics-test") { service in
            service.router.get("/metrics-test/{id}") { _, _ in "ok" }
            service.router.get("/metrics-test-fail") { _, _ -> String in throw HTTPError(.conflict) }
        }
        addTeardownBlock { await svc.stop() }
        for i in 0..<3 { _ = try await http(.GET, svc.baseURL + "/metrics-test/\(i)") }
        _ = try await http(.GET, svc.baseURL + "/metrics-test-fail")

        let text = try await http(.GET, svc.baseURL + "/metrics")
        XCTAssertTrue(text.headers.first(name: "content-type")?.hasPrefix("text/plain") ?? false)
        XCTAssertTrue(text.body.contains("# TYPE http_server_request_duration_seconds histogram"), text.body)
        XCTAssertTrue(
            text.body.contains(
                #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/metrics-test/{id}",http_response_status_code="200"} 3"#
            ),
            text.body)
        XCTAssertTrue(
            text.body.contains(
                #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/metrics-test-fail",http_response_status_code="409"} 1"#
            ),
            text.body)

        let openMetrics = try await http(
            .GET, svc.baseURL + "/metrics", headers: [("accept", "application/openmetrics-text; version=1.0.0")])
        XCTAssertTrue(openMetrics.headers.first(name: "content-type")?.hasPrefix("application/openmetrics-text") ?? false)
        XCTAssertTrue(openMetrics.body.hasSuffix("# EOF\n"))
        XCTAssertTrue(openMetrics.body.contains("trace_id="), "histogram samples recorded inside the span carry exemplars")
    }

    func testReadinessAnswers503NamingTheFailingCheck() async throws {
        let healthy = Mutex(true)
        let svc = try await RunningService.start(name: "ready-test") { service in
            service.addReadinessCheck("cache") {}
            service.addReadinessCheck("database") {
                struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
                if !healthy.withLock({ $0 }) { throw Down() }
            }
        }
        addTeardownBlock { await svc.stop() }
        let ready = try await http(.GET, svc.baseURL + "/readyz")
        XCTAssertEqual(ready.status, 200)
        XCTAssertEqual(ready.json["status"], "ready")

        healthy.withLock { $0 = false }
        let notReady = try await http(.GET, svc.baseURL + "/readyz")
        XCTAssertEqual(notReady.status, 503)
        XCTAssertEqual(notReady.json["failed"], ["database"])
        XCTAssertEqual(notReady.json["errors"]?["database"], "connection refused")

        let live = try await http(.GET, svc.baseURL + "/healthz")
        XCTAssertEqual(live.status, 200, "liveness does not depend on dependencies")
    }

    func testReadinessCheckThatNeverAnswersTimesOut() async throws {
        let svc = try await RunningService.start(name: "ready-hang") { service in
            service.addReadinessCheck("stuck") { try await Task.sleep(for: .seconds(60)) }
        }
        addTeardownBlock { await svc.stop() }
        let (answer, seconds) = try await timed { try await http(.GET, svc.baseURL + "/readyz") }
        XCTAssertEqual(answer.status, 503)
        XCTAssertEqual(answer.json["failed"], ["stuck"])
        XCTAssertLessThan(seconds, 10)
    }

    func testGracefulShutdownLetsAnInFlightRequestFinish() async throws {
        let svc = try await RunningService.start(name: "drain-test") { service in
            service.router.get("/slow") { _, _ in
                try await Task.sleep(for: .milliseconds(1500))
                return "finished"
            }
        }
        let inFlight = Task { try await http(.GET, svc.baseURL + "/slow") }
        try await Task.sleep(for: .milliseconds(300))
        await svc.stop()
        let answer = try await inFlight.value
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, "finished")
        do {
            _ = try await http(.GET, svc.baseURL + "/healthz", timeout: .seconds(2))
            XCTFail("the server should be closed after shutdown")
        } catch {}
    }

    func testConfigIsReadByLabCodeAndRoundTripsThroughAdmin() async throws {
        let svc = try await RunningService.start(name: "config-test", environment: ["LAB_CONFIG": #"{"strategy":"before","retries":1}"#]) {
            service in
            service.router.get("/strategy") { _, context in
                "\(context.config.string("strategy") ?? "none") \(context.config.int("retries") ?? -1) \(context.config.bool("cache", default: false)!)"
            }
        }
        addTeardownBlock { await svc.stop() }
        var answer = try await http(.GET, svc.baseURL + "/strategy")
        XCTAssertEqual(answer.body, "before 1 false")

        let put = try await http(.PUT, svc.baseURL + "/admin/config", body: #"{"strategy":"after","retries":3,"cache":true}"#)
        XCTAssertEqual(put.status, 200)
        XCTAssertEqual(put.json, ["strategy": "after", "retries": 3, "cache": true])
        answer = try await http(.GET, svc.baseURL + "/strategy")
        XCTAssertEqual(answer.body, "after 3 true")

        let get = try await http(.GET, svc.baseURL + "/admin/config")
        XCTAssertEqual(get.json, ["strategy": "after", "retries": 3, "cache": true])

        let unset = try await http(.PUT, svc.baseURL + "/admin/config", body: #"{"cache":null}"#)
        XCTAssertEqual(unset.json, ["strategy": "after", "retries": 3])

        let bad = try await http(.PUT, svc.baseURL + "/admin/config", body: #"{"limits":{"max":3}}"#)
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.json["error"], "field 'limits': expected a string, number, bool or null")

        let metrics = try await http(.GET, svc.baseURL + "/metrics").body
        XCTAssertTrue(metrics.contains(#"lab_config_value{key="retries"} 3"#), metrics)
        XCTAssertTrue(metrics.contains(#"lab_config_info{key="strategy",value="after"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"lab_config_info{key="strategy",value="before"} 0"#), metrics)
    }

    func testBadStartupConfigurationIsAClearError() throws {
        // LabService bootstraps the process's telemetry; let the tests' pipeline be the one that wins,
        // or this test (first in the class) would leave every later one without captured spans.
        _ = TestTelemetry.telemetry
        XCTAssertThrowsError(try LabService(name: "x", environment: ["PORT": "eighty"])) { error in
            XCTAssertEqual("\(error)", "PORT=eighty: expected a whole number in 0...65535")
        }
        XCTAssertThrowsError(try LabService(name: "x", environment: ["LAB_CONFIG": "{not json"])) { error in
            XCTAssertEqual("\(error)", "LAB_CONFIG: body is not valid JSON")
        }
    }
}

final class ClientDisconnectTests: XCTestCase {
    func testWorkIsCancelledWhenTheClientGivesUp() async throws {
        let outcome = ResilienceBox<String?>(nil)
        let svc = try await RunningService.start(name: "disconnect-test") { service in
            service.router.get("/work") { request, _ -> Response in
                try await request.cancellingOnClientDisconnect {
                    do {
                        try await Task.sleep(for: .seconds(10))
                        outcome.update { $0 = "finished" }
                    } catch {
                        outcome.update { $0 = "cancelled" }
                        throw error
                    }
                    return Response(status: .ok)
                }
            }
            service.router.get("/quick") { request, _ -> Response in
                try await request.cancellingOnClientDisconnect { .json("quick") }
            }
        }
        defer { Task { await svc.stop() } }
        // The client waits 300 ms, then closes the connection.
        let (_, seconds) = await timed { try? await http(.GET, svc.baseURL + "/work", timeout: .milliseconds(300)) }
        XCTAssertLessThan(seconds, 5)
        try await eventually { outcome.value != nil }
        XCTAssertEqual(outcome.value, "cancelled", "the server stopped the work when the client left")
        let metrics = try await http(.GET, svc.baseURL + "/metrics")
        XCTAssertTrue(
            metrics.body.contains(#"http_route="/work",http_response_status_code="499""#), "the abandoned request is counted as 499")
        for _ in 1...3 { // one after another: the connection is closed after each answer, the next one opens anew
            let answer = try await http(.GET, svc.baseURL + "/quick")
            XCTAssertEqual(answer.status, 200)
            XCTAssertEqual(answer.json, "quick", "a client that stays gets its answer")
            XCTAssertEqual(answer.headers["connection"].first, "close", "and is told not to reuse the connection")
        }
    }
}
