import CoreMetrics
import Metrics
import Synchronization
import XCTest

@testable import Telemetry

final class MetricsRegistryTests: XCTestCase {
    func testSameNameAndLabelsReturnTheSameSeriesWhateverTheLabelOrder() {
        let registry = MetricsRegistry()
        let a = registry.gauge("g", labels: [("x", "1"), ("y", "2")])
        let b = registry.gauge("g", labels: [("y", "2"), ("x", "1")])
        XCTAssertTrue(a === b)
        a.set(5)
        XCTAssertEqual(registry.render(.prometheusText), "# TYPE g gauge\ng{x=\"1\",y=\"2\"} 5\n")
    }

    func testDifferentLabelNamesConflictWithoutCrashing() {
        let registry = MetricsRegistry()
        registry.counter("requests", labels: [("route", "/a")]).increment()
        let stray = registry.counter("requests", labels: [("path", "/b")])
        stray.increment(by: 10)
        XCTAssertEqual(stray.value, 10, "a conflicting registration still gets a working series")
        XCTAssertEqual(registry.render(.prometheusText), "# TYPE requests_total counter\nrequests_total{route=\"/a\"} 1\n")
        XCTAssertEqual(registry.conflicts.count, 1)
        XCTAssertTrue(registry.conflicts[0].contains("[\"route\"]") && registry.conflicts[0].contains("[\"path\"]"))
        _ = registry.counter("requests", labels: [("path", "/c")])
        XCTAssertEqual(registry.conflicts.count, 1, "the same conflict is reported once")
    }

    func testHistogramSampleNamesCollideWithAGauge() {
        let registry = MetricsRegistry()
        registry.gauge("op_count").set(1)
        registry.histogram("op").observe(1)
        XCTAssertFalse(registry.render(.prometheusText).contains("histogram"))
        XCTAssertEqual(registry.conflicts.count, 1)
    }

    func testFirstNonEmptyHelpWinsAndDescribeOverrides() {
        let registry = MetricsRegistry()
        registry.gauge("g").set(1)
        registry.gauge("g", help: "first").set(1)
        registry.gauge("g", help: "second").set(1)
        XCTAssertTrue(registry.render(.prometheusText).hasPrefix("# HELP g first\n"))
        registry.describe("g", help: "described")
        XCTAssertTrue(registry.render(.prometheusText).hasPrefix("# HELP g described\n"))
        registry.describe("jobs_total", help: "Jobs.") // before the counter exists, with the suffix
        registry.counter("jobs").increment()
        XCTAssertTrue(registry.render(.prometheusText).contains("# HELP jobs_total Jobs.\n"))
    }

    func testFactoryDescribeReplacesGenericHelp() {
        let registry = MetricsRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Timer(label: "db.query", factory: factory).recordSeconds(1)
        XCTAssertTrue(registry.render(.prometheusText).contains("# HELP db_query_seconds swift-metrics Timer \"db.query\". In seconds.\n"))
        factory.describe("db.query", help: "Query latency.")
        XCTAssertTrue(registry.render(.prometheusText).contains("# HELP db_query_seconds Query latency.\n"))
    }

    func testBucketsAreCleanedAndFixedAtFamilyCreation() {
        let registry = MetricsRegistry()
        let h = registry.histogram("h", buckets: [1, .infinity, 0.5, 1, .nan])
        XCTAssertEqual(h.upperBounds, [0.5, 1])
        let other = registry.histogram("h", labels: [], buckets: [7])
        XCTAssertTrue(h === other)
        registry.configureBuckets(forMetric: "later", [3, 2])
        XCTAssertEqual(registry.histogram("later").upperBounds, [2, 3])
        XCTAssertEqual(registry.histogram("later", labels: []).upperBounds, [2, 3])
    }

    func testCounterIgnoresNegativeAndNonFiniteIncrements() {
        let registry = MetricsRegistry()
        let c = registry.counter("c")
        c.increment(by: -5)
        c.increment(by: -0.5)
        c.increment(by: Double.nan)
        c.increment(by: Double.infinity)
        c.increment(by: 0.25)
        c.increment(by: 2)
        XCTAssertEqual(c.value, 2.25)
    }

    func testHistogramBucketBoundaryIsInclusive() {
        let registry = MetricsRegistry()
        let h = registry.histogram("h", buckets: [0.1, 0.2])
        h.observe(0.1)
        h.observe(0.2)
        h.observe(0.2000001)
        h.observe(-1)
        let snap = h.snapshot()
        XCTAssertEqual(snap.buckets.map(\.cumulativeCount), [2, 3])
        XCTAssertEqual(snap.count, 4)
    }

    func testBootstrapGlobalInstallsTheFactoryOnce() {
        let registry = MetricsRegistry.bootstrapGlobal()
        XCTAssertTrue(registry === MetricsRegistry.bootstrapGlobal())
        Counter(label: "telemetry_tests.global_bootstrap", dimensions: [("probe", "1")]).increment(by: 2)
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("telemetry_tests_global_bootstrap_total{probe=\"1\"} 2\n"))
        XCTAssertTrue(text.contains("process_resident_memory_bytes "))
    }
}

final class MetricsRegistryCollectorTests: XCTestCase {
    func testCollectorsRunAtEachScrapeAndNeverDuplicateAFamily() {
        let registry = MetricsRegistry()
        let scrapes = Counting()
        registry.addCollector {
            let n = scrapes.next()
            return [
                MetricFamilySnapshot(
                    name: "pool_connections", type: .gauge, help: "Open connections.",
                    series: [SeriesSnapshot(labels: [(name: "pool", value: "db")], value: .gauge(Double(n)))]),
                MetricFamilySnapshot(name: "registered", type: .gauge, help: "shadowed", series: []),
            ]
        }
        registry.gauge("registered", help: "mine").set(1)
        XCTAssertTrue(registry.render(.prometheusText).contains("pool_connections{pool=\"db\"} 1\n"))
        let text = registry.render(.prometheusText)
        XCTAssertTrue(text.contains("pool_connections{pool=\"db\"} 2\n"), "collectors run again on every scrape")
        XCTAssertEqual(text.components(separatedBy: "# TYPE registered gauge").count, 2, "one family named 'registered'")
        XCTAssertTrue(text.contains("# HELP registered mine\n"))
    }

    func testNaNObservationGoesToInfBucketOnly() {
        let registry = MetricsRegistry()
        let h = registry.histogram("h", buckets: [1])
        h.observe(.nan)
        let snap = h.snapshot()
        XCTAssertEqual(snap.buckets.map(\.cumulativeCount), [0])
        XCTAssertEqual(snap.count, 1)
        XCTAssertTrue(snap.sum.isNaN)
        XCTAssertTrue(registry.render(.prometheusText).contains("h_sum NaN\n"))
    }

    func testSampledSpanWithInvalidTraceIDMakesNoExemplar() {
        let registry = MetricsRegistry(now: fixedNow)
        let h = registry.histogram("h", buckets: [1])
        inSpan(SpanContext(traceID: TraceID(high: 0, low: 0), spanID: SpanID(1), traceFlags: 1)) { h.observe(0.5) }
        XCTAssertNil(h.snapshot().buckets[0].exemplar)
    }
}

private final class Counting: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
