import CoreMetrics
import Synchronization

/// At most `limit` requests per `window`, in one of two ways:
///
/// - ``Algorithm/log`` (sliding log): remembers the instant of each admitted request in the last
///   `window` and admits a request only if fewer than `limit` are remembered. Exact: no interval of
///   length `window` ever holds more than `limit` admissions. Memory grows with `limit`.
/// - ``Algorithm/approximateCounter`` (sliding window counter, as described by Cloudflare): counts
///   admissions in fixed windows aligned to the limiter's creation and estimates the sliding count as
///   `previous * (1 - elapsed/window) + current`, assuming the previous window's requests were spread
///   evenly, and admits a request only if counting it keeps the estimate <= `limit`. O(1) memory; it
///   can over- or under-admit when traffic is bursty. The estimate is computed in integers
///   (`previous * (window - elapsed) + (current + 1) * window <= limit * window`), so it is exact.
///
/// Metrics: `rate_limiter_requests_total{name, algorithm="sliding_log|sliding_window_counter", outcome}`.
public final class SlidingWindowRateLimiter<C: Clock<Duration>>: RateLimiter {
    public enum Algorithm: Sendable {
        case log
        case approximateCounter
    }

    private struct State {
        /// Sliding log: admission instants, oldest first (a ring would avoid the O(limit) removal;
        /// an array keeps the lesson short).
        var admitted: [C.Instant] = []
        /// Counter: index of the current fixed window and the counts of it and the one before.
        var windowIndex: Int64 = 0
        var currentCount = 0
        var previousCount = 0
    }

    public let name: String
    public let limit: Int
    public let window: Duration
    public let algorithm: Algorithm
    private let clock: C
    private let origin: C.Instant
    private let state = Mutex(State())
    private let counters: RateLimiterCounters

    public init(
        name: String, limit: Int, window: Duration, algorithm: Algorithm = .log, clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(limit >= 1 && window > .zero)
        self.name = name
        self.limit = limit
        self.window = window
        self.algorithm = algorithm
        self.clock = clock
        origin = clock.now
        counters = RateLimiterCounters(
            name: name, algorithm: algorithm == .log ? "sliding_log" : "sliding_window_counter", factory: metricsFactory)
    }

    public func tryAcquire() -> Bool { tryAcquire(at: clock.now) }

    /// Decides as of `now` (which must not go backwards).
    public func tryAcquire(at now: C.Instant) -> Bool {
        counters.count(
            state.withLock { state in
                switch algorithm {
                case .log: admitByLog(&state, now: now)
                case .approximateCounter: admitByCounter(&state, now: now)
                }
            })
    }

    private func admitByLog(_ state: inout State, now: C.Instant) -> Bool {
        // Forget admissions that are a full window old: the window is (now - window, now].
        let horizon = now.advanced(by: .zero - window)
        state.admitted.removeAll { $0 <= horizon }
        guard state.admitted.count < limit else { return false }
        state.admitted.append(now)
        return true
    }

    private func admitByCounter(_ state: inout State, now: C.Instant) -> Bool {
        let sinceOrigin = origin.duration(to: now).attoseconds
        let windowLength = window.attoseconds
        let index = Int64(sinceOrigin / windowLength)
        if index != state.windowIndex {
            // Moving on: the current window becomes the previous one, unless more than one passed.
            state.previousCount = index == state.windowIndex + 1 ? state.currentCount : 0
            state.currentCount = 0
            state.windowIndex = index
        }
        let elapsed = sinceOrigin % windowLength
        let weighted = Int128(state.previousCount) * (windowLength - elapsed) + Int128(state.currentCount) * windowLength
        // Admit if one more request keeps the estimate within the limit.
        guard weighted + windowLength <= Int128(limit) * windowLength else { return false }
        state.currentCount += 1
        return true
    }
}

extension SlidingWindowRateLimiter where C == ContinuousClock {
    public convenience init(
        name: String, limit: Int, window: Duration, algorithm: Algorithm = .log,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            name: name, limit: limit, window: window, algorithm: algorithm, clock: ContinuousClock(),
            metricsFactory: metricsFactory)
    }
}
