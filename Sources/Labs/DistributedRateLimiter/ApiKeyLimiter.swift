import LabKit
import Metrics

/// How a request was decided, for the answer and the metrics (`ratelimit_decisions_total{limiter}`).
enum DecisionPath: String, CaseIterable, Sendable {
    case local, naive, atomic
    /// Redis did not answer; this instance's share of the limit decided (ON_REDIS_DOWN=local-share).
    case localShare = "local-share"
    /// Redis did not answer; admitted without a limit (ON_REDIS_DOWN=fail-open).
    case failOpen = "fail-open"
}

struct LimitDecision: Sendable {
    var admitted: Bool
    var path: DecisionPath
    var retryAfter: Duration?
}

/// The per-API-key limit of one api instance: LIMITER chooses where it lives, ON_REDIS_DOWN what a
/// shared one does when Redis is unreachable.
///
/// Metrics: `ratelimit_decisions_total{limiter, decision="admitted|refused"}` (never the API key: keys
/// are unbounded and secret), `ratelimit_redis_errors_total`, gauges `ratelimit_limit` and
/// `ratelimit_node_share`.
final class ApiKeyLimiter: Sendable {
    let settings: LimiterSettings
    private let local: KeyedSlidingLogRateLimiter<ContinuousClock>?
    private let naive: NaiveSharedLimiter?
    private let atomic: RedisSlidingLogRateLimiter?
    /// This instance's share (LIMIT / NODES), used only while Redis is down.
    private let fallback: KeyedSlidingLogRateLimiter<ContinuousClock>
    private let decisions: [String: Counter]
    private let redisErrors = Counter(label: "ratelimit_redis_errors_total")

    init(settings: LimiterSettings, redis: RedisClient?) throws {
        self.settings = settings
        switch settings.kind {
        case .local:
            local = KeyedSlidingLogRateLimiter(limit: settings.limit, window: settings.window)
            naive = nil
            atomic = nil
        case .naive, .atomic:
            guard let redis else {
                throw LabStartupError("LIMITER=\(settings.kind.rawValue) keeps the limit in Redis: REDIS_URL is not set")
            }
            local = nil
            naive = settings.kind == .naive ? NaiveSharedLimiter(redis: redis, limit: settings.limit, window: settings.window) : nil
            atomic =
                settings.kind == .atomic ? RedisSlidingLogRateLimiter(redis: redis, limit: settings.limit, window: settings.window) : nil
        }
        fallback = KeyedSlidingLogRateLimiter(limit: settings.nodeShare, window: settings.window)
        var decisions: [String: Counter] = [:]
        for path in DecisionPath.allCases {
            for decision in ["admitted", "refused"] {
                let counter = Counter(label: "ratelimit_decisions_total", dimensions: [("limiter", path.rawValue), ("decision", decision)])
                counter.increment(by: 0) // every series exists from the start (rates and increases see the first ones)
                decisions["\(path.rawValue)/\(decision)"] = counter
            }
        }
        self.decisions = decisions
        redisErrors.increment(by: 0)
        Gauge(label: "ratelimit_limit").record(settings.limit)
        Gauge(label: "ratelimit_node_share").record(settings.nodeShare)
    }

    func decide(_ key: String) async -> LimitDecision {
        let decision = await decideUncounted(key)
        decisions["\(decision.path.rawValue)/\(decision.admitted ? "admitted" : "refused")"]?.increment()
        return decision
    }

    private func decideUncounted(_ key: String) async -> LimitDecision {
        if let local { return LimitDecision(admitted: local.tryAcquire(key), path: .local) }
        do {
            if let atomic {
                let answer = try await atomic.check(key)
                return LimitDecision(admitted: answer.admitted, path: .atomic, retryAfter: answer.admitted ? nil : answer.retryAfter)
            }
            guard let naive else { preconditionFailure("a shared limiter is naive or atomic") }
            return LimitDecision(admitted: try await naive.check(key), path: .naive)
        } catch {
            // Redis is down, cut off or too slow: the policy decides, and the outage is counted.
            redisErrors.increment()
            switch settings.onRedisDown {
            case .failOpen: return LimitDecision(admitted: true, path: .failOpen)
            case .localShare: return LimitDecision(admitted: fallback.tryAcquire(key), path: .localShare)
            }
        }
    }
}
