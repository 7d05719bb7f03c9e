import Logging
import Metrics
import Synchronization
import Telemetry
import Tracing

/// Wires the concrete Telemetry backends behind the facades, once per process:
/// - swift-metrics → our Prometheus `MetricsRegistry` (what `/metrics` serves, with trace exemplars);
/// - swift-distributed-tracing → our `TelemetryTracer` exporting OTLP/HTTP over AsyncHTTPClient
///   (configured by the standard `OTEL_*` variables);
/// - swift-log → stderr lines stamped with `trace_id`/`span_id`.
/// Everything else in LabKit talks only to the facades.
public final class LabTelemetry: Sendable {
    /// What `GET /metrics` answers.
    public struct Exposition: Sendable {
        public var contentType: String
        public var body: String
    }

    public let serviceName: String
    public let registry: MetricsRegistry
    public let tracing: TracerHandle

    private init(serviceName: String, registry: MetricsRegistry, tracing: TracerHandle) {
        self.serviceName = serviceName
        self.registry = registry
        self.tracing = tracing
    }

    private static let installed = Mutex<LabTelemetry?>(nil)

    /// Processors given to a `bootstrap` call after the first: a test process may start a lab service
    /// (which bootstraps) before the test that asked for an in-memory processor.
    private static let lateProcessors = LateSpanProcessors()

    /// Bootstraps the facades on first call; later calls (several services in one test process)
    /// return the first instance, and their `additionalProcessors` are added to it.
    /// `additionalProcessors` receive every finished span (tests pass an `InMemorySpanProcessor`).
    public static func bootstrap(
        serviceName: String, environment: [String: String], additionalProcessors: [any SpanProcessor] = []
    ) -> LabTelemetry {
        installed.withLock { current in
            if let current {
                lateProcessors.add(additionalProcessors)
                return current
            }
            LoggingSystem.bootstrap(LineLogHandler.standardError, metadataProvider: .traceContext)
            let registry = MetricsRegistry.bootstrapGlobal()
            describeStandardMetrics(registry)
            let configuration = TelemetryConfiguration.fromEnvironment(environment, defaultServiceName: serviceName)
            let tracing = TracingSystem.bootstrap(
                configuration: configuration, transport: AsyncHTTPClientOTLPTransport(),
                additionalProcessors: additionalProcessors + [lateProcessors])
            let logger = Logger(label: serviceName)
            for warning in configuration.warnings { logger.warning("telemetry configuration: \(warning)") }
            let telemetry = LabTelemetry(serviceName: serviceName, registry: registry, tracing: tracing)
            current = telemetry
            return telemetry
        }
    }

    /// The process's telemetry if bootstrapped.
    public static var current: LabTelemetry? { installed.withLock { $0 } }

    /// Prometheus text 0.0.4 or OpenMetrics (with exemplars), chosen from the scraper's `Accept` header.
    public func exposition(accept: String?) -> Exposition {
        let (contentType, body) = registry.exposition(accept: accept)
        return Exposition(contentType: contentType, body: body)
    }

    /// Exports the spans ended so far; called once the HTTP server has drained at shutdown.
    /// (Not `shutdown()`: in a test process several services share the one tracer.)
    public func flush() async {
        await tracing.forceFlush()
    }

    private static func describeStandardMetrics(_ registry: MetricsRegistry) {
        let help = [
            "http_server_request_duration_seconds": "Duration of HTTP requests this service answered.",
            "http_client_request_duration_seconds": "Duration of HTTP calls this service made to peers.",
            "fault_injection_active": "1 while a fault of this kind is injected through /admin/faults.",
            "lab_config_value": "Numeric and boolean lab knobs set through LAB_CONFIG or /admin/config.",
            "lab_config_info": "String lab knobs: 1 for the current value of each key.",
            "db_client_connections_in_use": "Database connections leased by this service right now.",
            "db_client_connections_idle": "Database connections open but not leased right now.",
            "db_client_connections_pending_requests": "Callers waiting for a database connection.",
            "db_client_connection_acquire_duration_seconds": "Time callers waited for a database connection.",
        ]
        for (name, text) in help { registry.describe(name, help: text) }
    }
}

/// Span processors added after the tracer was built; free (one atomic load per span) while empty.
private final class LateSpanProcessors: SpanProcessor {
    private let processors = Mutex<[any SpanProcessor]>([])
    private let any = Atomic<Bool>(false)

    func add(_ more: [any SpanProcessor]) {
        guard !more.isEmpty else { return }
        processors.withLock { $0 += more }
        any.store(true, ordering: .releasing)
    }

    func onEnd(_ span: FinishedSpan) {
        guard any.load(ordering: .acquiring) else { return }
        for processor in processors.withLock({ $0 }) { processor.onEnd(span) }
    }

    func forceFlush() async {
        for processor in processors.withLock({ $0 }) { await processor.forceFlush() }
    }

    func shutdown() async {
        for processor in processors.withLock({ $0 }) { await processor.shutdown() }
    }
}
