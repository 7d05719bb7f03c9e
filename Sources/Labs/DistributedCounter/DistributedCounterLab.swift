import LabKit

/// Week 34: a view counter shared by several API replicas.
///
///     edge  POST /videos/{id}/views → round-robin over the api replicas (API_URL, comma-separated)
///     api   POST /videos/{id}/views → count one view in Redis; GET /videos/{id}/views → the total
///
/// `COUNTER=get-set`: read the count, add one, write it back (two commands). `COUNTER=sharded-incr`:
/// INCR on one of SHARDS keys, the total is the sum of the shards (one MGET).
enum DistributedCounterLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "edge", "POST|GET /videos/{id}/views: round-robins over the api replicas (API_URL, comma-separated)",
            build: CounterEdge.build),
        .init(
            "api", "POST /videos/{id}/views counts a view in Redis (REDIS_URL), GET returns the total; COUNTER=get-set|sharded-incr",
            build: ViewCounterService.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "edge": [],
        "api": ViewCounterSettings.knobs + LabService.redisKnobs,
    ]
}
