import CoreMetrics
import Synchronization

/// At most `limit` requests per `window` for each key, in this process only: one
/// `SlidingWindowRateLimiter` (sliding log) per key, made on the key's first request and forgotten
/// once it has been idle for a whole window (so a stream of new keys does not grow memory forever).
///
/// In-process is the point and the limit: N replicas behind a balancer each admit `limit`, so a
/// client gets N x `limit` through. Use it as the local fallback of a shared limiter with `limit` set
/// to the per-node share (`limit / N`), or to show that mistake.
///
/// No metrics per key (keys are unbounded and often secret); count decisions where you use it.
public final class KeyedSlidingLogRateLimiter<C: Clock<Duration>>: Sendable {
    public let limit: Int
    public let window: Duration
    private let clock: C
    private let state = Mutex(State())

    private struct State {
        var limiters: [String: Entry] = [:]
        var decisionsSinceSweep = 0
    }

    private struct Entry {
        let limiter: SlidingWindowRateLimiter<C>
        var lastUsed: C.Instant
    }

    public init(limit: Int, window: Duration, clock: C) {
        precondition(limit >= 1 && window > .zero)
        self.limit = limit
        self.window = window
        self.clock = clock
    }

    /// Keys currently remembered.
    public var keyCount: Int { state.withLock { $0.limiters.count } }

    /// Admits one request of `key` (true) or refuses it.
    public func tryAcquire(_ key: String) -> Bool {
        let now = clock.now
        return state.withLock { state in
            state.decisionsSinceSweep += 1
            if state.decisionsSinceSweep >= 1_000 {
                state.decisionsSinceSweep = 0
                let horizon = now.advanced(by: .zero - window)
                state.limiters = state.limiters.filter { $0.value.lastUsed > horizon }
            }
            var entry =
                state.limiters[key]
                ?? Entry(
                    limiter: SlidingWindowRateLimiter(
                        name: "keyed", limit: limit, window: window, algorithm: .log, clock: clock,
                        metricsFactory: NOOPMetricsHandler.instance),
                    lastUsed: now)
            entry.lastUsed = now
            state.limiters[key] = entry
            return entry.limiter.tryAcquire(at: now)
        }
    }
}

extension KeyedSlidingLogRateLimiter where C == ContinuousClock {
    public convenience init(limit: Int, window: Duration) {
        self.init(limit: limit, window: window, clock: ContinuousClock())
    }
}
