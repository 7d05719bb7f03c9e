import LabKit

/// Week 20: a distributed rate limiter, one limit per API key across three api instances.
///
///     load generator, burst-client → lb (HAProxy, round robin) → api-1, api-2, api-3 → Redis (through a fault proxy)
///
/// `LIMITER` chooses where the limit lives: local (each instance alone), naive (Redis, check then add
/// in two round trips), atomic (Redis, one Lua script). `ON_REDIS_DOWN` chooses what a shared limiter
/// does while Redis is unreachable: fail-open, or local-share (LIMIT / NODES per instance).
enum DistributedRateLimiterLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "GET /v1/quotes/{symbol} with X-API-Key: 200 admitted, 429 refused, 400 no key; the limit per key is LIMITER (local, naive, atomic) with ON_REDIS_DOWN",
            build: LimitedApi.build),
        .init(
            "burst-client",
            "POST /rounds/start {phase} | /rounds/stop, GET /rounds: BURST requests at once per round, one new API key each, through the balancer (LB_URL)",
            build: BurstClient.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": LimiterSettings.knobs,
        "burst-client": BurstSettings.knobs,
    ]
}
