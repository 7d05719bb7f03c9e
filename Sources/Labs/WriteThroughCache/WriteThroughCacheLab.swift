import LabKit

/// Week 3: write-through cache.
///
///     checker  POST /write/{id}  → store PUT /items/{id} {"version": n}  → PostgreSQL, then Redis
///     checker  GET  /read/{id}   → store GET /items/{id}                 → Redis, on a miss PostgreSQL (+ fill)
///
/// The checker is the client that knows the truth: it numbers every write to a key (1, 2, 3, …),
/// remembers which versions the store acknowledged, and counts a read as stale
/// (`stale_reads_total`) when it returns a version older than one acknowledged before the read began.
/// `STRATEGY` on the store picks the write path: `cache-aside` (write the row, delete the cache
/// entry), `write-through` (write the row, then set the cache entry) or `versioned`
/// (write-through where every cache write is "set if newer", atomically in Redis).
enum WriteThroughCacheLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "checker",
            "POST /write/{id}, GET /read/{id}: numbered writes and checked reads against the store (STORE_URL); stale_reads_total",
            build: ConsistencyChecker.build),
        .init(
            "store",
            "PUT/GET /items/{id}: PostgreSQL (DATABASE_URL) behind a Redis cache (REDIS_URL); STRATEGY=cache-aside|write-through|versioned, FILL_DELAY_MS",
            build: ItemStore.build),
    ]
}
