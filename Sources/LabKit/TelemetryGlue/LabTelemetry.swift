import Logging
import Synchronization

/// Wires the concrete Telemetry backends (our OTLP tracer, our Prometheus metrics registry, the
/// trace-id log metadata provider) behind the swift-distributed-tracing / swift-metrics / swift-log
/// facades, once per process. Everything else in LabKit talks only to the facades.
public final class LabTelemetry: Sendable {
    /// What `GET /metrics` answers.
    public struct Exposition: Sendable {
        public var contentType: String
        public var body: String
    }

    public let serviceName: String

    private init(serviceName: String) {
        self.serviceName = serviceName
    }

    private static let installed = Mutex<LabTelemetry?>(nil)

    /// Bootstraps the facades on first call; later calls (several services in one test process)
    /// return the same instance.
    public static func bootstrap(serviceName: String, environment: [String: String]) -> LabTelemetry {
        installed.withLock { current in
            if let current { return current }
            let telemetry = LabTelemetry(serviceName: serviceName)
            // SEAM: tracer + metrics registry + log metadata provider bootstrap goes here once
            // Sources/Telemetry/{Tracing,Metrics,Logging} publish their bootstrap APIs.
            current = telemetry
            return telemetry
        }
    }

    /// The process's telemetry if bootstrapped.
    public static var current: LabTelemetry? { installed.withLock { $0 } }

    /// Prometheus text or OpenMetrics, chosen from the scraper's `Accept` header.
    public func exposition(accept: String?) -> Exposition {
        // SEAM: replaced by the Telemetry metrics registry's exposition.
        Exposition(contentType: "text/plain; version=0.0.4; charset=utf-8", body: "")
    }

    /// Flushes buffered spans; called once the HTTP server has drained at shutdown.
    public func flush() async {
        // SEAM: the tracer's shutdown/flush handle.
    }
}
