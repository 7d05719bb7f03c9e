/// How OTLP bytes reach a collector. Telemetry has no HTTP client of its own (it depends only on
/// the facades); LabKit supplies one built on AsyncHTTPClient, tests supply fakes.
public protocol OTLPTransport: Sendable {
    /// POSTs `body` to `url` and returns the response. Throws for transport failures (connection
    /// refused, reset, timeout). Should give up after `timeout`.
    func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse
}

public struct OTLPTransportResponse: Sendable, Equatable {
    public var statusCode: Int
    /// The raw `Retry-After` header, if any (we honour the delay-seconds form).
    public var retryAfter: String?
    public var body: [UInt8]

    public init(statusCode: Int, retryAfter: String? = nil, body: [UInt8] = []) {
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// When and how often a failed export is retried. OTLP/HTTP says: retry 429, 502, 503 and 504 (and
/// connection failures), never other 4xx/5xx; wait with exponential backoff plus jitter, or as long
/// as the server's `Retry-After` asks.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    public var multiplier: Double

    public init(maxAttempts: Int = 5, initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(5), multiplier: Double = 2) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }

    public static let retryableStatusCodes: Set<Int> = [429, 502, 503, 504]

    /// The capped backoff before retry number `retry` (1-based), before jitter.
    func backoff(beforeRetry retry: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(retry, 1) {
            delay = delay * multiplier
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }

    /// "Equal jitter": somewhere in [backoff/2, backoff], so clients that failed together spread out
    /// but never retry instantly.
    func jittered(_ delay: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        delay / 2 + delay / 2 * Double.random(in: 0...1, using: &generator)
    }

    /// Retry-After in its delay-seconds form (`Retry-After: 7`); HTTP-dates are not honoured.
    static func retryAfterDelay(_ header: String?) -> Duration? {
        guard let header, let seconds = Int(header.withoutSurroundingWhitespace), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
