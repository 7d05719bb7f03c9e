// A lease: a key held by one owner for a limited time, renewed while the owner is alive. Taken with
// `SET key owner NX PX ttl`; renewed and released only by the owner that holds it (a Lua script
// compares the value first), so an owner whose lease expired cannot extend or delete the next
// holder's. What a worker id, a leader role or a lock needs.

/// One key leased by one owner.
public struct RedisLease: Sendable {
    public let redis: RedisClient
    public let key: String
    /// Unique per holder (a process and start: `instance-uuid`), so a restarted process is a new owner.
    public let owner: String
    public let ttl: Duration

    public init(redis: RedisClient, key: String, owner: String, ttl: Duration) {
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl = ttl
    }

    private static let renewScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """)

    private static let releaseScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// Takes the lease if nobody holds it; true when this owner now holds it.
    public func acquire() async throws -> Bool {
        try await redis.set(key, to: RedisArgument(owner), expiration: .after(ttl), condition: .ifNotExists)
    }

    /// Extends the lease by a full TTL if this owner still holds it; false when it expired (and may be
    /// someone else's now): the owner must stop acting as the holder.
    public func renew() async throws -> Bool {
        try await redis.run(Self.renewScript, keys: [key], args: [RedisArgument(owner), RedisArgument(RedisClient.milliseconds(ttl))])
            == .integer(1)
    }

    /// Gives the lease up if this owner holds it.
    @discardableResult
    public func release() async throws -> Bool {
        try await redis.run(Self.releaseScript, keys: [key], args: [RedisArgument(owner)]) == .integer(1)
    }

    /// Who holds it now (nil: nobody).
    public func holder() async throws -> String? {
        try await redis.get(key)
    }
}
