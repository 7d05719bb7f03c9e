import XCTest

@testable import Telemetry

/// Golden checks of Prometheus text format 0.0.4, one metric type at a time.
final class PrometheusTextTests: XCTestCase {
    func testCounterGoldenAddsTotalToTypeAndSample() {
        let registry = MetricsRegistry(now: fixedNow)
        registry.counter("jobs_processed", help: "Jobs processed.", labels: [("queue", "email")]).increment(by: 3)
        registry.counter("jobs_processed", labels: [("queue", "audit")]).increment()
        XCTAssertEqual(
            registry.render(.prometheusText),
            """
            # HELP jobs_processed_total Jobs processed.
            # TYPE jobs_processed_total counter
            jobs_processed_total{queue="audit"} 1
            jobs_processed_total{queue="email"} 3

            """)
    }

    func testCounterNamedWithTotalIsTheSameFamily() {
        let registry = MetricsRegistry()
        let a = registry.counter("http_requests_total")
        let b = registry.counter("http_requests")
        XCTAssertTrue(a === b)
        a.increment(by: 2)
        XCTAssertEqual(registry.render(.prometheusText), "# TYPE http_requests_total counter\nhttp_requests_total 2\n")
    }

    func testGaugeGoldenWithFractionsAndNegativeValues() {
        let registry = MetricsRegistry()
        let g = registry.gauge("temperature_celsius", help: "Room temperature.", labels: [("room", "lab")])
        g.set(21.5)
        g.decrement(by: 30)
        registry.gauge("queue_depth").set(42)
        XCTAssertEqual(
            registry.render(.prometheusText),
            """
            # TYPE queue_depth gauge
            queue_depth 42
            # HELP temperature_celsius Room temperature.
            # TYPE temperature_celsius gauge
            temperature_celsius{room="lab"} -8.5

            """)
    }

    func testHistogramGoldenIsCumulativeWithInfEqualToCount() {
        let registry = MetricsRegistry()
        let h = registry.histogram(
            "request_duration_seconds", help: "Request latency.", labels: [("route", "/a")], buckets: [0.1, 1, 0.5])
        for v in [0.05, 0.1, 0.3, 0.7, 2.0, 9.5] { h.observe(v) }
        XCTAssertEqual(
            registry.render(.prometheusText),
            """
            # HELP request_duration_seconds Request latency.
            # TYPE request_duration_seconds histogram
            request_duration_seconds_bucket{route="/a",le="0.1"} 2
            request_duration_seconds_bucket{route="/a",le="0.5"} 3
            request_duration_seconds_bucket{route="/a",le="1.0"} 4
            request_duration_seconds_bucket{route="/a",le="+Inf"} 6
            request_duration_seconds_sum{route="/a"} 12.65
            request_duration_seconds_count{route="/a"} 6

            """)
    }

    func testInfBucketEqualsCountForEverySeries() {
        let registry = MetricsRegistry()
        for (i, route) in ["/x", "/y", "/z"].enumerated() {
            let h = registry.histogram("latency_seconds", labels: [("route", route)])
            for k in 0..<(i * 37 + 5) { h.observe(Double(k) * 0.37) }
        }
        let text = registry.render(.prometheusText)
        let inf = samples(text, named: "latency_seconds_bucket").filter { $0.contains("le=\"+Inf\"") }
        let counts = samples(text, named: "latency_seconds_count")
        XCTAssertEqual(inf.count, 3)
        XCTAssertEqual(inf.map { $0.split(separator: " ").last! }, counts.map { $0.split(separator: " ").last! })
        XCTAssertEqual(counts.map { $0.split(separator: " ").last! }, ["5", "42", "79"])
    }

    func testDefaultBucketsAreNinePercentApartFromOneMillisecondToSixtyFourSeconds() {
        let registry = MetricsRegistry()
        let h = registry.histogram("d_seconds")
        XCTAssertEqual(Array(h.upperBounds.prefix(4)), [0.0001, 0.00025, 0.0005, 0.0009766])
        XCTAssertEqual(h.upperBounds.last, 64)
        XCTAssertTrue(h.upperBounds.contains(1) && h.upperBounds.contains(0.5) && h.upperBounds.contains(2))
        // Above 1 ms no bucket is wider than 9.1 %: histogram_quantile's interpolation error stays below that.
        for (low, high) in zip(h.upperBounds.dropFirst(3), h.upperBounds.dropFirst(4)) {
            XCTAssertLessThan(high / low, 1.0911, "\(low) → \(high)")
            XCTAssertGreaterThan(high / low, 1.0895, "\(low) → \(high)")
        }
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("d_seconds_bucket{le=\"0.0005\"} 0\n"))
        XCTAssertTrue(text.contains("d_seconds_bucket{le=\"0.2973\"} 0\n"), "2^(-14/8) s, rounded to four digits")
        XCTAssertTrue(text.contains("d_seconds_bucket{le=\"64.0\"} 0\n"))
    }

    func testNumberFormatting() {
        XCTAssertEqual(PrometheusNumber.format(12), "12")
        XCTAssertEqual(PrometheusNumber.format(-3), "-3")
        XCTAssertEqual(PrometheusNumber.format(0), "0")
        XCTAssertEqual(PrometheusNumber.format(1e15), "1000000000000000")
        XCTAssertEqual(PrometheusNumber.format(0.067), "0.067")
        XCTAssertEqual(PrometheusNumber.format(1e-9), "1e-09")
        XCTAssertEqual(PrometheusNumber.format(1e300), "1e+300")
        XCTAssertEqual(PrometheusNumber.format(.infinity), "+Inf")
        XCTAssertEqual(PrometheusNumber.format(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusNumber.format(.nan), "NaN")
        XCTAssertEqual(PrometheusNumber.bucketBound(1), "1.0")
        XCTAssertEqual(PrometheusNumber.bucketBound(0.25), "0.25")
        XCTAssertEqual(PrometheusNumber.timestamp(1_700_000_000.123), "1700000000.123")
        XCTAssertEqual(PrometheusNumber.timestamp(1_700_000_000.0004), "1700000000.000")
        XCTAssertEqual(PrometheusNumber.timestamp(1_700_000_000.05), "1700000000.050")
    }

    func testSpecialValuesInSamples() {
        let registry = MetricsRegistry()
        registry.gauge("a").set(.infinity)
        registry.gauge("b").set(-.infinity)
        registry.gauge("c").set(.nan)
        XCTAssertEqual(
            registry.render(.prometheusText),
            "# TYPE a gauge\na +Inf\n# TYPE b gauge\nb -Inf\n# TYPE c gauge\nc NaN\n")
    }

    func testOutputIsSortedAndStable() {
        let registry = MetricsRegistry()
        for name in ["zeta", "alpha", "mid"] {
            for v in ["b", "a", "c"] { registry.gauge(name, labels: [("k", v)]).set(1) }
        }
        let text = registry.render(.prometheusText)
        let sampleLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(
            sampleLines,
            [
                "alpha{k=\"a\"} 1", "alpha{k=\"b\"} 1", "alpha{k=\"c\"} 1",
                "mid{k=\"a\"} 1", "mid{k=\"b\"} 1", "mid{k=\"c\"} 1",
                "zeta{k=\"a\"} 1", "zeta{k=\"b\"} 1", "zeta{k=\"c\"} 1",
            ])
        XCTAssertEqual(text, registry.render(.prometheusText))
    }
}
