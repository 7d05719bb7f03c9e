import LabKit

/// The coordinator's decisions, in a PostgreSQL database of their own (`COORDINATOR_LOG_URL`,
/// `synchronous_commit = on`): a decision is committed there before phase two begins, so it survives
/// the coordinator.
struct DecisionLog: Sendable {
    enum Decision: String, Sendable { case commit, abort }

    let db: LabPostgres

    func record(_ gid: String, _ decision: Decision) async throws {
        try await db.query("""
            INSERT INTO decisions (gid, decision) VALUES (\(gid), \(decision.rawValue)) ON CONFLICT (gid) DO NOTHING
            """)
    }

    func markDone(_ gid: String) async throws {
        try await db.query("UPDATE decisions SET done = true WHERE gid = \(gid)")
    }

    /// The decision recorded for `gid`, nil if none was (presumed abort).
    func decision(_ gid: String) async throws -> Decision? {
        try await db.query("SELECT decision FROM decisions WHERE gid = \(gid)").first
            .flatMap { Decision(rawValue: try $0.decode(String.self)) }
    }
}
