import LabKit

/// Week 47: bulkhead isolation, by resource kind.
///
///     load generator → api  GET /catalog/{id} → catalog  (one indexed SELECT: a few ms)      the fast path
///                           GET /reports/{id} → reports  (pg_sleep: 3 s, a real slow query)  the slow dependency
///                           GET /exports/{id} → reports  through a blocking (synchronous) client
///
/// Two resources of the api are shared in `before` and isolated in `after`:
/// - outbound connections: `POOLS=shared` (one pool for both dependencies) or `per-dependency`
///   (a pool per dependency, each sized by Little's law: connections = calls/s × seconds held);
/// - threads: `EXPORTS=inline` (the blocking client runs on Swift's cooperative pool, one thread per
///   core) or `executor` (a `BlockingExecutor` of its own, bounded like a bulkhead).
enum BulkheadIsolationLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "GET /catalog/{id}, /reports/{id} (HTTP pools: POOLS=shared|per-dependency), /exports/{id} (blocking client: EXPORTS=inline|executor)",
            build: Storefront.build),
        .init(
            "catalog", "GET /items/{id}: one indexed SELECT on PostgreSQL (DATABASE_URL)",
            build: { try await Dependency.build($0, kind: .catalog) }),
        .init(
            "reports", "GET /reports/{id}: a SELECT that sleeps REPORT_MS in PostgreSQL (pg_sleep)",
            build: { try await Dependency.build($0, kind: .reports) }),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": StorefrontSettings.knobs,
        "catalog": LabPostgres.knobs,
        "reports": LabPostgres.knobs + [Dependency.reportTimeKnob],
    ]
}
