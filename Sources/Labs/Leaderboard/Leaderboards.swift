import LabKit
import PostgresNIO

/// A player's place: score and 1-based rank (1 = the best).
struct Standing: Sendable {
    var player: Int
    var score: Int
    var rank: Int

    var json: JSONValue { ["player": .number(Double(player)), "score": .number(Double(score)), "rank": .number(Double(rank))] }
}

protocol Leaderboard: Sendable {
    func standing(of player: Int) async throws -> Standing?
    /// Adds points and returns the new standing, both in one step.
    func addPoints(_ points: Int, to player: Int) async throws -> Standing?
    func top(_ count: Int) async throws -> [Standing]
}

/// BEFORE: the players table. A rank is the number of players with a better score, plus one: with an
/// index on score PostgreSQL counts index entries, but it still visits every one of them — half a
/// million for a median player — on every rank request.
struct PostgresLeaderboard: Leaderboard {
    let db: LabPostgres

    func standing(of player: Int) async throws -> Standing? {
        let rows = try await db.query(
            """
            SELECT p.score, (SELECT count(*) FROM players q WHERE q.score > p.score) + 1
            FROM players p WHERE p.id = \(player)
            """)
        return try rows.first.map { row in
            let (score, rank) = try row.decode((Int, Int).self)
            return Standing(player: player, score: score, rank: rank)
        }
    }

    func addPoints(_ points: Int, to player: Int) async throws -> Standing? {
        // One statement: the count runs on the snapshot before the update, where this player still has
        // the old (lower) score, so it counts exactly the others ahead of the new score.
        let rows = try await db.query(
            """
            WITH moved AS (UPDATE players SET score = score + \(points) WHERE id = \(player) RETURNING score)
            SELECT moved.score, (SELECT count(*) FROM players q WHERE q.score > moved.score) + 1 FROM moved
            """)
        return try rows.first.map { row in
            let (score, rank) = try row.decode((Int, Int).self)
            return Standing(player: player, score: score, rank: rank)
        }
    }

    func top(_ count: Int) async throws -> [Standing] {
        let rows = try await db.query("SELECT id, score FROM players ORDER BY score DESC, id LIMIT \(count)")
        return try rows.enumerated().map { index, row in
            let (id, score) = try row.decode((Int, Int).self)
            return Standing(player: id, score: score, rank: index + 1)
        }
    }
}

/// AFTER: a Redis sorted set, a skip list ordered by score: ZREVRANK walks O(log N) levels, a million
/// players or a thousand. Reading and updating are each one Lua script, so the rank returned belongs
/// to the score returned (ZINCRBY then a separate ZREVRANK could see another update in between).
/// Ties: the sorted set orders equal scores by member, so tied players get consecutive ranks.
struct RedisLeaderboard: Leaderboard {
    static let key = "leaderboard"
    let redis: RedisClient

    private static let standingScript = RedisScript(
        """
        local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not score then return nil end
        return {score, redis.call('ZREVRANK', KEYS[1], ARGV[1])}
        """)

    private static let addPointsScript = RedisScript(
        """
        if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return nil end
        local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
        return {score, redis.call('ZREVRANK', KEYS[1], ARGV[1])}
        """)

    func standing(of player: Int) async throws -> Standing? {
        Self.standing(player, try await redis.run(Self.standingScript, keys: [Self.key], args: [RedisArgument(player)]))
    }

    func addPoints(_ points: Int, to player: Int) async throws -> Standing? {
        let reply = try await redis.run(Self.addPointsScript, keys: [Self.key], args: [RedisArgument(player), RedisArgument(points)])
        return Self.standing(player, reply)
    }

    func top(_ count: Int) async throws -> [Standing] {
        try await redis.zrevrangeWithScores(Self.key, start: 0, stop: count - 1).enumerated().map { index, entry in
            Standing(player: Int(entry.member) ?? 0, score: Int(entry.score), rank: index + 1)
        }
    }

    /// The scripts answer {score (a string), 0-based rank} or nil for an unknown player.
    private static func standing(_ player: Int, _ reply: RESPValue) -> Standing? {
        guard let parts = reply.array, parts.count == 2, let score = parts[0].double, let rank = parts[1].int else { return nil }
        return Standing(player: player, score: Int(score), rank: rank + 1)
    }
}
