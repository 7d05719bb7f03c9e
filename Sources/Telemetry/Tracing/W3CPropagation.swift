import Instrumentation
import ServiceContextModule

/// Reads and writes `traceparent`/`tracestate` through swift-distributed-tracing's Extractor/Injector,
/// so any carrier works (HTTP headers of Hummingbird or AsyncHTTPClient, a dictionary in a message).
/// The tracer delegates its `Instrument` conformance here.
public struct W3CTraceContextPropagator: Instrument {
    public init() {}

    /// Sets `context.spanContext` to the remote parent, or leaves the context untouched when the
    /// `traceparent` is missing or invalid (the next span then starts a new trace). An invalid
    /// `tracestate` is dropped while a valid `traceparent` is still honoured, as the spec requires.
    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: W3CTraceContext.traceparentHeader, from: carrier),
            let parent = W3CTraceContext.parseTraceparent(header)
        else { return }
        let state =
            extractor.extract(key: W3CTraceContext.tracestateHeader, from: carrier)
            .flatMap(W3CTraceContext.validateTracestate) ?? ""
        context.spanContext = SpanContext(
            traceID: parent.traceID, spanID: parent.spanID, traceFlags: parent.flags, traceState: state, isRemote: true)
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let span = context.spanContext, span.traceID.isValid, span.spanID.isValid else { return }
        injector.inject(W3CTraceContext.formatTraceparent(span), forKey: W3CTraceContext.traceparentHeader, into: &carrier)
        if !span.traceState.isEmpty {
            injector.inject(span.traceState, forKey: W3CTraceContext.tracestateHeader, into: &carrier)
        }
    }
}
