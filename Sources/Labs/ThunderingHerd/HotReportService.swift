import Foundation
import LabKit
import Metrics

/// KEY IDEA: a thundering herd (cache stampede). One hot, expensive key expires while hundreds of
/// requests per second want it. Every request that arrives before the new value is stored misses —
/// with a 250 ms recompute at 150 requests/s that is ~40 requests — and with the naive cache-aside code
/// EACH of them recomputes: ~40 identical expensive queries hit the database at once, every TTL.
/// The fix is to let exactly one caller recompute and make the others wait for its result: inside a
/// process with request coalescing (LabKit's `SingleFlight`), across replicas with a short Redis lock
/// (the loser polls the cache until the winner has filled it). One recompute per expiry per cluster.
enum HotReportService {
    static func build(_ service: LabService) async throws {
        let settings = try ThunderingHerdSettings(service.knobs)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the report needs PostgreSQL") }
        guard let redis = try service.redis() else { throw LabStartupError("REDIS_URL is not set: the api caches reports in Redis") }
        let instance = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName
        let cache = HotReportCache(
            redis: redis, ttlMilliseconds: settings.ttlMilliseconds,
            query: HotReportQuery(db: db, costSeconds: Double(settings.costMilliseconds) / 1000),
            lock: RecomputeLock(redis: redis, ttlMilliseconds: settings.lockTTLMilliseconds),
            settings: settings, instance: instance)
        RedisExpiryWatcher.start(redis)

        service.router.get("/report/:id") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected a whole number", status: .badRequest)
            }
            let (report, source) = try await cache.report(id)
            return .json(["report": report, "source": .string(source), "served_by": .string(instance)])
        }
    }
}

/// The hot report behind its cache, with the two strategies side by side.
final class HotReportCache: Sendable {
    let redis: RedisClient
    let ttlMilliseconds: Int
    let query: HotReportQuery
    let lock: RecomputeLock
    let settings: ThunderingHerdSettings
    let instance: String
    /// One recompute per key in this process at a time; concurrent misses share it.
    let flight = SingleFlight<Int, FilledReport>(name: "report")

    private static let outcomes = ["hit", "miss"].reduce(into: [String: Counter]()) {
        $0[$1] = Counter(label: "report_cache_requests_total", dimensions: [("result", $1)])
    }

    init(
        redis: RedisClient, ttlMilliseconds: Int, query: HotReportQuery, lock: RecomputeLock, settings: ThunderingHerdSettings,
        instance: String
    ) {
        self.redis = redis
        self.ttlMilliseconds = ttlMilliseconds
        self.query = query
        self.lock = lock
        self.settings = settings
        self.instance = instance
        for counter in Self.outcomes.values { counter.increment(by: 0) }
    }

    static func key(_ id: Int) -> String { "report:\(id)" }

    /// The report and where it came from: `cache`, `recomputed`, `coalesced` (another request in this
    /// replica recomputed it) or `peer` (another replica did, while we waited for its lock).
    func report(_ id: Int) async throws -> (JSONValue, String) {
        if let cached = try await cached(id) {
            Self.outcomes["hit"]!.increment()
            return (cached, "cache")
        }
        Self.outcomes["miss"]!.increment()
        switch settings.strategy {
        case .naive:
            // BEFORE: every miss recomputes. During the ~250 ms the first recompute takes, every other
            // request misses too and starts its own.
            return (try await recomputeAndStore(id), "recomputed")
        case .coalesce:
            // AFTER: one flight per key in this replica, one lock holder across replicas.
            let (report, shared) = try await flight.run(id) { try await self.fillOnceAcrossReplicas(id) }
            return (report.value, shared ? "coalesced" : report.source)
        }
    }

    /// Takes the Redis lock and recomputes, or — when another replica holds it — polls the cache until
    /// that replica has stored the new value. Gives up waiting after LOCK_WAIT_MS and recomputes.
    private func fillOnceAcrossReplicas(_ id: Int) async throws -> FilledReport {
        let token = "\(instance)-\(UUID().uuidString)"
        let giveUpAt = ContinuousClock.now + .milliseconds(settings.lockWaitMilliseconds)
        while true {
            if try await lock.acquire(Self.key(id), token: token) {
                do {
                    // Checked again under the lock: the previous holder may have filled it just now.
                    let filled: FilledReport
                    if let report = try await cached(id) {
                        filled = FilledReport(value: report, source: "peer")
                    } else {
                        filled = FilledReport(value: try await recomputeAndStore(id), source: "recomputed")
                    }
                    try await lock.release(Self.key(id), token: token)
                    return filled
                } catch {
                    try? await lock.release(Self.key(id), token: token)
                    throw error
                }
            }
            try await Task.sleep(for: .milliseconds(settings.lockPollMilliseconds))
            if let report = try await cached(id) { return FilledReport(value: report, source: "peer") }
            if ContinuousClock.now >= giveUpAt { return FilledReport(value: try await recomputeAndStore(id), source: "recomputed") }
        }
    }

    private func cached(_ id: Int) async throws -> JSONValue? {
        guard let text = try await redis.get(Self.key(id)) else { return nil }
        return try? JSONValue.parse(Array(text.utf8))
    }

    private func recomputeAndStore(_ id: Int) async throws -> JSONValue {
        let report = try await query.compute(id, computedBy: instance)
        try await redis.set(Self.key(id), to: RedisArgument(report.encodedString()), expiration: .milliseconds(ttlMilliseconds))
        return report
    }
}

/// A report a flight produced, and how: `recomputed` here or filled by a `peer` replica.
struct FilledReport: Sendable {
    var value: JSONValue
    var source: String
}
