import Foundation
import Logging
import Synchronization

/// Holds every metric family of a process and renders them for Prometheus.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let requests = registry.counter("http_requests_total", help: "Requests served.", labels: [("route", "/items")])
/// requests.increment()            // keep `requests`; looking it up again takes the registry lock
/// let (contentType, body) = registry.exposition(accept: request.headers[.accept])
/// ```
///
/// A family has one name, one type, HELP text and one set of label names. Asking for an existing name
/// with a different type or different label names is a programming error, but it must not take the
/// service down: the caller gets a working series that is simply not exported, and the conflict is
/// logged once and listed in `conflicts`.
public final class MetricsRegistry: Sendable {
    /// Buckets in seconds for request durations: eight per doubling from 1 ms to 64 s (each bound 9 %
    /// above the one before: the boundaries of Prometheus's native histograms at schema 3, rounded to
    /// four digits), with 0.1, 0.25 and 0.5 ms below.
    ///
    /// Why so many: `histogram_quantile` interpolates linearly inside the bucket that holds the
    /// quantile, so a dashboard's p50 can be anywhere in that bucket. With the Prometheus client's
    /// default (…, 0.25, 0.5, …) a p50 of requests that all wait for a 300 ms timeout reads 375 ms;
    /// with bounds 9 % apart it reads within a few percent of the truth, wherever the latencies lie.
    public static let defaultBuckets: [Double] = [0.0001, 0.00025, 0.0005] + (-80...48).map { fourDigits(pow(2, Double($0) / 8)) }

    static func fourDigits(_ value: Double) -> Double {
        let scale = pow(10, 3 - floor(log10(value)))
        return (value * scale).rounded() / scale
    }

    private let state = Mutex(State())
    /// The size of the last rendered body: the next one reserves that much at once instead of growing.
    private let lastBodySize = Atomic<Int>(0)
    private let now: @Sendable () -> Double
    private let logger = Logger(label: "telemetry.metrics")

    private struct State {
        var families: [String: Family] = [:]
        /// Every sample name the families write (`x_total`, `h_bucket`, …) → its family, to catch
        /// families whose samples would collide (a counter `x` and a gauge `x_total`).
        var sampleNames: [String: String] = [:]
        var bucketOverrides: [String: [Double]] = [:]
        var helpOverrides: [String: String] = [:]
        var collectors: [@Sendable () -> [MetricFamilySnapshot]] = []
        var conflicts: [String] = []
    }

    private struct Family {
        let name: String
        let type: MetricType
        var help: String
        let labelNames: [String]
        let buckets: [Double]
        /// Keyed by label values in `labelNames` order.
        var series: [[String]: AnySeries] = [:] {
            didSet { sortedSeries = nil }
        }
        /// `series` sorted by label values, with its labels as a snapshot writes them. Built by the first
        /// scrape after a series is added or removed and reused by the scrapes after it.
        var sortedSeries: [(labels: [(name: String, value: String)], series: AnySeries)]?

        func sortSeries() -> [(labels: [(name: String, value: String)], series: AnySeries)] {
            series.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { values, live in
                (zip(labelNames, values).map { (name: $0, value: $1) }, live)
            }
        }
    }

    enum AnySeries {
        case counter(CounterSeries)
        case gauge(GaugeSeries)
        case histogram(HistogramSeries)
    }

    /// - Parameter now: Unix time in seconds, stamped on exemplars (tests pass a fixed clock).
    public init(now: @escaping @Sendable () -> Double = WallClock.unixSeconds) {
        self.now = now
    }

    // MARK: Registering

    /// The counter series of family `name` with these labels. A trailing `_total` on `name` is optional:
    /// `http_requests` and `http_requests_total` are the same family, exposed as `http_requests_total`.
    public func counter(_ name: String, help: String = "", labels: [(String, String)] = []) -> CounterSeries {
        let base = Self.counterBaseName(PrometheusNames.metricName(name))
        guard case .counter(let c) = series(base, .counter, help, labels, buckets: nil) else { fatalError("unreachable") }
        return c
    }

    public func gauge(_ name: String, help: String = "", labels: [(String, String)] = []) -> GaugeSeries {
        guard case .gauge(let g) = series(PrometheusNames.metricName(name), .gauge, help, labels, buckets: nil) else {
            fatalError("unreachable")
        }
        return g
    }

