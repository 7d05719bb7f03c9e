import LabKit

/// How unique visitors are kept in Redis: added, counted for one key, counted over a union of keys.
protocol UniqueCounter: Sendable {
    func add(_ key: String, visitors: [Int]) async throws
    /// Commands that add a batch of visitors (for the pipelined history load).
    func addCommand(_ key: String, visitors: [Int]) -> [RedisArgument]
    func count(_ key: String) async throws -> Int
    /// Stores the union of `keys` in `destination` and counts it.
    func countUnion(_ keys: [String], into destination: String) async throws -> Int
}

/// BEFORE: a SET holds every visitor id. Counts are exact; memory grows with every visitor (tens of
/// bytes each), and a union copies every member of every day.
struct ExactSetCounter: UniqueCounter {
    let redis: RedisClient

    func add(_ key: String, visitors: [Int]) async throws {
        try await redis.sadd(key, visitors.map(String.init))
    }

    func addCommand(_ key: String, visitors: [Int]) -> [RedisArgument] {
        ["SADD", RedisArgument(key)] + visitors.map { RedisArgument($0) }
    }

    func count(_ key: String) async throws -> Int {
        try await redis.scard(key)
    }

    func countUnion(_ keys: [String], into destination: String) async throws -> Int {
        // SUNIONSTORE returns the size of the union it stored.
        try await redis.sunionstore(into: destination, from: keys)
    }
}

/// AFTER: a HyperLogLog hashes each id into one of 16,384 registers and keeps only the longest run of
/// leading zeros seen per register: at most 12 KB whatever the count, estimates within ~0.81 % (one
/// standard error), and a union is a register-wise max — PFMERGE never touches the ids.
struct HyperLogLogCounter: UniqueCounter {
    let redis: RedisClient

    func add(_ key: String, visitors: [Int]) async throws {
        try await redis.pfadd(key, visitors.map(String.init))
    }

    func addCommand(_ key: String, visitors: [Int]) -> [RedisArgument] {
        ["PFADD", RedisArgument(key)] + visitors.map { RedisArgument($0) }
    }

    func count(_ key: String) async throws -> Int {
        try await redis.pfcount(key)
    }

    func countUnion(_ keys: [String], into destination: String) async throws -> Int {
        // One round trip: PFMERGE merges into what the destination already holds, so clear it first.
        let replies = try await redis.pipeline([
            ["DEL", RedisArgument(destination)],
            ["PFMERGE", RedisArgument(destination)] + keys.map { RedisArgument($0) },
            ["PFCOUNT", RedisArgument(destination)],
        ])
        guard let count = replies.last?.int else { throw RedisError.protocolError("PFMERGE pipeline: \(replies)") }
        return count
    }
}
