import CoreMetrics

/// Anything that admits or rejects a request right now. All LabKit rate limiters are deterministic
/// functions of their clock's time, so tests drive them with a `ManualClock`.
public protocol RateLimiter: Sendable {
    /// Admits one request (returns true) or rejects it.
    func tryAcquire() -> Bool
}

/// The admitted/rejected counters every rate limiter publishes:
/// `rate_limiter_requests_total{name, algorithm, outcome="admitted|rejected"}`.
struct RateLimiterCounters: Sendable {
    private let admitted: Counter
    private let rejected: Counter

    init(name: String, algorithm: String, factory: any MetricsFactory) {
        let dimensions = [("name", name), ("algorithm", algorithm)]
        admitted = Counter(
            label: "rate_limiter_requests_total", dimensions: dimensions + [("outcome", "admitted")], factory: factory)
        rejected = Counter(
            label: "rate_limiter_requests_total", dimensions: dimensions + [("outcome", "rejected")], factory: factory)
    }

    /// Counts the decision and passes it through.
    func count(_ decision: Bool) -> Bool {
        (decision ? admitted : rejected).increment()
        return decision
    }
}
