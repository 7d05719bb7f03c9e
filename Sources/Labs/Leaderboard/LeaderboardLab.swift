import LabKit

/// Week 15: a leaderboard of a million players: rank, top-N, and score updates.
///
///     api  GET  /players/{id}/rank        → LEADERBOARD=postgres: count(*) of better scores (an index scan)
///                                          LEADERBOARD=redis: ZSCORE + ZREVRANK (a sorted set, O(log N))
///     api  POST /players/{id}/score?points=N → add points and return the new rank (one statement / one Lua script)
///     api  GET  /leaderboard/top?n=10     → ORDER BY score DESC LIMIT n / ZRANGE … REV WITHSCORES
enum LeaderboardLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api",
            "GET /players/{id}/rank, POST /players/{id}/score, GET /leaderboard/top: players in PostgreSQL (DATABASE_URL), "
                + "the leaderboard in PostgreSQL or a Redis sorted set (REDIS_URL); LEADERBOARD=postgres|redis",
            build: LeaderboardService.build)
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": [LeaderboardService.storeKnob] + LabPostgres.knobs + LabService.redisKnobs
    ]
}
