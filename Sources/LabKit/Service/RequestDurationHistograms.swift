import CoreMetrics
import Synchronization

/// The handlers of `http_server_request_duration_seconds`, one per (method, route, status), looked up
/// by those three values.
///
/// Why not ask the metrics factory each time: the factory's lookup needs the label array — built per
/// request, with the status code made a string — and hashes the metric name and all six label
/// strings; that was about 1 µs of every request here (Benchmarks/http-telemetry). This key hashes
/// two short strings and an integer. Bounded: past `capacity` combinations (clients can send any
/// method), new ones go to the factory uncached.
final class RequestDurationHistograms: Sendable {
    static let metricName = "http_server_request_duration_seconds"
    static let capacity = 1_000

    private struct Key: Hashable {
        let method: String
        let route: String?
        let status: Int
    }

    private let factory: any MetricsFactory
    private let handlers = Mutex<[Key: any TimerHandler]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func handler(method: String, route: String?, status: Int) -> any TimerHandler {
        let key = Key(method: method, route: route, status: status)
        if let handler = handlers.withLock({ $0[key] }) { return handler }
        let made = factory.makeTimer(
            label: Self.metricName,
            dimensions: [
                ("http_request_method", method), ("http_route", route ?? "unmatched"), ("http_response_status_code", String(status)),
            ])
        handlers.withLock { handlers in
            if handlers.count < Self.capacity { handlers[key] = made }
        }
        return made
    }
}
