import CoreMetrics
import Instrumentation
import Tracing

/// A running tracing pipeline: the tracer and what to call on the way out.
public final class TracerHandle: Sendable {
    public let tracer: TelemetryTracer
    public let configuration: TelemetryConfiguration

    init(tracer: TelemetryTracer, configuration: TelemetryConfiguration) {
        self.tracer = tracer
        self.configuration = configuration
    }

    /// Exports every span ended so far.
    public func forceFlush() async { await tracer.processor.forceFlush() }

    /// Exports what is queued and stops exporting. Call it when the service stops.
    public func shutdown() async { await tracer.processor.shutdown() }
}

/// The entry point services call once at startup:
///
/// ```swift
/// let tracing = TracingSystem.bootstrap(
///     configuration: .fromEnvironment(TelemetryConfiguration.processEnvironment()),
///     transport: myHTTPTransport)
/// defer { Task { await tracing.shutdown() } }
/// ```
///
/// `bootstrap` installs the tracer in `InstrumentationSystem` (once per process — a swift-distributed-
/// tracing rule). `makeTracer` builds the same pipeline without touching globals (for tests, or
/// to run several services in one process).
public enum TracingSystem {
    /// - Parameter additionalProcessors: also receive every finished span (e.g. an
    ///   `InMemorySpanProcessor` a test inspects, or an in-process trace store).
    public static func bootstrap(
        configuration: TelemetryConfiguration,
        transport: any OTLPTransport,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        additionalProcessors: [any SpanProcessor] = []
    ) -> TracerHandle {
        let handle = makeTracer(
            configuration: configuration, transport: transport, metricsFactory: metricsFactory,
            additionalProcessors: additionalProcessors)
        InstrumentationSystem.bootstrap(handle.tracer)
        return handle
    }

    /// The OTLP/HTTP pipeline: tracer → batch processor → exporter → `transport`.
    public static func makeTracer(
        configuration: TelemetryConfiguration,
        transport: any OTLPTransport,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        additionalProcessors: [any SpanProcessor] = []
    ) -> TracerHandle {
        var processors = additionalProcessors
        if !configuration.isExportDisabled {
            let exporter = OTLPHTTPSpanExporter(
                endpoint: configuration.tracesEndpoint, transport: transport, resource: configuration.resource,
                timeout: configuration.batch.exportTimeout)
            processors.insert(
                BatchSpanProcessor(exporter: exporter, configuration: configuration.batch, metricsFactory: metricsFactory), at: 0)
        }
        let processor: any SpanProcessor = processors.count == 1 ? processors[0] : MultiSpanProcessor(processors)
        return makeTracer(configuration: configuration, processor: processor)
    }

    /// A tracer over any processor (e.g. `InMemorySpanProcessor` in tests). With `OTEL_SDK_DISABLED`
    /// nothing is recorded, but W3C context still propagates.
    public static func makeTracer(configuration: TelemetryConfiguration, processor: any SpanProcessor) -> TracerHandle {
        let sampler: any Sampler = configuration.isDisabled ? AlwaysOffSampler() : configuration.sampler
        return TracerHandle(
            tracer: TelemetryTracer(sampler: sampler, processor: processor, limits: configuration.spanLimits), configuration: configuration)
    }
}
