/// Exports spans as OTLP/HTTP protobuf (`POST /v1/traces`, `application/x-protobuf`): one request
/// per batch, retried on 429/502/503/504 and transport errors with capped exponential backoff and
/// jitter (or the server's `Retry-After`), and never past the export timeout.
public final class OTLPHTTPSpanExporter: SpanExporter {
    public static let contentType = "application/x-protobuf"

    public let endpoint: String
    public let resource: OTLP.Resource
    public let scope: OTLP.InstrumentationScope
    public let timeout: Duration
    public let retryPolicy: RetryPolicy
    private let transport: any OTLPTransport
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameter sleep: how to wait between attempts; tests pass one that records instead of waiting.
    public init(
        endpoint: String,
        transport: any OTLPTransport,
        resource: OTLP.Resource,
        scope: OTLP.InstrumentationScope = OTLPHTTPSpanExporter.defaultScope,
        timeout: Duration = .seconds(30),
        retryPolicy: RetryPolicy = RetryPolicy(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.resource = resource
        self.scope = scope
        self.timeout = timeout
        self.retryPolicy = retryPolicy
        self.sleep = sleep
    }

    public static let defaultScope = OTLP.InstrumentationScope(
        name: TelemetryConfiguration.sdkName, version: TelemetryConfiguration.sdkVersion)

    /// What one export sends, in the OTLP model: one ResourceSpans (our resource) with one ScopeSpans.
    public func request(for spans: [FinishedSpan]) -> OTLP.ExportTraceServiceRequest {
        .init(resourceSpans: [.init(resource: resource, scopeSpans: [.init(scope: scope, spans: spans.map(\.otlp))])])
    }

    /// The body of one export: `request(for:)` as protobuf, written straight from the finished spans.
    public func body(for spans: [FinishedSpan]) -> [UInt8] {
        FinishedSpanRequest(resource: resource, scope: scope, spans: spans).protobufBytes()
    }

    public func export(_ spans: [FinishedSpan]) async -> SpanExportResult {
        guard !spans.isEmpty else { return .success }
        let body = body(for: spans)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            let remaining = deadline - clock.now
            guard remaining > .zero else { return .failure("export timeout (\(timeout)) reached after \(attempt - 1) attempts") }

            let problem: String
            var retryAfter: Duration?
            do {
                let (transport, endpoint) = (self.transport, self.endpoint)
                let response = try await withDeadline(remaining) {
                    try await transport.post(url: endpoint, body: body, contentType: Self.contentType, timeout: remaining)
                }
                if (200..<300).contains(response.statusCode) { return Self.outcome(of: response, batchSize: spans.count) }
                guard RetryPolicy.retryableStatusCodes.contains(response.statusCode) else {
                    return .failure("HTTP \(response.statusCode) from \(endpoint) (not retryable)")
                }
                problem = "HTTP \(response.statusCode)"
                retryAfter = RetryPolicy.retryAfterDelay(response.retryAfter)
            } catch is CancellationError {
                return .failure("export cancelled")
            } catch {
                problem = "transport error: \(error)"
            }

            guard attempt < retryPolicy.maxAttempts else {
                return .failure("\(problem) after \(attempt) attempts")
            }
            let delay = retryAfter ?? retryPolicy.jittered(retryPolicy.backoff(beforeRetry: attempt), using: &generator)
            guard clock.now + delay < deadline else {
                return .failure("\(problem); next retry (in \(delay)) would pass the export timeout")
            }
            do { try await sleep(delay) } catch { return .failure("export cancelled") }
        }
    }

    public func shutdown() async {}

    /// A 2xx body may carry `partial_success` (some spans rejected, e.g. invalid); an undecodable body
    /// still means the request was accepted.
    static func outcome(of response: OTLPTransportResponse, batchSize: Int) -> SpanExportResult {
        guard !response.body.isEmpty,
            let decoded = try? OTLP.ExportTraceServiceResponse(protobuf: response.body),
            decoded.rejectedSpans > 0
        else { return .success }
        return .partialSuccess(rejected: Int(min(decoded.rejectedSpans, Int64(batchSize))), message: decoded.errorMessage)
    }
}
