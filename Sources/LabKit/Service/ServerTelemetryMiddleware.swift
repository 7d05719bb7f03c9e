import HTTPTypes
import Hummingbird
import Instrumentation
import Metrics
import ServiceContextModule
import Telemetry
import Tracing

/// One server span and one duration sample per request, named the way DESIGN.md says.
///
/// Why not Hummingbird's own `TracingMiddleware`/`MetricsMiddleware`: its span is named `/route` (no
/// method), its metric is `http.server.request.duration` with dotted labels, and it records the
/// duration after the span has ended, so an exemplar could not point at the trace. Ours is small:
/// - span `GET /items/{id}`, kind server, parent extracted from `traceparent` by the bootstrapped Instrument,
///   attributes `http.request.method`, `http.route`, `url.path`, `http.response.status_code`;
/// - `http_server_request_duration_seconds{http_request_method,http_route,http_response_status_code}`
///   recorded while the span is still the task's current context, so the histogram gets a trace exemplar;
/// - the caller's `x-request-timeout-ms` becomes the task's `RequestDeadline`.
///
/// It is on every request's path, so it does its work once where it can (Benchmarks/http-telemetry
/// measures what it costs): the tracer is looked up at construction (`LabService` bootstraps the
/// facades before it builds its router; the global lookup takes a lock on every call) and so is the
/// metrics factory; the duration histogram's handlers are kept by (method, route, status); and our
/// `TelemetrySpan` gets the four HTTP attributes in compact fields (`HTTPServerAttributes`: no
/// dictionary to allocate, hash into and free per request).
struct ServerTelemetryMiddleware: RouterMiddleware {
    private let tracer = InstrumentationSystem.tracer
    /// The histogram's handlers directly, not a `Timer` per request: no object to allocate, no lock
    /// to read the global factory, and a cheap lookup (see `RequestDurationHistograms`).
    private let durations = RequestDurationHistograms(factory: MetricsSystem.factory)

    func handle(
        _ request: Request, context: LabRequestContext, next: (Request, LabRequestContext) async throws -> Response
    ) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        if let deadline = RequestDeadline(requestHeaders: request.headers) { parent.requestDeadline = deadline }

        // The router resolved the route before running middleware; unmatched paths have none.
        let route = context.endpointPath
        let method = request.method.rawValue
        let start = ContinuousClock.now

        return try await tracer.withAnySpan(route.map { "\(method) \($0)" } ?? method, context: parent, ofKind: .server) { span in
            let ours = span as? TelemetrySpan // cast once per request; `finish` uses it too
            if let ours {
                ours.setHTTPServerAttributes(HTTPServerAttributes(method: method, path: request.uri.path, route: route))
            } else if span.isRecording { // another tracer, bootstrapped by a test
                span.attributes["http.request.method"] = method
                span.attributes["url.path"] = request.uri.path
                if let route { span.attributes["http.route"] = route }
            }
            var context = context
            context.span = span

            let status: Int
            do {
                let response = try await next(request, context)
                status = Int(response.status.code)
                finish(span, ours, status: status, method: method, route: route, start: start)
                return response
            } catch {
                status = Int((error as? any HTTPResponseError)?.status.code ?? 500)
                finish(span, ours, status: status, method: method, route: route, start: start)
                if status >= 500 {
                    // Logged inside the span, so the line carries this request's trace_id/span_id.
                    context.logger.error("request failed", metadata: ["http.route": "\(route ?? "unmatched")", "error": "\(error)"])
                }
                throw error
            }
        }
    }

    private func finish(
        _ span: any Span, _ ours: TelemetrySpan?, status: Int, method: String, route: String?, start: ContinuousClock.Instant
    ) {
        if let ours {
            ours.setHTTPStatusCode(status)
        } else if span.isRecording {
            span.attributes["http.response.status_code"] = status
        }
        if status >= 500 { span.setStatus(.init(code: .error)) }
        durations.handler(method: method, route: route, status: status).recordInterval(since: start)
    }
}

/// Reads W3C headers (or any other the Instrument asks for) from Hummingbird's request headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return carrier[name]
    }
}

extension TimerHandler {
    /// Records the time elapsed since `start` on the continuous clock.
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
