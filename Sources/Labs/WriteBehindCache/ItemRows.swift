import LabKit
import PostgresNIO

/// The items in PostgreSQL: the system of record (`init.sql` creates the table). A row holds the
/// value of the highest version written so far; a write carrying a lower or equal version changes
/// nothing, so an entry applied twice (claimed again after a crash that came between the commit and
/// the acknowledgement) or late is harmless.
struct ItemRows: Sendable {
    let db: LabPostgres

    /// The flusher's batch in one statement (one commit), each row only if its version is newer.
    /// Returns how many rows changed.
    func upsert(_ writes: [QueuedWrite]) async throws -> Int {
        guard !writes.isEmpty else { return 0 }
        let keys = writes.map(\.key)
        let values = writes.map(\.value)
        let versions = writes.map { Int64($0.version) }
        let rows = try await db.query(
            """
            WITH changed AS (
                INSERT INTO items (key, value, version)
                SELECT * FROM unnest(\(keys)::text[], \(values)::text[], \(versions)::bigint[])
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, written_at = now()
                WHERE items.version < excluded.version
                RETURNING 1)
            SELECT count(*) FROM changed
            """)
        return try rows.first?.decode(Int.self) ?? 0
    }

    /// Write-through: the write itself, committed before the api answers. PostgreSQL numbers the
    /// versions (under the row's lock); the new version.
    func writeThrough(key: String, value: String) async throws -> Int {
        let rows = try await db.query(
            """
            INSERT INTO items (key, value, version) VALUES (\(key), \(value), 1)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = items.version + 1, written_at = now()
            RETURNING version
            """)
        guard let version = try rows.first?.decode(Int.self) else { throw LabStartupError("the upsert returned no version") }
        return version
    }

    /// The stored (value, version) of each of these keys that has a row.
    func read(_ keys: [String]) async throws -> [String: (value: String, version: Int)] {
        var stored: [String: (value: String, version: Int)] = [:]
        for start in stride(from: 0, to: keys.count, by: 5_000) {
            let chunk = Array(keys[start..<min(start + 5_000, keys.count)])
            for row in try await db.query("SELECT key, value, version FROM items WHERE key = ANY(\(chunk)::text[])") {
                let (key, value, version) = try row.decode((String, String, Int).self)
                stored[key] = (value, version)
            }
        }
        return stored
    }
}
