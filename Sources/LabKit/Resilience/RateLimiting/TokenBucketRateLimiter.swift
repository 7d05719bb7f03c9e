import CoreMetrics
import Synchronization

/// A token bucket: holds up to `capacity` tokens, gains one every `period / permitsPerPeriod`, and each
/// request takes one. It allows bursts of up to `capacity` after a quiet spell and `permitsPerPeriod`
/// per period sustained. The bucket starts full.
///
/// Tokens are whole numbers plus the progress towards the next one, and time is counted in
/// attoseconds, so the result is exact: it decides exactly like the continuous model
/// `tokens = min(capacity, tokens + elapsed / interval)`, and hence exactly like ``GCRARateLimiter``
/// with `burst == capacity`.
///
/// Metrics: `rate_limiter_requests_total{name, algorithm="token_bucket", outcome}` and the gauge
/// `rate_limiter_available_tokens{name}`.
public final class TokenBucketRateLimiter<C: Clock<Duration>>: RateLimiter {
    private struct State {
        var tokens: Int
        /// The instant the next token's refill interval started.
        var refilledAt: C.Instant
    }

    public let name: String
    public let capacity: Int
    /// Time to earn one token.
    public let interval: Duration
    private let clock: C
    private let state: Mutex<State>
    private let counters: RateLimiterCounters
    private let tokensGauge: Gauge

    public init(
        name: String, capacity: Int, permitsPerPeriod: Int, period: Duration = .seconds(1), clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(capacity >= 1 && permitsPerPeriod >= 1 && period > .zero)
        self.name = name
        self.capacity = capacity
        interval = period / permitsPerPeriod
        self.clock = clock
        state = Mutex(State(tokens: capacity, refilledAt: clock.now))
        counters = RateLimiterCounters(name: name, algorithm: "token_bucket", factory: metricsFactory)
        tokensGauge = Gauge(label: "rate_limiter_available_tokens", dimensions: [("name", name)], factory: metricsFactory)
        tokensGauge.record(capacity)
    }

    public func tryAcquire() -> Bool { tryAcquire(at: clock.now) }

    /// Decides as of `now` (which must not go backwards).
    public func tryAcquire(at now: C.Instant) -> Bool {
        counters.count(
            state.withLock { state in
                refill(&state, now: now)
                defer { tokensGauge.record(state.tokens) }
                guard state.tokens > 0 else { return false }
                state.tokens -= 1
                return true
            })
    }

    /// Tokens available at `now` (refilling first).
    public func availableTokens(at now: C.Instant) -> Int {
        state.withLock { state in
            refill(&state, now: now)
            return state.tokens
        }
    }

    private func refill(_ state: inout State, now: C.Instant) {
        // A full bucket earns nothing: the next token's interval starts when one is taken.
        guard state.tokens < capacity else {
            state.refilledAt = now
            return
        }
        let earned = state.refilledAt.duration(to: now).attoseconds / interval.attoseconds
        guard earned > 0 else { return }
        if Int128(state.tokens) + earned >= Int128(capacity) {
            state.tokens = capacity
            state.refilledAt = now
        } else {
            state.tokens += Int(earned)
            state.refilledAt = state.refilledAt.advanced(by: interval * Int(earned)) // keep the partial interval
        }
    }
}

extension TokenBucketRateLimiter where C == ContinuousClock {
    public convenience init(
        name: String, capacity: Int, permitsPerPeriod: Int, period: Duration = .seconds(1),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            name: name, capacity: capacity, permitsPerPeriod: permitsPerPeriod, period: period, clock: ContinuousClock(),
            metricsFactory: metricsFactory)
    }
}
