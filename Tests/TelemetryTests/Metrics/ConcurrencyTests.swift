import CoreMetrics
import Metrics
import XCTest

@testable import Telemetry

/// Many tasks updating the same series at once must lose nothing.
final class ConcurrencyTests: XCTestCase {
    func testConcurrentCounterHistogramAndGaugeUpdatesTotalExactly() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("stress_requests_total")
        let histogram = registry.histogram("stress_seconds", buckets: [0.5])
        let gauge = registry.gauge("stress_in_flight")
        let tasks = 64
        let perTask = 5_000
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask {
                        counter.increment()
                        histogram.observe(i % 2 == 0 ? 0.25 : 1) // half in each bucket
                        gauge.increment(by: 1)
                        gauge.decrement(by: 1)
                        if i % 1000 == 0 { _ = registry.render(t % 2 == 0 ? .prometheusText : .openMetrics) } // scrapes meanwhile
                    }
                }
            }
        }
        let total = tasks * perTask
        XCTAssertEqual(counter.value, Double(total))
        let snap = histogram.snapshot()
        XCTAssertEqual(snap.count, UInt64(total))
        XCTAssertEqual(snap.buckets[0].cumulativeCount, UInt64(total / 2))
        XCTAssertEqual(snap.sum, Double(total / 2) * 0.25 + Double(total / 2) * 1)
        XCTAssertEqual(gauge.value, 0)
    }

    func testConcurrentRegistrationThroughTheFacadeYieldsOneSeriesPerLabelSet() async {
        let registry = MetricsRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<32 {
                group.addTask {
                    for i in 0..<500 {
                        Counter(label: "facade.hits", dimensions: [("shard", String((t + i) % 4))], factory: factory).increment()
                        FloatingPointCounter(label: "facade.cost", dimensions: [], factory: factory).increment(by: 0.5)
                    }
                }
            }
        }
        let text = registry.render(.prometheusText)
        let hits = samples(text, named: "facade_hits_total")
        XCTAssertEqual(hits.count, 4)
        XCTAssertEqual(hits.map { Int($0.split(separator: " ").last!)! }.reduce(0, +), 32 * 500)
        XCTAssertEqual(samples(text, named: "facade_cost_total"), ["facade_cost_total 8000"])
    }
}
