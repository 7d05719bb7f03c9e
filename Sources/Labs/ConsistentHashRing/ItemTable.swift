import LabKit
import Metrics
import PostgresNIO

/// The source of truth: `items` in PostgreSQL (labs/43-consistent-hash-ring/init.sql). Every read
/// the cache tier did not spare it is counted in `db_reads_total`, the load a cache exists to keep away.
struct ItemTable: Sendable {
    let db: LabPostgres
    /// What PostgreSQL works on each read (`pg_sleep`): a stand-in for the joins the cache spares it.
    let readCost: Duration

    static let reads = Counter(label: "db_reads_total")

    /// One item as the JSON text the api answers and the cache keeps; nil if there is no such item.
    func item(_ id: Int) async throws -> String? {
        Self.reads.increment()
        let seconds = Double(readCost.components.attoseconds) / 1e18 + Double(readCost.components.seconds)
        let rows = try await db.query(
            "SELECT json_build_object('id', id, 'name', name, 'price', price)::text FROM items, pg_sleep(\(seconds)) WHERE id = \(id)")
        return try rows.first.map { try $0.decode(String.self) }
    }

    /// Every item in one query: how the tier is warmed before the lab starts (it has been serving for hours).
    func all() async throws -> [(id: Int, json: String)] {
        try await db.query("SELECT id, json_build_object('id', id, 'name', name, 'price', price)::text FROM items ORDER BY id")
            .map { row in try row.decode((Int, String).self) }.map { (id: $0.0, json: $0.1) }
    }
}
