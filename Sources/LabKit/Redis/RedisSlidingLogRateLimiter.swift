import Foundation

/// At most `limit` requests per `window` for each key, shared by every process that uses the same
/// Redis: a sliding log (the time of every admitted request in a sorted set, `<prefix>:<key>`) read,
/// decided and written by ONE Lua script, so the check and the increment are one step inside Redis.
/// Two callers (two replicas, or two requests of one client on one replica) can never both see "one
/// left" and both take it: whatever the concurrency, no stretch of `window` ever holds more than
/// `limit` admissions of a key.
///
/// The script reads the time with `TIME` inside Redis, so every caller decides by the same clock.
/// Memory: up to `limit` members per key, expired with the window.
///
///     let limiter = RedisSlidingLogRateLimiter(redis: redis, limit: 60, window: .seconds(60))
///     let decision = try await limiter.check("api-key-123")
///     if !decision.admitted { /* 429, Retry-After: decision.retryAfter */ }
///
/// A Redis error (down, timed out) is thrown: what to do then (fail open, fall back to a local limit)
/// is the caller's choice.
public struct RedisSlidingLogRateLimiter: Sendable {
    public let redis: RedisClient
    public let limit: Int
    public let window: Duration
    /// Keys are `<keyPrefix>:<key>`.
    public let keyPrefix: String

    public init(redis: RedisClient, limit: Int, window: Duration, keyPrefix: String = "ratelimit") {
        precondition(limit >= 1 && window >= .milliseconds(1), "a limit of at least 1 per at least 1 ms")
        self.redis = redis
        self.limit = limit
        self.window = window
        self.keyPrefix = keyPrefix
    }

    /// What the script decided for one request.
    public struct Decision: Sendable, Hashable {
        public var admitted: Bool
        /// Admissions of the key in the last window, this one included when admitted.
        public var used: Int
        /// Refused: how long until the oldest admission leaves the window (zero when admitted).
        public var retryAfter: Duration
    }

    /// Decides one request of `key`: admitted (and logged) while fewer than `limit` were admitted in
    /// the last `window`, refused otherwise. Throws the Redis error when Redis cannot answer.
    public func check(_ key: String) async throws -> Decision {
        let reply = try await redis.run(
            Self.script, keys: ["\(keyPrefix):\(key)"],
            args: [RedisArgument(limit), RedisArgument(Int(window.wholeMilliseconds)), RedisArgument(UUID().uuidString)])
        guard let fields = reply.array, fields.count == 3, let admitted = fields[0].int, let used = fields[1].int,
            let retryMilliseconds = fields[2].int
        else { throw RedisError.protocolError("sliding log limiter: unexpected script reply \(reply)") }
        return Decision(admitted: admitted == 1, used: used, retryAfter: .milliseconds(retryMilliseconds))
    }

    /// KEYS[1] the log; ARGV limit, window (ms), a unique member for this request.
    /// Times are milliseconds of Redis's clock (13 digits: exact in a Lua number and in its %.14g
    /// conversion when passed back to Redis).
    static let script = RedisScript(
        """
        local log = KEYS[1]
        local limit, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
        local used = redis.call('ZCARD', log)
        if used < limit then
          redis.call('ZADD', log, now, member)
          redis.call('PEXPIRE', log, window)
          return {1, used + 1, 0}
        end
        local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
        return {0, used, math.max(1, tonumber(oldest[2]) + window - now)}
        """)
}
