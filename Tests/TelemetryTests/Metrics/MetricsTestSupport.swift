import ServiceContextModule
import XCTest

@testable import Telemetry

/// A fixed clock for exemplar timestamps: 2023-11-14T22:13:20.123Z.
let fixedNow: @Sendable () -> Double = { 1_700_000_000.123 }

let sampledSpan = SpanContext(
    traceID: TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!, spanID: SpanID(hex: "00f067aa0ba902b7")!, traceFlags: 1)

let unsampledSpan = SpanContext(
    traceID: TraceID(hex: "0af7651916cd43dd8448eb211c80319c")!, spanID: SpanID(hex: "b7ad6b7169203331")!, traceFlags: 0)

/// Runs `body` as if inside a span with this context (what the tracer does for real).
func inSpan<T>(_ span: SpanContext, _ body: () throws -> T) rethrows -> T {
    var context = ServiceContext.topLevel
    context.spanContext = span
    return try ServiceContext.withValue(context, operation: body)
}

/// Sample lines (not comments) whose name before `{` or ` ` is exactly `name`.
func samples(_ text: String, named name: String) -> [Substring] {
    text.split(separator: "\n").filter { line in
        !line.hasPrefix("#") && line.prefix { $0 != "{" && $0 != " " } == name
    }
}
