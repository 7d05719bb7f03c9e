import CoreMetrics
import Synchronization

/// The swift-metrics backend: every `Counter`, `Timer`, `Recorder`, `Gauge` and `Meter` made through the
/// facade (ours, Hummingbird's `MetricsMiddleware`, any library's) lands in a `MetricsRegistry`.
///
/// | swift-metrics                   | Prometheus family                                   |
/// |---------------------------------|-----------------------------------------------------|
/// | `Counter`, `FloatingPointCounter` | counter, exposed as `<name>_total`                |
/// | `Recorder(aggregate: true)`     | histogram (buckets: `configureBuckets` or default)  |
/// | `Gauge`, `Recorder(aggregate: false)`, `Meter` | gauge                                |
/// | `Timer`                         | histogram in seconds, named `<name>_seconds`        |
///
/// Labels are sanitised into metric names (`http.server.request.duration` →
/// `http_server_request_duration_seconds`), dimensions become labels.
public struct PrometheusMetricsFactory: MetricsFactory {
    public let registry: MetricsRegistry
    private let cache = HandlerCache()

    public init(registry: MetricsRegistry) {
        self.registry = registry
    }

    /// Buckets for the histogram a `Recorder` or `Timer` with this label will create (Timer buckets are
    /// in seconds). Call it before the first metric with that label is made.
    public func configureBuckets(for label: String, _ buckets: [Double]) {
        registry.configureBuckets(forMetric: Self.recorderName(label), buckets)
        registry.configureBuckets(forMetric: Self.timerName(label), buckets)
    }

    /// HELP text for the family made from this swift-metrics label (the facade has no descriptions).
    /// Without it, families get a generic HELP naming the swift-metrics object they came from.
    public func describe(_ label: String, help: String) {
        registry.describe(Self.recorderName(label), help: help)
        registry.describe(Self.timerName(label), help: help)
    }

    private static func defaultHelp(_ kind: String, _ label: String) -> String {
        "swift-metrics \(kind) \"\(label)\"."
    }

    static func recorderName(_ label: String) -> String { PrometheusNames.metricName(label) }

    static func timerName(_ label: String) -> String {
        let name = PrometheusNames.metricName(label)
        return name.hasSuffix("_seconds") ? name : name + "_seconds"
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        cache.handler(.counter, label, dimensions) {
            CounterBox(
                registry.counter(label, help: Self.defaultHelp("Counter", label), labels: dimensions),
                ref: .init(registry, label, dimensions, .counter))
        }
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        cache.handler(.floatingPointCounter, label, dimensions) {
            CounterBox(
                registry.counter(label, help: Self.defaultHelp("FloatingPointCounter", label), labels: dimensions),
                ref: .init(registry, label, dimensions, .counter))
        }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        if aggregate {
            return cache.handler(.aggregatingRecorder, label, dimensions) { () -> HistogramBox in
                let name = Self.recorderName(label)
                return HistogramBox(
                    registry.histogram(name, help: Self.defaultHelp("Recorder", label), labels: dimensions), scale: 1,
                    ref: .init(registry, name, dimensions, .histogram))
            }
        }
        return cache.handler(.recorder, label, dimensions) {
            GaugeBox(
                registry.gauge(label, help: Self.defaultHelp("Gauge", label), labels: dimensions),
                ref: .init(registry, label, dimensions, .gauge))
        }
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        cache.handler(.meter, label, dimensions) {
            GaugeBox(
                registry.gauge(label, help: Self.defaultHelp("Meter", label), labels: dimensions),
                ref: .init(registry, label, dimensions, .gauge))
        }
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        cache.handler(.timer, label, dimensions) { () -> HistogramBox in
            let name = Self.timerName(label)
            return HistogramBox(
                registry.histogram(name, help: Self.defaultHelp("Timer", label) + " In seconds.", labels: dimensions), scale: 1e-9,
                ref: .init(registry, name, dimensions, .histogram))
        }
    }

