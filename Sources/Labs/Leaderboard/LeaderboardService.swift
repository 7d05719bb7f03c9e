import Foundation
import LabKit
import Metrics

/// KEY IDEA: "what is my rank?" asked of a table is "how many players score more than me?" — a count
/// that visits every better player's index entry, so it costs more the more players there are (and
/// the lower you stand). A sorted set keeps the players ordered as scores change (a skip list), so a
/// rank is a walk down O(log N) levels: microseconds for a million players. Redis is then the only
/// place the live ranking is kept in that form, so nothing may evict it: the api refuses to start
/// under an `allkeys-*` eviction policy, and `MEMORY USAGE` shows what the sorted set costs.
enum LeaderboardService {
    enum Store: String, CaseIterable, Sendable {
        case postgres
        case redis
    }

    static let storeKnob = Knob<Store>.choice(
        "LEADERBOARD", default: .postgres,
        "`postgres`: rank = count(*) of better scores; `redis`: a sorted set loaded from PostgreSQL at start (ZREVRANK)")

    static func build(_ service: LabService) async throws {
        let store = try service.knobs.read(storeKnob)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the players are in PostgreSQL") }
        service.telemetry.registry.configureBuckets(forMetric: LeaderboardMetrics.durationName, RedisClient.durationBuckets)
        let metrics = LeaderboardMetrics(store: store)
        let board: any Leaderboard
        switch store {
        case .postgres:
            board = PostgresLeaderboard(db: db)
        case .redis:
            guard let redis = try service.redis() else {
                throw LabStartupError("REDIS_URL is not set: LEADERBOARD=redis keeps it in Redis")
            }
            board = RedisLeaderboard(redis: redis)
            RedisLatencyWatcher.start(redis, commands: ["evalsha", "zrange"])
            service.addSetup("leaderboard") { progress in
                try await LeaderboardLoader(db: db, redis: redis, metrics: metrics).load(progress: progress)
            }
        }
        service.addSetup("table size") { _ in try await metrics.measureTable(db) }

        service.router.get("/players/:id/rank") { _, context -> Response in
            guard let player = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected a whole number", status: .badRequest)
            }
            guard let standing = try await metrics.timed("rank", { try await board.standing(of: player) }) else {
                return .jsonError("no player \(player)", status: .notFound)
            }
            return .json(standing.json)
        }

        service.router.post("/players/:id/score") { request, context -> Response in
            guard let player = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected a whole number", status: .badRequest)
            }
            let points = request.uri.queryParameters.get("points", as: Int.self) ?? Int.random(in: 1...1_000)
            guard (1...1_000_000).contains(points) else { return .jsonError("points: expected 1…1000000", status: .badRequest) }
            guard let standing = try await metrics.timed("add_points", { try await board.addPoints(points, to: player) }) else {
                return .jsonError("no player \(player)", status: .notFound)
            }
            return .json(standing.json)
        }

        service.router.get("/leaderboard/top") { request, _ -> Response in
            let count = request.uri.queryParameters.get("n", as: Int.self) ?? 10
            guard (1...1_000).contains(count) else { return .jsonError("n: expected 1…1000", status: .badRequest) }
            let top = try await metrics.timed("top", { try await board.top(count) })
            return .json(["top": .array(top.map(\.json))])
        }
    }
}
