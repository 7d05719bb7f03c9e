import LabKit

/// Week 11: rate limiting, five algorithms side by side on one Redis.
///
///     load generator → limiter POST /orders/{client}        ordinary clients, far under the limit
///     burst-client   → limiter POST /limit/{algorithm}/{key} and POST /orders/{key}
///                       a burst across a window edge, the same requests to every limiter
///
/// `RATE_LIMITER` chooses the algorithm that guards the api (`/orders`): fixed-window before,
/// sliding-log after. The five `/limit/{algorithm}` routes run in both variants, for the comparison.
enum RateLimitingLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "limiter",
            "POST /limit/{algorithm}/{key} and POST /orders/{client} (RATE_LIMITER): 200 admitted, 429 refused; limits in Redis (REDIS_URL)",
            build: RateLimiterService.build),
        .init(
            "burst-client",
            "POST /rounds/start|stop, GET /rounds: bursts across window edges (Redis TIME) to every limiter (LIMITER_URL), counted exactly",
            build: BoundaryBurstClient.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "limiter": RateLimitSettings.knobs + LabService.redisKnobs,
        "burst-client": BurstPlan.knobs + LabService.redisKnobs,
    ]
}
