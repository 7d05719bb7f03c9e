import LabKit

/// The coordinator's decisions, in a PostgreSQL database of their own (`COORDINATOR_LOG_URL`,
/// `synchronous_commit = on`): a decision is committed there before phase two begins, so it survives
/// the coordinator.
struct DecisionLog: Sendable {
    enum Decision: String, Sendable { case commit, abort }

    let db: LabPostgres

    /// Records `decision` unless one is already recorded; the decision that stands. The first
    /// writer wins: a recovery sweep that aborts a transaction it thinks abandoned and a coordinator
    /// about to commit it cannot both get their way.
    @discardableResult
    func record(_ gid: String, _ decision: Decision) async throws -> Decision {
        let rows = try await db.query(
            """
            INSERT INTO decisions (gid, decision) VALUES (\(gid), \(decision.rawValue))
            ON CONFLICT (gid) DO UPDATE SET gid = excluded.gid RETURNING decision
            """)
        return try rows.first.flatMap { Decision(rawValue: try $0.decode(String.self)) } ?? decision
    }

    func markDone(_ gid: String) async throws {
        try await db.query("UPDATE decisions SET done = true WHERE gid = \(gid)")
    }

    /// The decisions recorded for `gids` (one query for a whole sweep).
    func decisions(_ gids: [String]) async throws -> [String: Decision] {
        guard !gids.isEmpty else { return [:] }
        var found: [String: Decision] = [:]
        for row in try await db.query("SELECT gid, decision FROM decisions WHERE gid = ANY(\(gids))") {
            let (gid, decision) = try row.decode((String, String).self)
            found[gid] = Decision(rawValue: decision)
        }
        return found
    }

    /// The decision recorded for `gid`, nil if none was (presumed abort).
    func decision(_ gid: String) async throws -> Decision? {
        try await db.query("SELECT decision FROM decisions WHERE gid = \(gid)").first
            .flatMap { Decision(rawValue: try $0.decode(String.self)) }
    }
}
