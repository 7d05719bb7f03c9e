import LabKit

/// Fills the sorted set from the players table before the api takes traffic: 20 score ranges, four at
/// a time, each read as one aggregated row (far fewer rows to decode than one per player) and sent as
/// ZADDs of 1,000 members in pipelines. First checks that nothing can evict it; then counts it and asks
/// Redis what it costs.
struct LeaderboardLoader: Sendable {
    let db: LabPostgres
    let redis: RedisClient
    let metrics: LeaderboardMetrics

    func load(progress: SetupProgress) async throws {
        try await refuseEvictablePolicy()
        try await redis.del(RedisLeaderboard.key)
        let bounds = try await db.query("SELECT coalesce(min(score), 0)::int8, coalesce(max(score), 0)::int8 FROM players")
        let (low, high) = try bounds.first?.decode((Int, Int).self) ?? (0, 0)
        // Score ranges are independent: a few are read and sent at once, so PostgreSQL, this process and
        // Redis all work at the same time.
        let parts = 20
        let width = (high - low) / parts + 1
        try await withThrowingTaskGroup(of: Int.self) { group in
            var loaded = 0
            for part in 0..<parts {
                if part >= 4, let count = try await group.next() {
                    loaded += count
                    progress.report("\(loaded) players in the sorted set")
                }
                let from = low + part * width
                group.addTask { try await loadScores(from: from, below: from + width) }
            }
            for try await count in group { loaded += count }
        }
        metrics.recordMembers(try await redis.zcard(RedisLeaderboard.key))
        // SAMPLES 0: every node of the skip list measured, not 5 extrapolated.
        if let bytes = try await redis.memoryUsage(RedisLeaderboard.key, samples: 0) { metrics.sortedSetBytes.record(bytes) }
    }

    /// The players with a score in [from, below), as ZADDs of 1,000 members; how many there were.
    private func loadScores(from: Int, below: Int) async throws -> Int {
        let rows = try await db.query(
            """
            SELECT count(*)::int8, string_agg(score || ' ' || id, ' ') FROM players WHERE score >= \(from) AND score < \(below)
            """)
        guard let (count, pairs) = try rows.first?.decode((Int, String?).self), count > 0, let pairs else { return 0 }
        // "score id score id ..." is ZADD's argument order already.
        let words = pairs.utf8.split(separator: UInt8(ascii: " "))
        let commands = stride(from: 0, to: words.count, by: 2_000).lazy.map { start -> [RedisArgument] in
            ["ZADD", RedisArgument(RedisLeaderboard.key)]
                + words[start..<min(start + 2_000, words.count)].map { RedisArgument(bytes: Array($0)) }
        }
        try await redis.bulkLoad(commands, batchSize: 10, concurrency: 2)
        return count
    }

    /// The sorted set is the only copy of the live ranking: an `allkeys-*` policy could evict it under
    /// memory pressure (and every rank would be gone). `noeviction` refuses writes instead; `volatile-*`
    /// only evicts keys with a TTL, which the leaderboard does not have.
    private func refuseEvictablePolicy() async throws {
        let policy = try await redis.configGet("maxmemory-policy")["maxmemory-policy"] ?? "unknown"
        metrics.recordEvictionPolicy(policy)
        if policy.hasPrefix("allkeys-") {
            throw LabStartupError("Redis maxmemory-policy is \(policy): it may evict the leaderboard; use noeviction (or volatile-*)")
        }
    }
}
