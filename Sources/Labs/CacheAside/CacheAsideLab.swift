import LabKit

/// Week 8: the cache-aside pattern.
///
///     catalog  GET /products/{id}  → Redis GET product:{id} → on a miss: PostgreSQL SELECT (slow) → Redis SET (TTL)
///              PUT /products/{id}  → PostgreSQL UPDATE (version + 1) → Redis DEL product:{id}
///
/// `CACHE=on` turns the cache on, `INVALIDATE=on` deletes the cached row after an update,
/// `CACHE_TTL_MS` bounds how long a cached row lives, `DB_READ_COST_MS` is what one product read costs
/// the database (a `pg_sleep` inside the query).
enum CacheAsideLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "catalog",
            "GET/PUT /products/{id}: PostgreSQL (DATABASE_URL) behind a Redis cache-aside cache (REDIS_URL); CACHE/INVALIDATE/CACHE_TTL_MS/DB_READ_COST_MS knobs",
            build: CacheAsideCatalog.build)
    ]
}
