import LabKit

/// How a view is counted in Redis, and how the total is read back.
protocol ViewCounter: Sendable {
    /// The Redis keys a video's count lives in (the labels of `counter_key_writes_total`).
    func keys(of video: Int) -> [String]
    /// Counts one view; returns the key it wrote.
    func increment(_ video: Int) async throws -> String
    func total(_ video: Int) async throws -> Int
}

/// BEFORE: read-modify-write from the application. Two replicas that both GET 41 both SET 42: one of
/// the two views is gone, and both callers were told it was counted.
struct GetSetCounter: ViewCounter {
    let redis: RedisClient

    func keys(of video: Int) -> [String] { ["views:\(video)"] }

    func increment(_ video: Int) async throws -> String {
        let key = "views:\(video)"
        let current = Int(try await redis.get(key) ?? "0") ?? 0
        // The gap: between this GET's answer and the SET below, other replicas read the same value.
        try await redis.set(key, to: RedisArgument(current + 1))
        return key
    }

    func total(_ video: Int) async throws -> Int {
        Int(try await redis.get("views:\(video)") ?? "0") ?? 0
    }
}

/// AFTER: the increment happens inside Redis (INCR is atomic: no gap for another writer), spread over
/// SHARDS keys so no single key takes every write. On one Redis server INCR alone already counts
/// exactly; the shards matter when keys live on different nodes (a cluster hashes each key to a slot),
/// where one hot key would pin all of a video's writes to one node.
/// The total is one MGET of every shard: on one server that reads them all at one instant; across a
/// cluster it is a read per node, each a moment apart (the sum can miss increments in flight).
struct ShardedIncrCounter: ViewCounter {
    let redis: RedisClient
    let shards: Int

    func keys(of video: Int) -> [String] { (0..<shards).map { "views:\(video):\($0)" } }

    func increment(_ video: Int) async throws -> String {
        let key = "views:\(video):\(Int.random(in: 0..<shards))"
        try await redis.incr(key)
        return key
    }

    func total(_ video: Int) async throws -> Int {
        try await redis.mget(keys(of: video)).reduce(0) { $0 + (Int($1 ?? "0") ?? 0) }
    }
}
