import LabKit

/// Week 5: a URL shortener, and how truncated-hash codes collide.
///
///     visitors  POST /links  → shortener POST /urls → PostgreSQL INSERT … ON CONFLICT DO NOTHING → Redis SET
///               GET /follow  → shortener GET /r/{code} → Redis GET → on a miss: PostgreSQL SELECT → Redis SET
///               POST /audit  → shortener POST /resolve (every code the visitors were given)
///
/// `CODES=hash-unchecked` hands out a code whatever the insert did; `CODES=hash-rekeyed` re-keys a URL
/// whose code a different URL holds. `CODE_BITS` is the hash width, `CACHE` the Redis cache.
enum UrlShortenerLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "visitors",
            "POST /links, GET /follow, POST /audit: shortens new URLs and follows them through the shortener (SHORTENER_URL), checking every redirect",
            build: Visitors.build),
        .init(
            "shortener",
            "POST /urls, GET /r/{code}, POST /resolve: PostgreSQL (DATABASE_URL) with a Redis cache-aside cache (REDIS_URL); CODES/CODE_BITS/CACHE knobs",
            build: ShortenerService.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "visitors": Visitors.knobs,
        "shortener": ShortenerSettings.knobs + LabPostgres.knobs + LabService.redisKnobs,
    ]
}
