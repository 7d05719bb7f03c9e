import LabKit

/// Week 32: unique visitors per page and day, exactly (a Redis SET) or estimated (a HyperLogLog).
///
///     api  POST /pages/{page}/visits/{visitor}   → today's key: SADD (exact) or PFADD (hyperloglog)
///     api  GET  /pages/{page}/uniques?days=N      → one day: SCARD | PFCOUNT; N days: SUNIONSTORE | PFMERGE
///
/// At start the api loads a month of visits (DAYS days of VISITORS_PER_DAY visitors drawn from
/// POPULATION) with pipelined SADD/PFADD, and keeps the true counts beside them in its own memory.
enum HyperloglogLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "POST /pages/{page}/visits/{visitor}, GET /pages/{page}/uniques?days=N: unique visitors in Redis (REDIS_URL); "
                + "COUNTING=exact-set|hyperloglog", build: UniqueVisitorsService.build)
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": UniqueVisitorsSettings.knobs + LabService.redisKnobs
    ]
}