    // A destroyed handler's series leaves the exposition; the cache forgets everything so that a
    // later `make…` with the same label registers a fresh series instead of reviving a removed one.
    public func destroyCounter(_ handler: CounterHandler) { destroy((handler as? CounterBox)?.ref) }
    public func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) { destroy((handler as? CounterBox)?.ref) }
    public func destroyRecorder(_ handler: RecorderHandler) { destroy((handler as? HistogramBox)?.ref ?? (handler as? GaugeBox)?.ref) }
    public func destroyMeter(_ handler: MeterHandler) { destroy((handler as? GaugeBox)?.ref) }
    public func destroyTimer(_ handler: TimerHandler) { destroy((handler as? HistogramBox)?.ref) }

    private func destroy(_ ref: SeriesRef?) {
        ref?.remove()
        cache.removeAll()
    }
}

extension MetricsRegistry {
    private static let global = Mutex<MetricsRegistry?>(nil)

    /// Bootstraps swift-metrics' global `MetricsSystem` with a `PrometheusMetricsFactory` over one
    /// process-wide registry (with the `process_*` metrics) and returns that registry. Safe to call more
    /// than once: later calls return the same registry. (`MetricsSystem.bootstrap` itself traps if
    /// called twice, so nothing else in the process should call it.)
    public static func bootstrapGlobal() -> MetricsRegistry {
        global.withLock { existing in
            if let existing { return existing }
            let registry = MetricsRegistry()
            registry.registerProcessMetrics()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
    }
}

// MARK: Handlers: thin adapters from the facade protocols onto registry series.

/// Where a handler's series lives, so `destroy` can remove it from the exposition.
struct SeriesRef: Sendable {
    let registry: MetricsRegistry
    let name: String
    let dimensions: [(String, String)]
    let type: MetricType

    init(_ registry: MetricsRegistry, _ label: String, _ dimensions: [(String, String)], _ type: MetricType) {
        self.registry = registry
        let name = PrometheusNames.metricName(label)
        self.name = type == .counter ? MetricsRegistry.counterBaseName(name) : name
        self.dimensions = dimensions
        self.type = type
    }

    func remove() { registry.remove(name, labels: dimensions, type: type) }
}

final class CounterBox: CounterHandler, FloatingPointCounterHandler {
    let series: CounterSeries
    let ref: SeriesRef
    init(_ series: CounterSeries, ref: SeriesRef) {
        self.series = series
        self.ref = ref
    }
    func increment(by amount: Int64) { series.increment(by: amount) }
    func increment(by amount: Double) { series.increment(by: amount) }
    func reset() { series.reset() }
}

final class GaugeBox: RecorderHandler, MeterHandler {
    let series: GaugeSeries
    let ref: SeriesRef
    init(_ series: GaugeSeries, ref: SeriesRef) {
        self.series = series
        self.ref = ref
    }
    func record(_ value: Int64) { series.set(Double(value)) }
    func record(_ value: Double) { series.set(value) }
    func set(_ value: Int64) { series.set(Double(value)) }
    func set(_ value: Double) { series.set(value) }
    func increment(by amount: Double) { series.increment(by: amount) }
    func decrement(by amount: Double) { series.decrement(by: amount) }
}

/// Aggregating recorders observe values as given; timers convert nanoseconds to seconds (`scale` 1e-9).
final class HistogramBox: RecorderHandler, TimerHandler {
    let series: HistogramSeries
    let scale: Double
    let ref: SeriesRef
    init(_ series: HistogramSeries, scale: Double, ref: SeriesRef) {
        self.series = series
        self.scale = scale
        self.ref = ref
    }
    func record(_ value: Int64) { series.observe(Double(value) * scale) }
    func record(_ value: Double) { series.observe(value * scale) }
    func recordNanoseconds(_ duration: Int64) { series.observe(Double(duration) * scale) }
}
