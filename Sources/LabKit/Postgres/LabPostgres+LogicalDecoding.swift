import PostgresNIO

/// Logical decoding through SQL (PostgresNIO speaks no replication protocol): a logical replication
/// slot remembers how far its consumer has confirmed, and the server keeps every change after that
/// point. `peekChanges` reads without moving the slot; `advanceSlot` confirms, after the consumer has
/// durably handled what it read — so a consumer that crashes in between reads the same changes again
/// (at least once) instead of losing them. Needs `wal_level = logical`; with the `wal2json` plugin
/// (Debian: postgresql-15-wal2json), format version 2 gives one JSON object per change.
extension LabPostgres {
    /// One decoded change: its LSN and the plugin's text (wal2json v2: `{"action":"U","table":…,"columns":[…]}`;
    /// the commit's message (`"action":"C"`) carries the LSN to confirm).
    public struct DecodedChange: Sendable {
        public let lsn: String
        public let data: String
    }

    /// Creates a logical replication slot (no-op if it exists).
    public func createLogicalSlot(_ slot: String, plugin: String = "wal2json") async throws {
        try await query(
            """
            SELECT pg_create_logical_replication_slot(\(slot)::name, \(plugin)::name)
            WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = \(slot))
            """)
    }

    /// Up to about `limit` changes after the slot's confirmed position, whole transactions only, without
    /// consuming them. `options` are the plugin's (wal2json: `format-version` = `2`, …).
    public func peekChanges(
        _ slot: String, limit: Int = 1_000, options: [String: String] = ["format-version": "2"]
    ) async throws -> [DecodedChange] {
        let flattened = options.keys.sorted().flatMap { [$0, options[$0]!] }
        let rows = try await query(
            """
            SELECT lsn::text, data FROM pg_logical_slot_peek_changes(\(slot)::name, NULL::pg_lsn, \(limit)::int, VARIADIC \(flattened)::text[])
            """)
        return try rows.map {
            let (lsn, data) = try $0.decode((String, String).self)
            return DecodedChange(lsn: lsn, data: data)
        }
    }

    /// Confirms everything up to `lsn` (a commit message's LSN): the slot will not return it again and
    /// the server may recycle the WAL.
    public func advanceSlot(_ slot: String, to lsn: String) async throws {
        try await query("SELECT pg_replication_slot_advance(\(slot)::name, \(lsn)::pg_lsn)")
    }
}
