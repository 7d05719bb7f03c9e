// The generator's own telemetry: metrics through the swift-metrics facade and one client span per
// request whose context travels in `traceparent`, so each service trace hangs under the
// load generator's span.

import CoreMetrics
import Instrumentation
import NIOHTTP1
import ServiceContextModule
import Tracing

/// Metric handles for one request kind, made once per run (not per request).
struct KindMetrics: Sendable {
    /// `loadgen_requests_total{kind, outcome}`, indexed by `RequestOutcome.rawValue`.
    let requests: [Counter]
    /// `loadgen_request_duration_seconds{kind}`: latency from the scheduled send time.
    let duration: Timer

    init(kind: String, factory: any MetricsFactory) {
        requests = RequestOutcome.allCases.map {
            Counter(label: "loadgen_requests_total", dimensions: [("kind", kind), ("outcome", $0.label)], factory: factory)
        }
        duration = Timer(
            label: "loadgen_request_duration_seconds", dimensions: [("kind", kind)],
            preferredDisplayUnit: .seconds, factory: factory)
    }

    func record(_ outcome: RequestOutcome, latency: Duration?) {
        requests[outcome.rawValue].increment()
        if let latency { duration.recordNanoseconds(latency.microseconds * 1_000) }
    }
}

/// Writes trace context into outgoing HTTP headers.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
