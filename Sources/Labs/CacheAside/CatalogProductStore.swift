import LabKit
import Metrics

/// One row of `products` (labs/08-cache-aside/init.sql). `version` grows by one with every update,
/// so a reader can tell which write it saw.
struct CatalogProduct: Sendable, Equatable {
    var id: Int
    var name: String
    var price: Double
    var version: Int

    func json(_ extra: [String: JSONValue] = [:]) -> JSONValue {
        let fields: [String: JSONValue] = [
            "id": .number(Double(id)), "name": .string(name), "price": .number(price), "version": .number(Double(version)),
        ]
        return .object(fields.merging(extra) { _, new in new })
    }
}

/// The database side: the source of truth. Every statement is counted in `db_queries_total{operation}`,
/// the number the cache exists to shrink.
struct CatalogProductStore: Sendable {
    let db: LabPostgres
    /// The mean seconds PostgreSQL sleeps inside each read: a stand-in for a real query's joins and disk
    /// reads. Exponentially distributed (capped at 10× the mean): most reads are quick, a few are slow.
    let readCostSeconds: Double

    private static let selects = Counter(label: "db_queries_total", dimensions: [("operation", "select")])
    private static let updates = Counter(label: "db_queries_total", dimensions: [("operation", "update")])

    /// The slow read. `FROM pg_sleep(…)` holds the connection for the read's cost, as a heavy query would.
    /// `-ln(1 - random())` is an exponential draw with mean 1 (`random()` is in [0, 1)).
    func product(_ id: Int) async throws -> CatalogProduct? {
        Self.selects.increment()
        let rows = try await db.query(
            """
            SELECT id::int8, name, price::float8, version::int8 FROM products, pg_sleep(least(-ln(1 - random()) * \(readCostSeconds), 10 * \(readCostSeconds))) WHERE id = \(id)
            """)
        guard let row = rows.first else { return nil }
        let (id, name, price, version) = try row.decode((Int, String, Double, Int).self)
        return CatalogProduct(id: id, name: name, price: price, version: version)
    }

    /// A new price; the row's version goes up by one. Returns the committed row (nil: no such product).
    func reprice(_ id: Int) async throws -> CatalogProduct? {
        Self.updates.increment()
        let rows = try await db.query(
            """
            UPDATE products SET price = round((1 + random() * 99)::numeric, 2), version = version + 1, updated_at = now()
            WHERE id = \(id) RETURNING id::int8, name, price::float8, version::int8
            """)
        guard let row = rows.first else { return nil }
        let (id, name, price, version) = try row.decode((Int, String, Double, Int).self)
        return CatalogProduct(id: id, name: name, price: price, version: version)
    }
}
