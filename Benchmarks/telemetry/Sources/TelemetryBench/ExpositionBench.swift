import Prometheus
import Telemetry

/// Section 3: rendering `/metrics` for 10,000 series — 100 families (40 counters, 40 gauges, 20
/// histograms with the 11 default buckets) × 100 label values — ours vs swift-prometheus 2.4.1, both
/// in Prometheus text format 0.0.4, both with the same names, labels, HELP texts and values.
enum ExpositionBench {
    static let families = 100
    static let labelValues = 100
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    enum Kind { case counter, gauge, histogram }
    static func kind(_ family: Int) -> Kind { family < 40 ? .counter : family < 80 ? .gauge : .histogram }
    static func route(_ v: Int) -> String { "/api/v1/items/\(v)" }
    /// A few observations per histogram series, spread over the buckets.
    static func observations(_ f: Int, _ v: Int) -> [Double] { (0..<5).map { Double((f * 7 + v * 13 + $0 * 29) % 1000) / 97 } }

    static func run(runs: Int) async -> (Table, ours: Double, theirs: Double) {
        let ours = MetricsRegistry()
        let theirs = PrometheusCollectorRegistry()
        for f in 0..<families {
            let help = "Benchmark family \(f)."
            for v in 0..<labelValues {
                let labels = [("route", route(v))]
                switch kind(f) {
                case .counter:
                    let amount = Int64(f * 1000 + v)
                    ours.counter("lab_counter_\(f)_total", help: help, labels: labels).increment(by: amount)
                    theirs.makeCounter(descriptor: .init(metricName: "lab_counter_\(f)_total", helpText: help), labels: labels)
                        .increment(by: amount)
                case .gauge:
                    let value = Double(f) + Double(v) / 8
                    ours.gauge("lab_gauge_\(f)", help: help, labels: labels).set(value)
                    theirs.makeGauge(descriptor: .init(metricName: "lab_gauge_\(f)", helpText: help), labels: labels).set(to: value)
                case .histogram:
                    let a = ours.histogram("lab_histogram_\(f)_seconds", help: help, labels: labels, buckets: buckets)
                    let b = theirs.makeValueHistogram(
                        descriptor: .init(metricName: "lab_histogram_\(f)_seconds", helpText: help), labels: labels, buckets: buckets)
                    for x in observations(f, v) {
                        a.observe(x)
                        b.record(x)
                    }
                }
            }
        }

        var ourBytes = 0
        let oursSummary = await benchmark(runs: runs) {
            ourBytes = ours.exposition(accept: nil).body.utf8.count
        }
        // swift-prometheus at its fastest: `emit(into:)` reusing one buffer's capacity between scrapes.
        var buffer: [UInt8] = []
        var theirBytes = 0
        let theirSummary = await benchmark(runs: runs) {
            buffer.removeAll(keepingCapacity: true)
            theirs.emit(into: &buffer)
            theirBytes = buffer.count
        }
        // And with a fresh buffer per scrape, as ours does.
        let theirFresh = await benchmark(runs: runs) {
            var fresh: [UInt8] = []
            theirs.emit(into: &fresh)
            precondition(fresh.count == theirBytes)
        }

        let seriesLines = ours.exposition(accept: nil).body.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        var table = Table(
            title:
                "3. /metrics exposition: \(families * labelValues) series (\(grouped(seriesLines)) sample lines), text format 0.0.4 (median of \(runs))",
            columns: ["registry", "ms / exposition", "bytes", "allocs / exposition"])
        table.add(
            "ours: MetricsRegistry.exposition(accept:)", fixed(oursSummary.cpu.nanoseconds / 1e6, 2), grouped(ourBytes),
            grouped(Int(oursSummary.allocations)))
        table.add(
            "swift-prometheus 2.4.1: emit(into:), reused buffer", fixed(theirSummary.cpu.nanoseconds / 1e6, 2), grouped(theirBytes),
            grouped(Int(theirSummary.allocations)))
        table.add(
            "swift-prometheus 2.4.1: emit(into:), fresh buffer", fixed(theirFresh.cpu.nanoseconds / 1e6, 2), grouped(theirBytes),
            grouped(Int(theirFresh.allocations)))
        return (table, oursSummary.cpu.nanoseconds, theirSummary.cpu.nanoseconds)
    }
}
