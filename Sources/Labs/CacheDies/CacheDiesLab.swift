import LabKit

/// Week 2: the cache dies.
///
///     catalog  GET /products/{id} → Redis (through a fault proxy) → on a miss: db GET /products/{id}
///
/// The catalog is a read-heavy service that answers from Redis and falls back to a slow database
/// with a hard capacity. The scenario takes Redis's proxy down, then brings it back.
enum CacheDiesLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "catalog",
            "GET /products/{id}: Redis (REDIS_URL) first, db GET /products/{id} (DB_URL) on a miss; CACHE_*/FALLBACK/DB_LIMIT/WARMUP knobs",
            build: CatalogService.build),
        .init(
            "db", "GET /products/{id}: the slow database, DB_WORKERS × DB_WORK_MS with a queue of DB_QUEUE, 503 beyond",
            build: ProductDatabase.build),
    ]
}
