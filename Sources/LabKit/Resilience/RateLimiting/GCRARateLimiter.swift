import CoreMetrics
import Synchronization

/// The Generic Cell Rate Algorithm (ITU-T I.371, "virtual scheduling" form), as used by Redis-based
/// limiters such as redis-cell. One timestamp of state per key.
///
/// With emission interval `T = period / permitsPerPeriod` and tolerance `tau = T * (burst - 1)`, it keeps
/// the theoretical arrival time `TAT` (initially "now"). A request at time `t`:
/// - conforms if `t >= TAT - tau`: admitted, and `TAT = max(TAT, t) + T`;
/// - otherwise is rejected and `TAT` is unchanged (it may retry after `TAT - tau - t`).
///
/// Equivalent to a token bucket of `burst` tokens refilled every `T` (but exact with one instant of
/// state). Metrics: `rate_limiter_requests_total{name, algorithm="gcra", outcome}`.
public final class GCRARateLimiter<C: Clock<Duration>>: RateLimiter {
    public let name: String
    public let emissionInterval: Duration
    public let tolerance: Duration
    private let clock: C
    private let theoreticalArrival: Mutex<C.Instant>
    private let counters: RateLimiterCounters

    public init(
        name: String, permitsPerPeriod: Int, period: Duration = .seconds(1), burst: Int = 1, clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(permitsPerPeriod >= 1 && period > .zero && burst >= 1)
        self.name = name
        emissionInterval = period / permitsPerPeriod
        tolerance = emissionInterval * (burst - 1)
        self.clock = clock
        theoreticalArrival = Mutex(clock.now)
        counters = RateLimiterCounters(name: name, algorithm: "gcra", factory: metricsFactory)
    }

    public func tryAcquire() -> Bool { tryAcquire(at: clock.now) }

    /// Decides as of `now`.
    public func tryAcquire(at now: C.Instant) -> Bool {
        counters.count(
            theoreticalArrival.withLock { tat in
                guard now >= tat.advanced(by: .zero - tolerance) else { return false }
                tat = max(tat, now).advanced(by: emissionInterval)
                return true
            })
    }

    /// How long a request at `now` would have to wait to conform (zero if it conforms now).
    public func retryAfter(at now: C.Instant) -> Duration {
        let earliest = theoreticalArrival.withLock { $0 }.advanced(by: .zero - tolerance)
        return max(.zero, now.duration(to: earliest))
    }
}

extension GCRARateLimiter where C == ContinuousClock {
    public convenience init(
        name: String, permitsPerPeriod: Int, period: Duration = .seconds(1), burst: Int = 1,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            name: name, permitsPerPeriod: permitsPerPeriod, period: period, burst: burst, clock: ContinuousClock(),
            metricsFactory: metricsFactory)
    }
}
