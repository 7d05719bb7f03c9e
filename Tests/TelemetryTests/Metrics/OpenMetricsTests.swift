import ServiceContextModule
import XCTest

@testable import Telemetry

/// Golden checks of OpenMetrics 1.0.0 and of exemplars.
final class OpenMetricsTests: XCTestCase {
    func testCounterFamilyIsNamedWithoutTotalButSamplesHaveIt() {
        let registry = MetricsRegistry()
        registry.counter("retry_attempts_total", help: "Retries.", labels: [("outcome", "ok")]).increment(by: 7)
        XCTAssertEqual(
            registry.render(.openMetrics),
            """
            # HELP retry_attempts Retries.
            # TYPE retry_attempts counter
            retry_attempts_total{outcome="ok"} 7
            # EOF

            """)
    }

    func testGaugeAndHistogramGoldenEndWithEOF() {
        let registry = MetricsRegistry(now: fixedNow)
        registry.gauge("circuit_breaker_state", help: "0 closed, 1 open.").set(1)
        let h = registry.histogram("op_seconds", buckets: [0.25, 1])
        h.observe(0.125)
        h.observe(3)
        XCTAssertEqual(
            registry.render(.openMetrics),
            """
            # HELP circuit_breaker_state 0 closed, 1 open.
            # TYPE circuit_breaker_state gauge
            circuit_breaker_state 1
            # TYPE op_seconds histogram
            op_seconds_bucket{le="0.25"} 1
            op_seconds_bucket{le="1.0"} 1
            op_seconds_bucket{le="+Inf"} 2
            op_seconds_sum 3.125
            op_seconds_count 2
            # EOF

            """)
    }

    func testEmptyRegistry() {
        XCTAssertEqual(MetricsRegistry().render(.openMetrics), "# EOF\n")
        XCTAssertEqual(MetricsRegistry().render(.prometheusText), "")
    }

    func testExemplarKeepsLatestSampledObservationPerBucket() {
        let registry = MetricsRegistry(now: fixedNow)
        let h = registry.histogram("http_server_request_duration_seconds", labels: [("http_route", "/items")], buckets: [0.1, 1])
        let other = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: 1)
        inSpan(other) { h.observe(0.05) }
        inSpan(sampledSpan) { h.observe(0.067) } // latest in the 0.1 bucket wins
        h.observe(0.5) // outside any span: no exemplar for the 1.0 bucket
        inSpan(sampledSpan) { h.observe(4) } // lands in +Inf
        let text = registry.render(.openMetrics)
        XCTAssertEqual(
            text,
            """
            # TYPE http_server_request_duration_seconds histogram
            http_server_request_duration_seconds_bucket{http_route="/items",le="0.1"} 2 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"} 0.067 1700000000.123
            http_server_request_duration_seconds_bucket{http_route="/items",le="1.0"} 3
            http_server_request_duration_seconds_bucket{http_route="/items",le="+Inf"} 4 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"} 4 1700000000.123
            http_server_request_duration_seconds_sum{http_route="/items"} 4.617
            http_server_request_duration_seconds_count{http_route="/items"} 4
            # EOF

            """)
    }

    func testExemplarsNeverAppearInPrometheusText() {
        let registry = MetricsRegistry(now: fixedNow)
        let h = registry.histogram("x_seconds", buckets: [1])
        inSpan(sampledSpan) { h.observe(0.5) }
        let text = registry.render(.prometheusText)
        XCTAssertFalse(text.contains("#  {"))
        XCTAssertFalse(text.contains("trace_id"))
        XCTAssertTrue(registry.render(.openMetrics).contains("trace_id=\"\(sampledSpan.traceID.hex)\""))
    }

    func testUnsampledSpanMakesNoExemplar() {
        let registry = MetricsRegistry(now: fixedNow)
        let h = registry.histogram("x_seconds", buckets: [1])
        inSpan(unsampledSpan) { h.observe(0.5) }
        let text = registry.render(.openMetrics)
        XCTAssertTrue(text.contains("x_seconds_bucket{le=\"1.0\"} 1\n"))
        XCTAssertFalse(text.contains("trace_id"))
    }

    func testExemplarFollowsTheTaskLocalContextAcrossAwait() async {
        let registry = MetricsRegistry(now: fixedNow)
        let h = registry.histogram("async_seconds", buckets: [1])
        var context = ServiceContext.topLevel
        context.spanContext = sampledSpan
        await ServiceContext.withValue(context) {
            await Task.yield()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { h.observe(0.25) } // child tasks inherit the context
            }
        }
        XCTAssertTrue(registry.render(.openMetrics).contains("span_id=\"00f067aa0ba902b7\"} 0.25 1700000000.123\n"))
    }

    func testOverlongExemplarLabelSetIsLeftOut() {
        let long = Exemplar(traceID: String(repeating: "a", count: 120), spanID: "b", value: 1, timestamp: 0)
        XCTAssertNil(ExpositionWriter.exemplarText(long))
        let ok = Exemplar(traceID: sampledSpan.traceID.hex, spanID: sampledSpan.spanID.hex, value: 1, timestamp: 0)
        XCTAssertEqual(
            ExpositionWriter.exemplarText(ok), " # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1 0.000")
    }
}

final class ContentNegotiationTests: XCTestCase {
    func testWhatPrometheusSendsSelectsOpenMetrics() {
        let prometheus =
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        XCTAssertEqual(ExpositionFormat.negotiate(accept: prometheus), .openMetrics)
    }

    func testDefaultsAndTextPreferences() {
        XCTAssertEqual(ExpositionFormat.negotiate(accept: nil), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: ""), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "*/*"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "text/plain"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/json"), .prometheusText)
        // Prometheus configured for text first.
        XCTAssertEqual(
            ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5"),
            .prometheusText)
    }

    func testQValuesAndParametersAreParsed() {
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text"), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "Application/OpenMetrics-Text; Version=1.0.0; charset=utf-8"), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text; q=0"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "text/plain;q=0.2, application/openmetrics-text ;q=0.9"), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=2.0.0"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=bogus,text/plain;q=0.1"), .prometheusText)
    }

    func testExpositionReturnsMatchingContentTypeAndBody() {
        let registry = MetricsRegistry()
        registry.counter("c").increment()
        let text = registry.exposition(accept: nil)
        XCTAssertEqual(text.contentType, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(text.body, "# TYPE c_total counter\nc_total 1\n")
        let om = registry.exposition(accept: "application/openmetrics-text;version=1.0.0")
        XCTAssertEqual(om.contentType, "application/openmetrics-text; version=1.0.0; charset=utf-8")
        XCTAssertEqual(om.body, "# TYPE c counter\nc_total 1\n# EOF\n")
    }
}
