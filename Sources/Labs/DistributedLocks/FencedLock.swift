import LabKit

/// A lock in Redis with a time to live, that hands out a fencing token with every grant.
///
/// Acquire is one Lua script, so the grant and its token are one atomic step: `SET lock owner NX PX ttl`
/// and, only if that took the lock, `INCR lock:token`. Tokens therefore rise with every grant, in the
/// order the grants happened. Release is a compare-and-delete: only the owner that holds the lock
/// deletes it, so a holder whose lock expired cannot free the next holder's.
///
/// The TTL is what makes the lock usable at all (a holder that dies would otherwise block everyone
/// forever), and it is also why the lock alone is not safe: the lock expires on Redis's clock while
/// the holder may still be running its critical section — paused by a GC, a VM migration, SIGSTOP — and
/// nothing tells it. The token is how the storage can tell.
struct FencedLock: Sendable {
    /// One grant of the lock: who holds it and the token that came with it.
    struct Grant: Sendable, Equatable {
        let owner: String
        let token: Int
    }

    let redis: RedisClient
    let key: String
    let ttl: Duration
    var tokenKey: String { key + ":token" }

    private static let acquireScript = RedisScript(
        """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
            return redis.call('INCR', KEYS[2])
        end
        return 0
        """)

    private static let releaseScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// Takes the lock if nobody holds it: the grant with its token, or nil when it is taken.
    func tryAcquire(owner: String) async throws -> Grant? {
        let reply = try await redis.run(
            Self.acquireScript, keys: [key, tokenKey], args: [RedisArgument(owner), RedisArgument(RedisClient.milliseconds(ttl))])
        guard let token = reply.int, token > 0 else { return nil }
        return Grant(owner: owner, token: token)
    }

    /// Waits for the lock, trying again every `retry`; nil if it was not granted within `timeout`.
    func acquire(owner: String, retry: Duration, timeout: Duration) async throws -> Grant? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let grant = try await tryAcquire(owner: owner) { return grant }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: retry)
        }
    }

    /// Deletes the lock if this grant still holds it. False: it had expired (and may be someone
    /// else's now) — the holder learns it lost the lock only here, after its critical section.
    @discardableResult
    func release(_ grant: Grant) async throws -> Bool {
        try await redis.run(Self.releaseScript, keys: [key], args: [RedisArgument(grant.owner)]) == .integer(1)
    }

    /// The owner holding the lock now (nil: nobody).
    func holder() async throws -> String? {
        try await redis.get(key)
    }
}
