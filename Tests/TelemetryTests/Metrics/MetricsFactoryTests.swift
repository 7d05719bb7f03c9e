import CoreMetrics
import Metrics
import XCTest

@testable import Telemetry

/// swift-metrics facade objects made against a (non-global) `PrometheusMetricsFactory` land in the registry.
final class MetricsFactoryTests: XCTestCase {
    private var registry: MetricsRegistry!
    private var factory: PrometheusMetricsFactory!

    override func setUp() {
        registry = MetricsRegistry(now: fixedNow)
        factory = PrometheusMetricsFactory(registry: registry)
    }

    func testCounterBecomesTotalCounterWithDimensionsAsLabels() {
        let counter = Counter(
            label: "hb.requests", dimensions: [("http.route", "/items"), ("http.request.method", "GET")], factory: factory)
        counter.increment()
        counter.increment(by: 4)
        XCTAssertEqual(
            samples(registry.render(.prometheusText), named: "hb_requests_total"),
            ["hb_requests_total{http_route=\"/items\",http_request_method=\"GET\"} 5"])
        counter.reset()
        XCTAssertEqual(samples(registry.render(.prometheusText), named: "hb_requests_total").first?.hasSuffix(" 0"), true)
    }

    func testFloatingPointCounterKeepsFractions() {
        let counter = FloatingPointCounter(label: "bytes_sent_total", dimensions: [], factory: factory)
        counter.increment(by: 1.5)
        counter.increment(by: 2.25)
        counter.increment(by: 2.0)
        XCTAssertEqual(samples(registry.render(.prometheusText), named: "bytes_sent_total"), ["bytes_sent_total 5.75"])
    }

