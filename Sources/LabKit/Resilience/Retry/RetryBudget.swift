import CoreMetrics
import Synchronization

/// Limits how many retries a client may send, so retries cannot multiply load on a failing server.
///
/// Two budgets can be combined; a retry needs the permission of every configured one:
///
/// - ``Throttling`` is gRPC's retry throttling (gRFC A6): a bucket of `maxTokens` tokens starts full;
///   every failed attempt takes 1 token, every successful attempt adds `tokenRatio`; retries are allowed
///   only while `tokens > maxTokens / 2`. When the server fails a lot, the bucket drains and retries
///   stop; successes refill it. Retries themselves cost nothing; failures do.
/// - ``Percentage`` caps retries at a fraction of requests (Finagle's retry budget without its time
///   window): every request deposits `ratio` of a token, every retry withdraws a whole one, and the
///   balance never exceeds `burst`, so a quiet period cannot bank an unlimited storm of retries.
///   Over any stretch of traffic, retries <= `ratio` x requests + `burst`.
///
/// Token counts are kept in thousandths of a token (as gRPC specifies), so results are exact.
///
/// Metrics: `retry_budget_denied_total{name}` counts retries refused; `retry_budget_tokens{name}` is
/// the throttling bucket's level (only when throttling is configured).
public final class RetryBudget: Sendable {
    public struct Throttling: Sendable, Equatable {
        public var maxTokens: Double
        public var tokenRatio: Double

        /// gRPC bounds: `0 < maxTokens <= 1000`, `0 < tokenRatio`; values have 3 decimal places.
        public init(maxTokens: Double = 10, tokenRatio: Double = 0.1) {
            precondition(maxTokens > 0 && maxTokens <= 1000, "maxTokens must be in (0, 1000]")
            precondition(tokenRatio > 0, "tokenRatio must be > 0")
            self.maxTokens = maxTokens
            self.tokenRatio = tokenRatio
        }
    }

    public struct Percentage: Sendable, Equatable {
        /// Retries allowed per request, e.g. 0.2 = at most 20% extra load from retries.
        public var ratio: Double
        /// The largest number of retries that may be saved up (and the starting balance).
        public var burst: Int

        public init(ratio: Double = 0.2, burst: Int = 10) {
            precondition(ratio > 0 && burst >= 1)
            self.ratio = ratio
            self.burst = burst
        }
    }

    private static let milli = 1000

    private struct State {
        var throttlingTokens: Int // milli-tokens
        var percentageBalance: Int // milli-retries
    }

    public let name: String
    public let throttling: Throttling?
    public let percentage: Percentage?
    private let maxThrottlingTokens: Int
    private let tokenRatioMilli: Int
    private let depositMilli: Int
    private let state: Mutex<State>
    private let deniedCounter: Counter
    private let tokensGauge: Gauge?

    public init(
        name: String,
        throttling: Throttling? = Throttling(),
        percentage: Percentage? = nil,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        self.throttling = throttling
        self.percentage = percentage
        maxThrottlingTokens = Int(((throttling?.maxTokens ?? 0) * Double(Self.milli)).rounded())
        tokenRatioMilli = Int(((throttling?.tokenRatio ?? 0) * Double(Self.milli)).rounded())
        depositMilli = Int(((percentage?.ratio ?? 0) * Double(Self.milli)).rounded())
        state = Mutex(State(throttlingTokens: maxThrottlingTokens, percentageBalance: (percentage?.burst ?? 0) * Self.milli))
        deniedCounter = Counter(label: "retry_budget_denied_total", dimensions: [("name", name)], factory: metricsFactory)
        tokensGauge =
            throttling == nil ? nil : Gauge(label: "retry_budget_tokens", dimensions: [("name", name)], factory: metricsFactory)
        tokensGauge?.record(Double(maxThrottlingTokens) / Double(Self.milli))
    }

    /// The throttling bucket's current level (nil when throttling is not configured).
    public var tokens: Double? {
        throttling == nil ? nil : Double(state.withLock { $0.throttlingTokens }) / Double(Self.milli)
    }

    /// Call once per logical request (its first attempt): feeds the percentage budget.
    public func recordRequest() {
        guard let percentage else { return }
        state.withLock { state in
            state.percentageBalance = min(percentage.burst * Self.milli, state.percentageBalance + depositMilli)
        }
    }

    /// Call after every attempt that succeeded: refills the throttling bucket by `tokenRatio`.
    public func recordSuccess() {
        guard throttling != nil else { return }
        state.withLock { state in
            state.throttlingTokens = min(maxThrottlingTokens, state.throttlingTokens + tokenRatioMilli)
            tokensGauge?.record(Double(state.throttlingTokens) / Double(Self.milli))
        }
    }

    /// Call after every attempt that failed in a way worth retrying: drains one token.
    public func recordFailure() {
        guard throttling != nil else { return }
        state.withLock { state in
            state.throttlingTokens = max(0, state.throttlingTokens - Self.milli)
            tokensGauge?.record(Double(state.throttlingTokens) / Double(Self.milli))
        }
    }

    /// Asks to send one retry. Returns false (and counts a denial) when any budget says no;
    /// when allowed, the percentage budget is charged for it.
    public func tryAcquireRetry() -> Bool {
        let allowed = state.withLock { state -> Bool in
            if throttling != nil, state.throttlingTokens * 2 <= maxThrottlingTokens { return false }
            if percentage != nil {
                guard state.percentageBalance >= Self.milli else { return false }
                state.percentageBalance -= Self.milli
            }
            return true
        }
        if !allowed { deniedCounter.increment() }
        return allowed
    }
}
