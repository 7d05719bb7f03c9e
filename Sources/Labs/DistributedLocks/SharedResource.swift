import LabKit
import PostgresNIO

/// KEY IDEA: a lock with a TTL cannot stop a holder that has been paused past its TTL. The lock has
/// expired and been granted to another worker, but the paused one does not know: when it wakes it
/// finishes its critical section and writes, over the newer holder's work. Checking "do I still hold
/// the lock?" before writing does not close the gap (the pause can fall between the check and the
/// write). Safety has to come from the storage: every grant carries a *fencing token* that rises with
/// each grant, the storage remembers the highest token it accepted, and it refuses a write that
/// carries a lower one — in the same statement that writes (`UPDATE … WHERE token < $new`). The
/// woken holder's write arrives with an old token and is rejected; nothing it computed is applied.
enum Fencing: String, Sendable, CaseIterable {
    /// The storage applies every write it is sent: the lock alone is trusted.
    case off
    /// The storage applies a write only if its token is higher than the last applied one.
    case on
}

/// The shared resource: one row of `resource` in PostgreSQL (a counter the workers read and write
/// back + 1 under the lock). Every write attempt is also recorded in `writes`, with its token and
/// holder, and — if the storage applied it — the resource `version` it produced (versions number the
/// applied writes in the order PostgreSQL applied them: each is assigned under the row's lock).
struct SharedResource: Sendable {
    struct State: Sendable {
        let value: Int
        let token: Int
        let version: Int
        let holder: String?
    }

    let db: LabPostgres
    let fencing: Fencing

    func read() async throws -> State {
        let rows = try await db.query("SELECT value, token, version, holder FROM resource WHERE id = 1")
        guard let (value, token, version, holder) = try rows.first?.decode((Int, Int, Int, String?).self) else {
            throw LabStartupError("the resource row is missing (init.sql creates it)")
        }
        return State(value: value, token: token, version: version, holder: holder)
    }

    /// Writes `value` as `holder`, carrying `token`. True if the storage applied it, false if it refused
    /// it (fencing: a write with a higher token was applied before).
    func write(value: Int, token: Int, holder: String) async throws -> Bool {
        let rows =
            switch fencing {
            case .off:
                // BEFORE: the lock is trusted. Whoever writes, the write is applied.
                try await db.query(
                    """
                    WITH applied AS (
                        UPDATE resource SET value = \(value), token = \(token), holder = \(holder), version = version + 1
                        WHERE id = 1
                        RETURNING version)
                    INSERT INTO writes (version, token, holder, value)
                    SELECT (SELECT version FROM applied), \(token), \(holder), \(value)
                    RETURNING version IS NOT NULL
                    """)
            case .on:
                // AFTER: the storage checks the token in the write itself: applied only if no write with
                // an equal or higher token was applied before. One statement, under the row's lock.
                try await db.query(
                    """
                    WITH applied AS (
                        UPDATE resource SET value = \(value), token = \(token), holder = \(holder), version = version + 1
                        WHERE id = 1 AND token < \(token)
                        RETURNING version)
                    INSERT INTO writes (version, token, holder, value)
                    SELECT (SELECT version FROM applied), \(token), \(holder), \(value)
                    RETURNING version IS NOT NULL
                    """)
            }
        return try rows.first?.decode(Bool.self) ?? false
    }
}
