import LabKit

/// Week 12: the thundering herd (cache stampede).
///
///     edge  GET /report/{id}  → round-robin over the api replicas (API_URL, comma-separated)
///     api   GET /report/{id}  → Redis GET report:{id} → on a miss: recompute (PostgreSQL, ~250 ms) → SET, TTL 2 s
///
/// `STRATEGY=naive`: every request that misses recomputes. `STRATEGY=coalesce`: LabKit's `SingleFlight`
/// inside each replica, and a Redis lock (`SET NX PX`) across replicas — one recompute per expiry.
enum ThunderingHerdLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("edge", "GET /report/{id}: round-robins over the api replicas (API_URL, comma-separated)", build: RoundRobinEdge.build),
        .init(
            "api",
            "GET /report/{id}: Redis cache (REDIS_URL, TTL REPORT_TTL_MS) in front of an expensive PostgreSQL report (DATABASE_URL); STRATEGY=naive|coalesce",
            build: HotReportService.build),
    ]
}
