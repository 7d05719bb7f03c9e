import LabKit

/// Week 31: a rate limiter service, and what its callers do when it does not answer.
///
///     load generator → lb (HAProxy, round robin) → api-1, api-2, api-3 ──POST /v1/check/{client}──→ limiter → Redis
///
/// The limiter keeps one exact count per client in Redis (week 20's atomic Lua script) and a limit
/// per client that `PUT /v1/limits/{client}` changes at run time. Each api instance asks it before
/// serving; `LIMITER_TIMEOUT_MS`, `ON_LIMITER_DOWN` and `SKIP_AFTER_FAILURES` decide what a request
/// pays, and gets, when the limiter hangs.
enum RateLimiterServiceLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "GET /v1/quotes/{symbol} with X-Client-Id: asks the limiter (LIMITER_URL); 200 admitted, 429 refused, 503 failing closed, 400 no id",
            build: LimitedCaller.build),
        .init(
            "limiter",
            "POST /v1/check/{client}, GET /v1/limits, PUT /v1/limits/{client} {limit}: one count per client in Redis, limits changed at run time",
            build: LimiterService.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": CallerSettings.knobs,
        "limiter": LimiterServiceSettings.knobs,
    ]
}
