import LabKit

/// A lock across replicas in Redis: `SET lock:<key> <token> NX PX <ttl>` takes it; a Lua script releases
/// it only if it still holds OUR token (the lock may have expired and been taken by someone else).
/// The expiry means a replica that dies while holding it blocks the others for at most the lock TTL.
struct RecomputeLock: Sendable {
    let redis: RedisClient
    let ttlMilliseconds: Int

    private static let releaseScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    static func key(_ name: String) -> String { "lock:\(name)" }

    /// True if this caller now holds the lock.
    func acquire(_ name: String, token: String) async throws -> Bool {
        try await redis.set(Self.key(name), to: RedisArgument(token), expiration: .milliseconds(ttlMilliseconds), condition: .ifNotExists)
    }

    func release(_ name: String, token: String) async throws {
        _ = try await redis.run(Self.releaseScript, keys: [Self.key(name)], args: [RedisArgument(token)])
    }
}
