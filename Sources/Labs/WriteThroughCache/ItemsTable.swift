import LabKit

/// The source of truth: PostgreSQL's `items` table (labs/03-write-through-cache/init.sql).
struct ItemsTable: Sendable {
    let db: LabPostgres

    func read(_ id: Int) async throws -> Item {
        let rows = try await db.query("SELECT version, value FROM items WHERE id = \(id)")
        guard let row = rows.first else { return .unwritten }
        let (version, value) = try row.decode((Int, String).self)
        return Item(version: version, value: value)
    }

    /// Inserts or updates the row, but never replaces a newer version with an older one, in every
    /// variant: the database stays right; this lab is about the cache in front of it.
    func write(_ id: Int, _ item: Item) async throws {
        try await db.query(
            """
            INSERT INTO items (id, version, value, updated_at) VALUES (\(id), \(item.version), \(item.value), now())
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, value = EXCLUDED.value, updated_at = now()
            WHERE items.version < EXCLUDED.version
            """)
    }
}
