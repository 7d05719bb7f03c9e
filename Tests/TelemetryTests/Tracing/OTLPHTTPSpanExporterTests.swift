import XCTest

@testable import Telemetry

final class OTLPHTTPSpanExporterTests: XCTestCase {
    private let resource = TelemetryConfiguration(serviceName: "exporter-test").resource

    private func exporter(
        _ transport: any OTLPTransport, sleeps: RecordedSleeps, timeout: Duration = .seconds(30),
        retry: RetryPolicy = RetryPolicy()
    ) -> OTLPHTTPSpanExporter {
        OTLPHTTPSpanExporter(
            endpoint: "http://collector.test:4318/v1/traces", transport: transport, resource: resource,
            timeout: timeout, retryPolicy: retry, sleep: sleeps.sleep)
    }

    func testPostsProtobufWithResourceScopeAndSpans() async throws {
        let transport = ScriptedTransport()
        let result = await exporter(transport, sleeps: RecordedSleeps()).export([makeSpan(0), makeSpan(1)])
        XCTAssertEqual(result, .success)
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.url, "http://collector.test:4318/v1/traces")
        XCTAssertEqual(request.contentType, "application/x-protobuf")
        let decoded = try OTLP.ExportTraceServiceRequest(protobuf: request.body)
        XCTAssertEqual(decoded.resourceSpans.count, 1)
        XCTAssertEqual(decoded.resourceSpans[0].resource, resource)
        XCTAssertEqual(decoded.resourceSpans[0].scopeSpans[0].scope.name, TelemetryConfiguration.sdkName)
        XCTAssertEqual(decoded.resourceSpans[0].scopeSpans[0].spans, [makeSpan(0).otlp, makeSpan(1).otlp])
    }

    func testRetries503HonouringRetryAfter() async throws {
        let transport = ScriptedTransport([.status(503, retryAfter: "7"), .status(200)])
        let sleeps = RecordedSleeps()
        let result = await exporter(transport, sleeps: sleeps).export([makeSpan(0)])
        XCTAssertEqual(result, .success)
        XCTAssertEqual(transport.requests.count, 2)
        XCTAssertEqual(sleeps.all, [.seconds(7)])
        XCTAssertEqual(transport.requests[0].body, transport.requests[1].body, "a retry resends the same batch")
    }

    func testEveryRetryableStatusIsRetried() async {
        for code in [429, 502, 503, 504] {
            let transport = ScriptedTransport([.status(code)])
            let result = await exporter(transport, sleeps: RecordedSleeps()).export([makeSpan(0)])
            XCTAssertEqual(result, .success, "HTTP \(code)")
            XCTAssertEqual(transport.requests.count, 2, "HTTP \(code) is retried once, then succeeds")
        }
    }

    func testNoRetryOnOtherErrors() async {
        for code in [400, 401, 404, 413, 500, 501] {
            let transport = ScriptedTransport([.status(code)])
            let sleeps = RecordedSleeps()
            let result = await exporter(transport, sleeps: sleeps).export([makeSpan(0)])
            XCTAssertEqual(result, .failure("HTTP \(code) from http://collector.test:4318/v1/traces (not retryable)"))
            XCTAssertEqual(transport.requests.count, 1, "HTTP \(code) must not be retried")
            XCTAssertEqual(sleeps.all, [])
        }
    }

    func testTransportErrorsBackOffExponentiallyWithJitterUpToTheCap() async {
        let transport = ScriptedTransport(otherwise: .connectionRefused)
        let sleeps = RecordedSleeps()
        let policy = RetryPolicy(maxAttempts: 6, initialBackoff: .seconds(1), maxBackoff: .seconds(5), multiplier: 2)
        let result = await exporter(transport, sleeps: sleeps, retry: policy).export([makeSpan(0)])
        guard case .failure(let reason) = result else { return XCTFail("expected failure") }
        XCTAssertTrue(reason.contains("after 6 attempts"), reason)
        XCTAssertEqual(transport.requests.count, 6)
        let caps: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)]
        XCTAssertEqual(sleeps.all.count, caps.count)
        for (delay, cap) in zip(sleeps.all, caps) {
            XCTAssertTrue(delay >= cap / 2 && delay <= cap, "delay \(delay) outside [\(cap / 2), \(cap)]")
        }
    }

    func testGivesUpWhenRetryAfterWouldPassTheExportTimeout() async {
        let transport = ScriptedTransport([.status(429, retryAfter: "120")])
        let sleeps = RecordedSleeps()
        let result = await exporter(transport, sleeps: sleeps, timeout: .seconds(30)).export([makeSpan(0)])
        guard case .failure(let reason) = result else { return XCTFail("expected failure") }
        XCTAssertTrue(reason.contains("export timeout"), reason)
        XCTAssertEqual(transport.requests.count, 1)
        XCTAssertEqual(sleeps.all, [], "no point waiting past the deadline")
    }

    func testAHungTransportCannotHoldTheExportPastItsTimeout() async {
        let transport = HangingTransport()
        defer { transport.release() }
        let result = await exporter(transport, sleeps: RecordedSleeps(), timeout: .milliseconds(300)).export([makeSpan(0)])
        guard case .failure = result else { return XCTFail("a hung export must fail") }
        XCTAssertEqual(transport.calls, 1)
    }

    func testRetryAfterParsing() {
        XCTAssertEqual(RetryPolicy.retryAfterDelay("7"), .seconds(7))
        XCTAssertEqual(RetryPolicy.retryAfterDelay(" 0 "), .seconds(0))
        XCTAssertNil(RetryPolicy.retryAfterDelay("Wed, 21 Oct 2015 07:28:00 GMT"))
        XCTAssertNil(RetryPolicy.retryAfterDelay("-1"))
        XCTAssertNil(RetryPolicy.retryAfterDelay(nil))
    }
}
