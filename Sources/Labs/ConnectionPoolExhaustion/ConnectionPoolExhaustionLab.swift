import LabKit

/// Week 4: connection pool exhaustion.
///
///     app  GET /items/{id}  → one indexed SELECT (a few ms)          — the fast path
///          GET /report      → SELECT pg_sleep(2): a slow report     — the slow path
///
/// `POOLS=shared`: both paths lease from one small pool; `POOLS=split`: each path has its own pool
/// (a bulkhead). Acquire and statement timeouts per pool come from the environment (`PoolSettings`).
enum ConnectionPoolExhaustionLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "app",
            "GET /items/{id} (fast) and GET /report (pg_sleep) on PostgreSQL (DATABASE_URL); POOLS=shared|split, *_POOL_SIZE, *_ACQUIRE_TIMEOUT_MS, *_STATEMENT_TIMEOUT_MS",
            build: CatalogApp.build)
    ]
}
