import XCTest

@testable import Telemetry

final class NamesAndEscapingTests: XCTestCase {
    func testMetricNamesAreSanitised() {
        XCTAssertEqual(PrometheusNames.metricName("http.server.request.duration"), "http_server_request_duration")
        XCTAssertEqual(PrometheusNames.metricName("9lives"), "_9lives")
        XCTAssertEqual(PrometheusNames.metricName("ns:sub-system/op"), "ns:sub_system_op")
        XCTAssertEqual(PrometheusNames.metricName("caché"), "cach__") // é is two UTF-8 bytes
        XCTAssertEqual(PrometheusNames.metricName(""), "_")
    }

    func testLabelNamesAreSanitisedAndNeverReserved() {
        XCTAssertEqual(PrometheusNames.labelName("http.request.method"), "http_request_method")
        XCTAssertEqual(PrometheusNames.labelName("a:b"), "a_b")
        XCTAssertEqual(PrometheusNames.labelName("__name__"), "_name__")
        XCTAssertEqual(PrometheusNames.labelName("1st"), "_1st")
    }

    func testLabelValuesEscapeBackslashQuoteNewlineOnly() {
        let registry = MetricsRegistry()
        registry.gauge("g", labels: [("path", "C:\\tmp\\\"x\"\nnext\tτ")]).set(1)
        XCTAssertEqual(registry.render(.prometheusText), "# TYPE g gauge\ng{path=\"C:\\\\tmp\\\\\\\"x\\\"\\nnext\tτ\"} 1\n")
    }

    func testHelpEscapingDiffersBetweenFormats() {
        let registry = MetricsRegistry()
        registry.gauge("g", help: "a \"quoted\" \\ back\nslash").set(0)
        XCTAssertTrue(registry.render(.prometheusText).hasPrefix("# HELP g a \"quoted\" \\\\ back\\nslash\n"))
        XCTAssertTrue(registry.render(.openMetrics).hasPrefix("# HELP g a \\\"quoted\\\" \\\\ back\\nslash\n"))
    }

    func testAwkwardNamesThroughTheRegistry() {
        let registry = MetricsRegistry()
        registry.counter("cache.requests", labels: [("cache-name", "users"), ("cache_name", "dup dropped")]).increment()
        registry.histogram("odd le", labels: [("le", "user label")], buckets: [1]).observe(0.5)
        XCTAssertEqual(
            registry.render(.prometheusText),
            """
            # TYPE cache_requests_total counter
            cache_requests_total{cache_name="users"} 1
            # TYPE odd_le histogram
            odd_le_bucket{le_="user label",le="1.0"} 1
            odd_le_bucket{le_="user label",le="+Inf"} 1
            odd_le_sum{le_="user label"} 0.5
            odd_le_count{le_="user label"} 1

            """)
    }
}
