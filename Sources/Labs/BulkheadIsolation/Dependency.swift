import LabKit

/// The api's two dependencies, real services on a real PostgreSQL: `catalog` answers from one indexed
/// SELECT (a few ms), `reports` runs a query that sleeps REPORT_MS in the server (`pg_sleep`) — the
/// slow dependency. Each has a pool of its own large enough (DB_POOL_SIZE) that it is never the
/// bottleneck: the lesson is in the api's pools.
enum Dependency {
    enum Kind: String { case catalog, reports }

    static let reportTimeKnob = Knob.milliseconds(
        "REPORT_MS", default: 3_000, in: 0...60_000, "how long one report's query runs in PostgreSQL (pg_sleep)")

    static func build(_ service: LabService, kind: Kind) async throws {
        guard let db = try service.postgres(poolName: kind.rawValue) else {
            throw LabStartupError("DATABASE_URL is not set (the \(kind.rawValue) service reads items from PostgreSQL)")
        }
        switch kind {
        case .catalog:
            service.router.get("/items/:id") { _, context -> Response in
                guard let id = Storefront.itemID(context.parameters.get("id")) else { return Storefront.badID }
                let rows = try await db.query("SELECT name, price_cents FROM items WHERE id = \(id)")
                guard let (name, price) = try rows.first?.decode((String, Int).self) else {
                    return .jsonError("no item \(id)", status: .notFound)
                }
                return .json(["id": .number(Double(id)), "name": .string(name), "price_cents": .number(Double(price))])
            }
        case .reports:
            let seconds = try service.knobs.read(reportTimeKnob) / .seconds(1)
            service.router.get("/reports/:id") { _, context -> Response in
                guard let id = Storefront.itemID(context.parameters.get("id")) else { return Storefront.badID }
                let rows = try await db.query("SELECT name, price_cents * 12 FROM items, pg_sleep(\(seconds)) WHERE id = \(id)")
                guard let (name, yearly) = try rows.first?.decode((String, Int).self) else {
                    return .jsonError("no item \(id)", status: .notFound)
                }
                return .json([
                    "id": .number(Double(id)), "name": .string(name), "yearly_cents": .number(Double(yearly)), "seconds": .number(seconds),
                ])
            }
        }
    }
}
