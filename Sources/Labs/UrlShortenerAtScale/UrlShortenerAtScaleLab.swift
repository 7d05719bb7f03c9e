import LabKit

/// Week 50: week 5's URL shortener at scale.
///
///     load → HAProxy (lb) → shortener-1..3  GET /r/{code}
///              1. per-client rate limit: one Lua script in Redis `limits` (week 20's RedisSlidingLogRateLimiter)
///              2. the link: the Redis shard the consistent-hash ring names (cache-1..3), PostgreSQL on a miss
///              3. the click: CLICKS=sync-db  → a transaction in PostgreSQL before the 302 (before)
///                            CLICKS=broker   → a batched, confirmed publish to RabbitMQ before the 302 (after)
///     analytics  consumes the clicks queue, adds each batch to links.clicks in ONE transaction (deduplicated
///                by batch id), and reports the ledger: every click PostgreSQL holds, counted.
enum UrlShortenerAtScaleLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "shortener",
            "GET /r/{code}: rate limit (LIMITS_URL), cache shard on the ring (CACHE_n_URL), PostgreSQL (DATABASE_URL); records the click (CLICKS knob) before answering 302",
            build: ScaledShortener.build),
        .init(
            "analytics",
            "consumes the clicks queue (RABBITMQ_URL) into links.clicks; reports clicks_in_database and PostgreSQL's wait events",
            build: ClickAnalytics.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "shortener": ScaleSettings.knobs + LabPostgres.knobs + LabService.redisKnobs + LabService.rabbitMQKnobs,
        "analytics": ClickAnalytics.knobs + LabPostgres.knobs + LabService.rabbitMQKnobs,
    ]
}
