import Instrumentation
import Tracing

/// Our swift-distributed-tracing `Tracer`. Starting a span picks its parent from the given context
/// (by default the task-local `ServiceContext.current`, which `withSpan` maintains), asks the sampler,
/// and returns a span whose context carries the new `spanContext`. It is also the `Instrument` that
/// extracts and injects W3C `traceparent`/`tracestate` headers.
///
/// Build one for a test with `TelemetryTracer(processor: InMemorySpanProcessor())`; for a service use
/// `TracingSystem.bootstrap`, which also installs it globally.
public final class TelemetryTracer: Tracer, Sendable {
    public typealias Span = TelemetrySpan

    public let sampler: any Sampler
    public let processor: any SpanProcessor
    public let limits: SpanLimits
    private let propagator = W3CTraceContextPropagator()
    private let ids = IDGenerator()

    public init(sampler: any Sampler = Samplers.default, processor: any SpanProcessor, limits: SpanLimits = SpanLimits()) {
        self.sampler = sampler
        self.processor = processor
        self.limits = limits
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> TelemetrySpan {
        let parentContext = context()
        let parent = parentContext.spanContext.flatMap { $0.traceID.isValid && $0.spanID.isValid ? $0 : nil }
        let (traceID, spanID) = ids.ids(traceID: parent?.traceID)
        let sampled = sampler.shouldSample(traceID: traceID, parent: parent, operationName: operationName)
        let spanContext = SpanContext(
            traceID: traceID,
            spanID: spanID,
            traceFlags: sampled ? 0x01 : 0x00,
            traceState: parent?.traceState ?? "",
            isRemote: false
        )
        return TelemetrySpan(
            name: operationName, kind: kind, parentContext: parentContext, spanContext: spanContext, parent: parent,
            startNanoseconds: instant().nanosecondsSinceEpoch, isRecording: sampled,
            sink: SpanSink(processor: processor, limits: limits))
    }

    /// The legacy (sync) flush of the `LegacyTracer` protocol: starts a flush without waiting for it.
    /// Prefer `await processor.forceFlush()` or the `TracerHandle`.
    public func forceFlush() {
        let processor = self.processor
        Task { await processor.forceFlush() }
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        propagator.extract(carrier, into: &context, using: extractor)
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        propagator.inject(context, into: &carrier, using: injector)
    }
}