    func testTimerIsAHistogramInSecondsNamedWithSecondsSuffix() {
        let timer = Metrics.Timer(
            label: "http.server.request.duration", dimensions: [("http.response.status_code", "200")], factory: factory)
        timer.recordNanoseconds(67_000_000) // 0.067 s
        timer.recordMilliseconds(300)
        timer.recordSeconds(12)
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("# TYPE http_server_request_duration_seconds histogram\n"))
        XCTAssertEqual(
            samples(text, named: "http_server_request_duration_seconds_bucket").filter {
                $0.contains("le=\"0.06816\"") || $0.contains("le=\"0.5\"") || $0.contains("+Inf")
            },
            [
                "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\",le=\"0.06816\"} 1", // 2^(-31/8) s
                "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\",le=\"0.5\"} 2",
                "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\",le=\"+Inf\"} 3",
            ])
        XCTAssertEqual(
            samples(text, named: "http_server_request_duration_seconds_sum"),
            ["http_server_request_duration_seconds_sum{http_response_status_code=\"200\"} 12.367"])
    }

    func testTimerAlreadyNamedInSecondsIsNotDoubled() {
        Metrics.Timer(label: "db_query_seconds", factory: factory).recordSeconds(1)
        XCTAssertTrue(registry.render(.prometheusText).contains("db_query_seconds_count 1\n"))
        XCTAssertFalse(registry.render(.prometheusText).contains("seconds_seconds"))
    }

    func testAggregatingRecorderIsAHistogramWithConfiguredBuckets() {
        factory.configureBuckets(for: "payload.size.bytes", [100, 1000, 10000])
        let recorder = Recorder(label: "payload.size.bytes", dimensions: [("direction", "in")], factory: factory)
        recorder.record(50)
        recorder.record(5000)
        recorder.record(2.5e4)
        let text = registry.render(.prometheusText)
        XCTAssertEqual(
            samples(text, named: "payload_size_bytes_bucket"),
            [
                "payload_size_bytes_bucket{direction=\"in\",le=\"100.0\"} 1",
                "payload_size_bytes_bucket{direction=\"in\",le=\"1000.0\"} 1",
                "payload_size_bytes_bucket{direction=\"in\",le=\"10000.0\"} 2",
                "payload_size_bytes_bucket{direction=\"in\",le=\"+Inf\"} 3",
            ])
    }

    func testConfiguredBucketsApplyToTimersToo() {
        factory.configureBuckets(for: "lab.op", [0.5, 2])
        Metrics.Timer(label: "lab.op", factory: factory).recordMilliseconds(700)
        XCTAssertEqual(
            samples(registry.render(.prometheusText), named: "lab_op_seconds_bucket"),
            ["lab_op_seconds_bucket{le=\"0.5\"} 0", "lab_op_seconds_bucket{le=\"2.0\"} 1", "lab_op_seconds_bucket{le=\"+Inf\"} 1"])
    }

    func testGaugeAndNonAggregatingRecorderSetTheLastValue() {
        let gauge = Gauge(label: "circuit_breaker_state", dimensions: [("breaker", "payments")], factory: factory)
        gauge.record(1)
        gauge.record(2)
        Recorder(label: "pool.size", dimensions: [], aggregate: false, factory: factory).record(7.5)
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("# TYPE circuit_breaker_state gauge\ncircuit_breaker_state{breaker=\"payments\"} 2\n"))
        XCTAssertTrue(text.contains("# TYPE pool_size gauge\npool_size 7.5\n"))
    }

    func testMeterGoesUpAndDown() {
        let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", "GET")], factory: factory)
        meter.increment()
        meter.increment()
        meter.increment()
        meter.decrement()
        XCTAssertEqual(
            samples(registry.render(.prometheusText), named: "http_server_active_requests"),
            ["http_server_active_requests{http_request_method=\"GET\"} 2"])
        meter.set(10)
        XCTAssertTrue(registry.render(.prometheusText).contains("http_server_active_requests{http_request_method=\"GET\"} 10\n"))
    }

    func testSameLabelAndDimensionsShareOneSeries() {
        let a = Counter(label: "shared", dimensions: [("k", "v")], factory: factory)
        let b = Counter(label: "shared", dimensions: [("k", "v")], factory: factory)
        a.increment()
        b.increment()
        XCTAssertEqual(samples(registry.render(.prometheusText), named: "shared_total"), ["shared_total{k=\"v\"} 2"])
    }

    func testDestroyRemovesTheSeriesFromTheExposition() {
        let keep = Counter(label: "jobs", dimensions: [("q", "a")], factory: factory)
        let gone = Counter(label: "jobs", dimensions: [("q", "b")], factory: factory)
        keep.increment()
        gone.increment()
        gone.destroy()
        XCTAssertEqual(samples(registry.render(.prometheusText), named: "jobs_total"), ["jobs_total{q=\"a\"} 1"])
        let timer = Metrics.Timer(label: "t", factory: factory)
        timer.recordSeconds(1)
        timer.destroy()
        XCTAssertEqual(samples(registry.render(.prometheusText), named: "t_seconds_count"), [])
    }

    /// A Timer made per request (as middleware does) reuses one handler: same object, same series.
    func testAMetricMadePerEventReusesItsHandlerUntilDestroyed() {
        let dimensions = [("http_route", "/items/{id}"), ("http_response_status_code", "200")]
        let first = factory.makeTimer(label: "http_server_request_duration_seconds", dimensions: dimensions)
        let again = factory.makeTimer(label: "http_server_request_duration_seconds", dimensions: dimensions)
        XCTAssertTrue(first === again)
        let other = factory.makeTimer(
            label: "http_server_request_duration_seconds",
            dimensions: [("http_route", "/items/{id}"), ("http_response_status_code", "503")])
        XCTAssertFalse(first === other)
        XCTAssertFalse(
            first === factory.makeRecorder(label: "http_server_request_duration_seconds", dimensions: dimensions, aggregate: true))
        for _ in 0..<1_000 {
            Metrics.Timer(label: "http_server_request_duration_seconds", dimensions: dimensions, factory: factory).recordMilliseconds(5)
        }
        XCTAssertEqual(
            samples(registry.render(.prometheusText), named: "http_server_request_duration_seconds_count"),
            [
                "http_server_request_duration_seconds_count{http_route=\"/items/{id}\",http_response_status_code=\"200\"} 1000",
                "http_server_request_duration_seconds_count{http_route=\"/items/{id}\",http_response_status_code=\"503\"} 0",
            ])

        // After destroy, the same label and dimensions make a fresh series, counted from zero.
        factory.destroyTimer(first)
        factory.makeTimer(label: "http_server_request_duration_seconds", dimensions: dimensions).recordNanoseconds(1)
        XCTAssertEqual(
            samples(registry.render(.prometheusText), named: "http_server_request_duration_seconds_count"),
            [
                "http_server_request_duration_seconds_count{http_route=\"/items/{id}\",http_response_status_code=\"200\"} 1",
                "http_server_request_duration_seconds_count{http_route=\"/items/{id}\",http_response_status_code=\"503\"} 0",
            ])
    }

    func testConflictingTypeDoesNotCrashAndIsReported() {
        Counter(label: "thing", factory: factory).increment()
        let meter = Meter(label: "thing_total", factory: factory) // a gauge whose sample would be the counter's `thing_total`
        meter.set(3)
        let gauge = Gauge(label: "thing", factory: factory) // same family name as the counter, different type
        gauge.record(9)
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("# TYPE thing_total counter\nthing_total 1\n"))
        XCTAssertFalse(text.contains(" 9\n"))
        XCTAssertFalse(text.contains(" 3\n"))
        XCTAssertFalse(text.contains("gauge"))
        XCTAssertEqual(registry.conflicts.count, 2)
        XCTAssertTrue(registry.conflicts[0].contains("'thing_total' (gauge)"), registry.conflicts[0])
        XCTAssertTrue(registry.conflicts[1].contains("'thing': registered as counter"), registry.conflicts[1])
        // The detached series still work for their callers.
        meter.increment()
        gauge.record(10)
    }
}