    /// A histogram series. `buckets` applies when the family is first created; otherwise the family keeps
    /// its buckets (from `configureBuckets(forMetric:_:)`, the first registration, or `defaultBuckets`).
    public func histogram(
        _ name: String, help: String = "", labels: [(String, String)] = [], buckets: [Double]? = nil
    ) -> HistogramSeries {
        guard case .histogram(let h) = series(PrometheusNames.metricName(name), .histogram, help, labels, buckets: buckets)
        else { fatalError("unreachable") }
        return h
    }

    /// Sets the buckets a histogram family gets when it is created later (e.g. before swift-metrics
    /// objects are made). Bounds are sorted, de-duplicated, and non-finite ones dropped.
    public func configureBuckets(forMetric name: String, _ buckets: [Double]) {
        let cleaned = Self.cleanBuckets(buckets)
        state.withLock { $0.bucketOverrides[PrometheusNames.metricName(name)] = cleaned }
    }

    /// Sets the HELP text of family `name` (counters: with or without `_total`), now or for when it is
    /// created; it replaces any HELP given at registration (e.g. the generic text swift-metrics objects get).
    public func describe(_ name: String, help: String) {
        let clean = PrometheusNames.metricName(name)
        state.withLock { s in
            s.helpOverrides[clean] = help
            s.helpOverrides[Self.counterBaseName(clean)] = help
        }
    }

    /// Adds a source of families computed at scrape time (process metrics, pool sizes, …).
    public func addCollector(_ collector: @escaping @Sendable () -> [MetricFamilySnapshot]) {
        state.withLock { $0.collectors.append(collector) }
    }

    /// Registration conflicts so far, one human-readable line each.
    public var conflicts: [String] { state.withLock { $0.conflicts } }

    // MARK: Scraping

