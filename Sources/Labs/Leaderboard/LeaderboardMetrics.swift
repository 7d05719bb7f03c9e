import LabKit
import Metrics

/// `leaderboard_query_duration_seconds{operation,store}` (rank, add_points, top: the store's own time),
/// `leaderboard_members` (ZCARD after loading), `leaderboard_players` (rows in the table),
/// `leaderboard_sorted_set_bytes` (MEMORY USAGE of the sorted set), `leaderboard_table_bytes` (the
/// players table with its indexes), `redis_maxmemory_policy_info{policy}` (1 for the server's policy).
final class LeaderboardMetrics: Sendable {
    static let durationName = "leaderboard_query_duration_seconds"
    let store: LeaderboardService.Store
    let sortedSetBytes = Gauge(label: "leaderboard_sorted_set_bytes")
    private let members = Gauge(label: "leaderboard_members")
    private let players = Gauge(label: "leaderboard_players")
    private let tableBytes = Gauge(label: "leaderboard_table_bytes")
    private let timers: [String: Timer]

    init(store: LeaderboardService.Store) {
        self.store = store
        timers = Dictionary(
            uniqueKeysWithValues: ["rank", "add_points", "top"].map { operation in
                (
                    operation,
                    Timer(
                        label: Self.durationName, dimensions: [("operation", operation), ("store", store.rawValue)],
                        preferredDisplayUnit: .seconds)
                )
            })
    }

    func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer {
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            timers[operation]?.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        return try await body()
    }

    func recordMembers(_ count: Int) { members.record(count) }

    func recordEvictionPolicy(_ policy: String) {
        Gauge(label: "redis_maxmemory_policy_info", dimensions: [("policy", policy)]).record(1)
    }

    func measureTable(_ db: LabPostgres) async throws {
        let rows = try await db.query("SELECT count(*)::int8, pg_total_relation_size('players')::int8 FROM players")
        if let (count, bytes) = try rows.first?.decode((Int, Int).self) {
            players.record(count)
            tableBytes.record(bytes)
        }
    }
}
