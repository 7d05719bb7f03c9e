import Logging
import ServiceContextModule

extension Logger.MetadataProvider {
    /// Stamps every log line written inside a span with `trace_id` and `span_id` (32 and 16 lowercase
    /// hex characters, as in `traceparent`), so a log line leads to its trace in Jaeger/Grafana:
    ///
    /// ```swift
    /// LoggingSystem.bootstrap(LineLogHandler.standardError, metadataProvider: .traceContext)
    /// ```
    public static let traceContext = Logger.MetadataProvider {
        guard let span = ServiceContext.current?.spanContext, span.traceID.isValid else { return [:] }
        return ["trace_id": .string(span.traceID.hex), "span_id": .string(span.spanID.hex)]
    }
}
