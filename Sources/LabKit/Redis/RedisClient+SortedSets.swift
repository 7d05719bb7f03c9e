// Typed helpers for sorted sets (leaderboards, sliding-window rate limiters, delay queues).

/// A member of a sorted set with its score.
public struct RedisScoredMember: Sendable, Hashable {
    public var member: String
    public var score: Double
    public init(_ member: String, score: Double) {
        self.member = member
        self.score = score
    }
}

/// One end of a ZRANGEBYSCORE interval: `5`, `(5` (exclusive), `-inf`, `+inf`.
public enum RedisScoreBound: Sendable, Hashable {
    case inclusive(Double)
    case exclusive(Double)
    case negativeInfinity
    case positiveInfinity

    var argument: RedisArgument {
        switch self {
        case .inclusive(let score): return RedisArgument(score)
        case .exclusive(let score): return RedisArgument("(" + RedisArgument(score).description)
        case .negativeInfinity: return "-inf"
        case .positiveInfinity: return "+inf"
        }
    }
}

extension RedisClient {
    /// `ZADD key [NX|XX] score member ...`: how many members were newly added.
    @discardableResult
    public func zadd(
        _ key: String, _ members: [RedisScoredMember], condition: RedisSetCondition = .always
    ) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        var arguments: [RedisArgument] = ["ZADD", RedisArgument(key)] + condition.arguments
        for scored in members {
            arguments.append(RedisArgument(scored.score))
            arguments.append(RedisArgument(scored.member))
        }
        return try await send(arguments).expectInteger("ZADD")
    }

    @discardableResult
    public func zadd(_ key: String, score: Double, member: String) async throws -> Int {
        try await zadd(key, [RedisScoredMember(member, score: score)])
    }

    /// `ZRANGE key start stop`: members by rank (0-based; -1 is the last).
    public func zrange(_ key: String, start: Int, stop: Int) async throws -> [String] {
        try await send("ZRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop))
            .expectArray("ZRANGE").map { try $0.expectString("ZRANGE") }
    }

    /// `ZRANGE key start stop WITHSCORES`.
    public func zrangeWithScores(_ key: String, start: Int, stop: Int) async throws -> [RedisScoredMember] {
        let reply = try await send(
            "ZRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop), "WITHSCORES")
        return try Self.scoredMembers(reply, command: "ZRANGE")
    }

    /// `ZRANGEBYSCORE key min max [LIMIT offset count]`.
    public func zrangeByScore(
        _ key: String, min: RedisScoreBound, max: RedisScoreBound, limit: (offset: Int, count: Int)? = nil
    ) async throws -> [String] {
        let reply = try await send(rangeByScoreArguments(key, min, max, withScores: false, limit))
        return try reply.expectArray("ZRANGEBYSCORE").map { try $0.expectString("ZRANGEBYSCORE") }
    }

    /// `ZRANGEBYSCORE key min max WITHSCORES [LIMIT offset count]`.
    public func zrangeByScoreWithScores(
        _ key: String, min: RedisScoreBound, max: RedisScoreBound, limit: (offset: Int, count: Int)? = nil
    ) async throws -> [RedisScoredMember] {
        let reply = try await send(rangeByScoreArguments(key, min, max, withScores: true, limit))
        return try Self.scoredMembers(reply, command: "ZRANGEBYSCORE")
    }

    /// `ZREM key member...`: how many were removed.
    @discardableResult
    public func zrem(_ key: String, _ members: [String]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await send(["ZREM", RedisArgument(key)] + members.map { RedisArgument($0) }).expectInteger("ZREM")
    }

    /// `ZCARD key`: the number of members (0 for a missing key).
    public func zcard(_ key: String) async throws -> Int {
        try await send("ZCARD", RedisArgument(key)).expectInteger("ZCARD")
    }

    /// `ZINCRBY key increment member`: the member's new score.
    @discardableResult
    public func zincrBy(_ key: String, _ increment: Double, member: String) async throws -> Double {
        try await send("ZINCRBY", RedisArgument(key), RedisArgument(increment), RedisArgument(member))
            .expectDouble("ZINCRBY")
    }

    /// `ZSCORE key member`: the member's score, nil when it is not in the set.
    public func zscore(_ key: String, member: String) async throws -> Double? {
        let reply = try await send("ZSCORE", RedisArgument(key), RedisArgument(member))
        return reply.isNull ? nil : try reply.expectDouble("ZSCORE")
    }

    /// `ZRANK key member`: 0-based rank from the lowest score; nil when the member is not in the set.
    public func zrank(_ key: String, member: String) async throws -> Int? {
        let reply = try await send("ZRANK", RedisArgument(key), RedisArgument(member))
        return reply.isNull ? nil : try reply.expectInteger("ZRANK")
    }

    /// `ZREVRANK key member`: 0-based rank from the highest score (a leaderboard's place - 1); nil when
    /// the member is not in the set.
    public func zrevrank(_ key: String, member: String) async throws -> Int? {
        let reply = try await send("ZREVRANK", RedisArgument(key), RedisArgument(member))
        return reply.isNull ? nil : try reply.expectInteger("ZREVRANK")
    }

    /// `ZRANGE key start stop REV WITHSCORES`: members by rank from the highest score (a top-N).
    public func zrevrangeWithScores(_ key: String, start: Int, stop: Int) async throws -> [RedisScoredMember] {
        let reply = try await send(
            "ZRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop), "REV", "WITHSCORES")
        return try Self.scoredMembers(reply, command: "ZRANGE")
    }

    /// `ZCOUNT key min max`: how many members have a score in the interval.
    public func zcount(_ key: String, min: RedisScoreBound, max: RedisScoreBound) async throws -> Int {
        try await send("ZCOUNT", RedisArgument(key), min.argument, max.argument).expectInteger("ZCOUNT")
    }

    /// `ZREMRANGEBYSCORE key min max`: how many members were removed (a sliding log drops old entries).
    @discardableResult
    public func zremRangeByScore(_ key: String, min: RedisScoreBound, max: RedisScoreBound) async throws -> Int {
        try await send("ZREMRANGEBYSCORE", RedisArgument(key), min.argument, max.argument).expectInteger("ZREMRANGEBYSCORE")
    }

    private func rangeByScoreArguments(
        _ key: String, _ min: RedisScoreBound, _ max: RedisScoreBound, withScores: Bool,
        _ limit: (offset: Int, count: Int)?
    ) -> [RedisArgument] {
        var arguments: [RedisArgument] = ["ZRANGEBYSCORE", RedisArgument(key), min.argument, max.argument]
        if withScores { arguments.append("WITHSCORES") }
        if let limit { arguments += ["LIMIT", RedisArgument(limit.offset), RedisArgument(limit.count)] }
        return arguments
    }

    /// RESP2 returns WITHSCORES as a flat array: member, score, member, score, ...
    static func scoredMembers(_ reply: RESPValue, command: String) throws -> [RedisScoredMember] {
        let flat = try reply.expectArray(command)
        guard flat.count % 2 == 0 else {
            throw RedisError.unexpected(reply, from: command, expected: "member/score pairs")
        }
        return try stride(from: 0, to: flat.count, by: 2).map { index in
            RedisScoredMember(try flat[index].expectString(command), score: try flat[index + 1].expectDouble(command))
        }
    }
}
