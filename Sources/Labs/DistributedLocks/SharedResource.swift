import LabKit
import PostgresNIO

/// KEY IDEA: a lock with a TTL cannot stop a holder that has been paused past its TTL. The lock has
/// expired and been granted to another worker, but the paused one does not know: when it wakes it
/// finishes its critical section and writes, over the newer holder's work. Checking "do I still hold
/// the lock?" before writing does not close the gap (the pause can fall between the check and the
/// write). Safety has to come from the storage: every grant carries a *fencing token* that rises with
/// each grant, and the holder presents it on every access in its critical section — the read too.
/// The storage remembers the highest token it has seen (`fence`) and refuses a write that carries a
/// lower one, in the same statement that writes (`UPDATE … WHERE fence <= $token`). The woken holder's
/// write arrives with an old token and is rejected; nothing it computed is applied. Why the read
/// registers its token: a holder stalled past its TTL whose write lands between its successor's read
/// and write would otherwise still be in token order, be applied, and be overwritten — one update lost.
enum Fencing: String, Sendable, CaseIterable {
    /// The storage applies every write it is sent: the lock alone is trusted.
    case off
    /// Reads under the lock register their token; the storage applies a write only if no higher token
    /// has been seen.
    case on
}

/// The shared resource: one row of `resource` in PostgreSQL (a counter the workers read and write
/// back + 1 under the lock; `fence` is the highest token the storage has seen). Every write attempt is also recorded in `writes`, with its token and
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

    /// Reads the resource as anyone may (the api's `GET /resource`): no token.
    func read() async throws -> State {
        try Self.state(from: await db.query("SELECT value, token, version, holder FROM resource WHERE id = 1"))
    }

    /// Reads the resource inside a critical section, as the holder of `token`.
    func read(holding token: Int) async throws -> State {
        switch fencing {
        case .off:
            // BEFORE: the storage never sees the token on a read.
            try await read()
        case .on:
            // AFTER: the read registers the token, so any write carrying a lower one — a holder whose
            // lock has expired, even one that has not written yet — is refused from now on.
            try Self.state(
                from: await db.query(
                    """
                    UPDATE resource SET fence = GREATEST(fence, \(token)) WHERE id = 1
                    RETURNING value, token, version, holder
                    """))
        }
    }

    private static func state(from rows: [PostgresRow]) throws -> State {
        guard let (value, token, version, holder) = try rows.first?.decode((Int, Int, Int, String?).self) else {
            throw LabStartupError("the resource row is missing (init.sql creates it)")
        }
        return State(value: value, token: token, version: version, holder: holder)
    }

    /// Writes `value` as `holder`, carrying `token`. True if the storage applied it, false if it refused
    /// it (fencing: a higher token had been seen, on a read or a write).
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
                // AFTER: the storage checks the token in the write itself: applied only if no higher token
                // has been seen (by a read or a write). One statement, under the row's lock.
                try await db.query(
                    """
                    WITH applied AS (
                        UPDATE resource
                        SET value = \(value), token = \(token), fence = \(token), holder = \(holder), version = version + 1
                        WHERE id = 1 AND fence <= \(token)
                        RETURNING version)
                    INSERT INTO writes (version, token, holder, value)
                    SELECT (SELECT version FROM applied), \(token), \(holder), \(value)
                    RETURNING version IS NOT NULL
                    """)
            }
        return try rows.first?.decode(Bool.self) ?? false
    }
}