    /// Every family, registered and collected, sorted by name, each family's series sorted by label values.
    public func snapshot() -> [MetricFamilySnapshot] {
        // Copy the structure under the lock; read the values (atomics, per-series locks) outside it.
        let (families, collectors, helpOverrides) = state.withLock { s in
            let unsorted = s.families.compactMap { $0.value.sortedSeries == nil ? $0.key : nil }
            for name in unsorted { s.families[name]!.sortedSeries = s.families[name]!.sortSeries() }
            let families = s.families.values.map { (name: $0.name, type: $0.type, help: $0.help, series: $0.sortedSeries!) }
            return (families, s.collectors, s.helpOverrides)
        }
        var result: [MetricFamilySnapshot] = families.map { family in
            let series = family.series.map { SeriesSnapshot(labels: $0.labels, value: $0.series.snapshotValue) }
            let help = helpOverrides[family.name] ?? family.help
            return MetricFamilySnapshot(name: family.name, type: family.type, help: help, series: series)
        }
        // Collected families never shadow registered ones (a family name appears once in a scrape).
        var names = Set(result.map(\.name))
        for collect in collectors {
            for family in collect() where names.insert(family.name).inserted { result.append(family) }
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Renders every family in `format`.
    public func render(_ format: ExpositionFormat) -> String {
        let body = ExpositionWriter.write(snapshot(), format: format, capacityHint: lastBodySize.load(ordering: .relaxed))
        lastBodySize.store(body.utf8.count + body.utf8.count / 16, ordering: .relaxed) // a little room to grow
        return body
    }

    /// What a `/metrics` handler returns: the format the `Accept` header prefers (OpenMetrics when
    /// asked for, else Prometheus text 0.0.4), its `Content-Type`, and the body.
    public func exposition(accept: String?) -> (contentType: String, body: String) {
        let format = ExpositionFormat.negotiate(accept: accept)
        return (format.contentType, render(format))
    }

    // MARK: Internals

    private func series(
        _ name: String, _ type: MetricType, _ help: String, _ rawLabels: [(String, String)], buckets: [Double]?
    ) -> AnySeries {
        let labels = Self.normalisedLabels(rawLabels, type)
        let names = labels.map(\.0)
        let result: (AnySeries, String?) = state.withLock { s in
            // A detached series works for its caller but is never exported; the conflict is reported once.
            func conflict(_ message: String) -> (AnySeries, String?) {
                let isNew = !s.conflicts.contains(message)
                if isNew && s.conflicts.count < 100 { s.conflicts.append(message) }
                return (makeSeries(type, buckets: Self.cleanBuckets(buckets ?? Self.defaultBuckets)), isNew ? message : nil)
            }
            // Only the family's metadata is copied out here: holding a copy of the family would make the
            // in-place insert below copy its whole series dictionary.
            let existingFamily = s.families[name].map { ($0.type, $0.labelNames, $0.buckets, !$0.help.isEmpty) }
            if let (familyType, familyLabels, familyBuckets, hasHelp) = existingFamily {
                guard familyType == type, familyLabels.count == names.count, Set(familyLabels) == Set(names) else {
                    return conflict(
                        "metric '\(name)': registered as \(familyType) with labels \(familyLabels), "
                            + "requested as \(type) with labels \(names); the new series is not exported")
                }
                if !hasHelp && !help.isEmpty { s.families[name]!.help = help } // the first non-empty HELP wins
                let values = familyLabels.map { n in labels.first { $0.0 == n }!.1 }
                if let existing = s.families[name]!.series[values] { return (existing, nil) }
                let created = makeSeries(type, buckets: familyBuckets)
                s.families[name]!.series[values] = created
                return (created, nil)
            }
            let ownSamples = Self.sampleNames(name, type)
            if let clash = ownSamples.first(where: { s.sampleNames[$0] != nil }) {
                return conflict(
                    "metric '\(name)' (\(type)): its sample '\(clash)' collides with family "
                        + "'\(s.sampleNames[clash]!)'; the new series is not exported")
            }
            for sample in ownSamples { s.sampleNames[sample] = name }
            let familyBuckets = s.bucketOverrides[name] ?? Self.cleanBuckets(buckets ?? Self.defaultBuckets)
            let created = makeSeries(type, buckets: familyBuckets)
            s.families[name] = Family(
                name: name, type: type, help: help, labelNames: names, buckets: familyBuckets,
                series: [labels.map(\.1): created])
            return (created, nil)
        }
        if let conflict = result.1 { logger.warning("\(conflict)") }
        return result.0
    }

    private func makeSeries(_ type: MetricType, buckets: [Double]) -> AnySeries {
        switch type {
        case .counter: .counter(CounterSeries())
        case .gauge: .gauge(GaugeSeries())
        case .histogram: .histogram(HistogramSeries(upperBounds: buckets, now: now))
        }
    }

    /// Removes one series (swift-metrics' `destroy`), so it disappears from the exposition.
    func remove(_ name: String, labels rawLabels: [(String, String)], type: MetricType) {
        let labels = Self.normalisedLabels(rawLabels, type)
        state.withLock { s in
            guard let familyLabels = s.families[name].flatMap({ $0.type == type ? $0.labelNames : nil }),
                familyLabels.allSatisfy({ n in labels.contains { $0.0 == n } })
            else { return }
            s.families[name]!.series[familyLabels.map { n in labels.first { $0.0 == n }!.1 }] = nil
        }
    }

    /// Sanitised label names; a later label whose sanitised name repeats an earlier one is dropped, and
    /// on a histogram a user label `le` (the bucket label) is renamed `le_`.
    static func normalisedLabels(_ raw: [(String, String)], _ type: MetricType) -> [(String, String)] {
        var seen = Set<String>()
        var out: [(String, String)] = []
        for (name, value) in raw {
            let clean = PrometheusNames.labelName(name)
            let name = type == .histogram && clean == "le" ? "le_" : clean
            if seen.insert(name).inserted { out.append((name, value)) }
        }
        return out
    }

    /// The sample names a family writes in either format.
    static func sampleNames(_ name: String, _ type: MetricType) -> [String] {
        switch type {
        case .counter: [name + "_total"]
        case .gauge: [name]
        case .histogram: [name + "_bucket", name + "_sum", name + "_count"]
        }
    }

    static func counterBaseName(_ name: String) -> String {
        name.hasSuffix("_total") && name != "_total" ? String(name.dropLast(6)) : name
    }

    static func cleanBuckets(_ buckets: [Double]) -> [Double] {
        Array(Set(buckets.filter(\.isFinite))).sorted()
    }
}

extension MetricsRegistry.AnySeries {
    var snapshotValue: SeriesSnapshot.Value {
        switch self {
        case .counter(let c): .counter(c.value)
        case .gauge(let g): .gauge(g.value)
        case .histogram(let h): .histogram(h.snapshot())
        }
    }
}
