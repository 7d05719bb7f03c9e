import XCTest

@testable import Telemetry

/// The exposition writer appends bytes, renders label prefixes and bucket suffixes once, and formats
/// integers digit by digit; the registry caches each family's sorted series. These tests hold that
/// fast path to a plain String-building reference (the writer as it was before) on awkward values.
final class ExpositionFastPathTests: XCTestCase {
    func testMatchesThePlainReferenceOnAwkwardValuesInBothFormats() {
        let registry = MetricsRegistry(now: fixedNow)
        let awkward: [Double] = [
            0, -0.0, 1, -1, 42, -7_000_000, 9_007_199_254_740_991, 9_007_199_254_740_992, 1e300,
            -2.5, 0.1, 1.0 / 3.0, .infinity, -.infinity, .nan, 123_456_789_012,
        ]
        for (i, v) in awkward.enumerated() {
            registry.gauge("g", help: "Gauge \"help\"\nwith \\ escapes.", labels: [("i", "\(i)"), ("q", "a\"b\\c\nd")]).set(v)
        }
        let counter = registry.counter("c", labels: [("route", "/r")])
        counter.increment(by: UInt64(1) << 62) // above 2^53: the shortest float form, as before
        registry.counter("c", labels: [("route", "/frac")]).increment(by: 2.75)
        registry.counter("unlabelled").increment(by: 10)
        let h = registry.histogram("h", help: "Latency.", labels: [("route", "/a")], buckets: [0.001, 1, 2.5, 1000])
        let hb = registry.histogram("h", labels: [("route", "/b")])
        inSpan(sampledSpan) {
            for v in [0.0005, 0.3, 2, 2, 7_000, 1e9] { h.observe(v) }
        }
        hb.observe(0.5)
        registry.histogram("plain_h").observe(3)
        registry.addCollector {
            [
                MetricFamilySnapshot(
                    name: "collected", type: .histogram, help: "",
                    series: [
                        SeriesSnapshot(
                            labels: [(name: "x", value: "1")],
                            value: .histogram(
                                HistogramSnapshot(
                                    buckets: [.init(upperBound: 1, cumulativeCount: 1, exemplar: nil)], infExemplar: nil, count: 2, sum: 3))
                        ),
                        SeriesSnapshot(
                            labels: [(name: "x", value: "2")],
                            value: .histogram(
                                HistogramSnapshot(
                                    buckets: [.init(upperBound: 5, cumulativeCount: 0, exemplar: nil)], infExemplar: nil, count: 0, sum: 0))
                        ),
                    ])
            ]
        }
        for format in [ExpositionFormat.prometheusText, .openMetrics] {
            let expected = ReferenceWriter.write(registry.snapshot(), format: format)
            XCTAssertEqual(registry.render(format), expected, "\(format)")
            XCTAssertEqual(registry.render(format), expected, "\(format), second scrape (reserved from the first)")
        }
        XCTAssertTrue(registry.render(.openMetrics).contains("# {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\""))
        XCTAssertTrue(registry.render(.prometheusText).contains("c_total{route=\"/r\"} 4.611686018427388e+18\n"))
    }

    func testSeriesAddedOrRemovedAfterAScrapeAppearInOrder() {
        let registry = MetricsRegistry()
        registry.counter("requests", labels: [("route", "/b")]).increment()
        registry.counter("requests", labels: [("route", "/d")]).increment()
        XCTAssertEqual(routes(registry), ["/b", "/d"])
        registry.counter("requests", labels: [("route", "/c")]).increment()
        registry.counter("requests", labels: [("route", "/a")]).increment()
        XCTAssertEqual(routes(registry), ["/a", "/b", "/c", "/d"])
        registry.remove("requests", labels: [("route", "/b")], type: .counter)
        XCTAssertEqual(routes(registry), ["/a", "/c", "/d"])
        // A cached order still reads live values.
        registry.counter("requests", labels: [("route", "/c")]).increment(by: 5)
        XCTAssertTrue(registry.render(.prometheusText).contains("requests_total{route=\"/c\"} 6\n"))
    }

    private func routes(_ registry: MetricsRegistry) -> [String] {
        samples(registry.render(.prometheusText), named: "requests_total").map {
            String($0.split(separator: "\"")[1])
        }
    }
}

/// The writer before the byte buffer: every line built from Strings. Kept as the reference.
private enum ReferenceWriter {
    static func write(_ families: [MetricFamilySnapshot], format: ExpositionFormat) -> String {
        var out = ""
        let openMetrics = format == .openMetrics
        for family in families {
            let metadataName = family.type == .counter && !openMetrics ? family.name + "_total" : family.name
            if !family.help.isEmpty {
                out += "# HELP \(metadataName) \(PrometheusNames.escapeHelp(family.help, openMetrics: openMetrics))\n"
            }
            out += "# TYPE \(metadataName) \(family.type.rawValue)\n"
            for series in family.series {
                let labels = series.labels.map { $0.name + "=\"" + PrometheusNames.escapeLabelValue($0.value) + "\"" }
                    .joined(separator: ",")
                switch series.value {
                case .counter(let v): sample(&out, family.name + "_total", labels, v)
                case .gauge(let v): sample(&out, family.name, labels, v)
                case .histogram(let h):
                    let bucketLabels = labels.isEmpty ? "le=\"" : labels + ",le=\""
                    for bucket in h.buckets {
                        sample(
                            &out, family.name + "_bucket", bucketLabels + PrometheusNumber.bucketBound(bucket.upperBound) + "\"",
                            Double(bucket.cumulativeCount), openMetrics ? bucket.exemplar : nil)
                    }
                    sample(&out, family.name + "_bucket", bucketLabels + "+Inf\"", Double(h.count), openMetrics ? h.infExemplar : nil)
                    sample(&out, family.name + "_sum", labels, h.sum)
                    sample(&out, family.name + "_count", labels, Double(h.count))
                }
            }
        }
        if openMetrics { out += "# EOF\n" }
        return out
    }

    private static func sample(_ out: inout String, _ name: String, _ labels: String, _ value: Double, _ exemplar: Exemplar? = nil) {
        out += name + (labels.isEmpty ? "" : "{" + labels + "}") + " " + PrometheusNumber.format(value)
        if let exemplar, let text = ExpositionWriter.exemplarText(exemplar) { out += text }
        out += "\n"
    }
}
