import LabKit

/// What a limiter answered for one request.
struct RateLimitDecision: Sendable {
    var admitted: Bool
    /// When the limiter decided (for the leaky bucket: when it released the request, or refused it),
    /// in microseconds of the Redis clock (`TIME`), the one clock every decision is made by.
    var decidedAtMicros: Int
    /// What the algorithm saw: the window's count, the log's size, the estimate, the tokens left, or the
    /// request's place in the leaky bucket's queue.
    var detail: [String: JSONValue] = [:]
}

/// Fixed window, sliding log, sliding window counter and token bucket: each is ONE Lua script, so the
/// read, the decision and the write happen in one step inside Redis (two api replicas, or two requests
/// of one client, never both see "one left"). Each reads the time with `TIME` inside the script: the
/// decision and its timestamp come from Redis's clock, the same for every caller.
///
/// Numbers go back to Redis as strings made with `%.0f`: Lua turns a number argument into text with 14
/// significant digits, and a time in microseconds has 16.
struct ScriptedRateLimit: Sendable {
    let algorithm: RateLimitAlgorithm
    let settings: RateLimitSettings
    let redis: RedisClient

    func check(_ key: String, requestID: String) async throws -> RateLimitDecision {
        let redisKey = "ratelimit:\(key)"
        let reply: RESPValue
        switch algorithm {
        case .fixedWindow:
            reply = try await redis.run(
                Self.fixedWindow, keys: [redisKey], args: [RedisArgument(settings.limit), RedisArgument(settings.windowMicros)])
        case .slidingLog:
            reply = try await redis.run(
                Self.slidingLog, keys: [redisKey],
                args: [RedisArgument(settings.limit), RedisArgument(settings.windowMicros), RedisArgument(requestID)])
        case .slidingWindowCounter:
            reply = try await redis.run(
                Self.slidingWindowCounter, keys: [redisKey], args: [RedisArgument(settings.limit), RedisArgument(settings.windowMicros)])
        case .tokenBucket:
            reply = try await redis.run(
                Self.tokenBucket, keys: [redisKey],
                args: [RedisArgument(settings.tokenBurst), RedisArgument(settings.intervalMicros), RedisArgument(settings.windowMicros)])
        case .leakyBucket:
            preconditionFailure("the leaky bucket queues: LeakyBucketQueue")
        }
        guard let fields = reply.array, fields.count == 3, let admitted = fields[0].int, let seen = fields[1].int, let now = fields[2].int
        else {
            throw RedisError.protocolError("\(algorithm.rawValue): unexpected script reply \(reply)")
        }
        let detailName =
            switch algorithm {
            case .fixedWindow: "window_count"
            case .slidingLog: "in_last_window"
            case .slidingWindowCounter: "estimate_x1000"
            case .tokenBucket, .leakyBucket: "tokens_left_x1000"
            }
        return RateLimitDecision(admitted: admitted == 1, decidedAtMicros: now, detail: [detailName: .number(Double(seen))])
    }

    /// FIXED WINDOW. One counter per window of the clock (`key:<now / W>`): INCR, and admitted while the
    /// count is at most LIMIT. The counter starts from 0 at every edge, whatever happened just before
    /// it: LIMIT requests in the window's last moment and LIMIT more in the next one's first are
    /// all admitted, 2 x LIMIT within a moment.
    static let fixedWindow = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        local key = KEYS[1] .. ':' .. string.format('%.0f', math.floor(now / window))
        local count = redis.call('INCR', key)
        if count == 1 then redis.call('PEXPIRE', key, math.ceil(2 * window / 1000)) end
        return {count <= limit and 1 or 0, count, now}
        """)

    /// SLIDING LOG. The time of every admitted request in a sorted set: drop those at least W old, and
    /// admit while fewer than LIMIT remain. Exact: at no moment were more than LIMIT admitted in the last
    /// W. The price: one set member per admitted request (LIMIT per client).
    static let slidingLog = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
        local count = redis.call('ZCARD', KEYS[1])
        if count >= limit then return {0, count, now} end
        redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
        redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
        return {1, count + 1, now}
        """)

    /// SLIDING WINDOW COUNTER. Two counters, this window's and the previous one's: the requests of the
    /// last W are estimated as previous x (the share of the previous window still in the last W) +
    /// current, and a request is admitted while the estimate is under LIMIT. Two numbers per client
    /// instead of a log, and no edge to exploit, but an estimate: when the previous window's requests
    /// came at its very end, it undercounts them and admits up to LIMIT x (time into the window) / W more.
    static let slidingWindowCounter = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        local index = math.floor(now / window)
        local current_key = KEYS[1] .. ':' .. string.format('%.0f', index)
        local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. string.format('%.0f', index - 1)) or '0')
        local current = tonumber(redis.call('GET', current_key) or '0')
        local elapsed = now - index * window
        local estimate = previous * (window - elapsed) / window + current
        if estimate >= limit then return {0, math.floor(estimate * 1000), now} end
        redis.call('INCR', current_key)
        redis.call('PEXPIRE', current_key, math.ceil(2 * window / 1000))
        return {1, math.floor((estimate + 1) * 1000), now}
        """)

    /// TOKEN BUCKET. At most BURST tokens, one added every W / LIMIT (computed from the time since the
    /// last request, no timer); a request takes one or is refused. A client that was quiet may send BURST
    /// at once, then LIMIT per W: at most BURST + LIMIT in any W.
    static let tokenBucket = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local burst, interval, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + (now - at) / interval)
        local admitted = 0
        if tokens >= 1 then
          tokens = tokens - 1
          admitted = 1
        end
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
        redis.call('PEXPIRE', KEYS[1], math.ceil((burst * interval + window) / 1000))
        return {admitted, math.floor(tokens * 1000), now}
        """)
}
