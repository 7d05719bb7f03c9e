import LabKit
import Metrics
import ServiceLifecycle

/// The system of record: each `POST /products/{id}/price` commits a new version of one product
/// (version + 1, `changed_at_ms` = the time of the write). The truth for the audit:
/// `product_versions_committed` = Σ version = every version ever committed (SQL, every 500 ms).
///
///     POST /products/{id}/price → 200 {id, version}
enum ProductWriter {
    static let productsKnob = Knob.wholeNumber("PRODUCTS", default: 10, in: 1...100_000, "how many products there are (init.sql makes 10)")
    static let knobs: [any LabKnob] = [productsKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the writer needs DATABASE_URL") }
        let products = try service.knobs.read(productsKnob)
        service.addService(VersionCount(db: db))

        service.router.post("/products/:id/price") { _, context -> Response in
            guard let key = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id must be a number", status: .badRequest)
            }
            let id = (key % products) + 1
            let rows = try await db.query(
                """
                UPDATE products SET price = price + 1, version = version + 1,
                                    changed_at_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                WHERE id = \(id) RETURNING version
                """)
            let version = try rows.first?.decode(Int.self) ?? 0
            return .json(["id": .number(Double(id)), "version": .number(Double(version))])
        }
    }
}

struct VersionCount: Service {
    let db: LabPostgres

    func run() async throws {
        let committed = Gauge(label: "product_versions_committed")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let total = try? await db.query("SELECT coalesce(sum(version), 0)::bigint FROM products").first?.decode(Int64.self) {
                    committed.record(total)
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
