import LabKit
import PostgresNIO

/// KEY IDEA: a process that has just started is not the process that has been running for an hour.
/// Its cache is empty, so every request is a miss that goes to the database; its connection pool is
/// lazy, so the first requests also wait for connections to be opened (a PostgreSQL backend forked,
/// authenticated, its own catalog caches filled). If it says "ready" the moment it listens, the
/// balancer hands it a full share of the traffic at once and those users pay for the warm-up: the
/// new replica's tail latency is many times the fleet's. The fix is two-sided: the replica is
/// ready only once it is warm (every pool connection open, the cache loaded from PostgreSQL in one
/// query), and the balancer ramps a server that comes up from a small weight to its full one (slow
/// start), so whatever is still cold meets a trickle, not a flood.
///
/// Every catalog replica serves `GET /products/{id}`: the product's page (cached in this process;
/// a miss is a real query over the product's reviews) and its live stock (a query every time,
/// through the pool).
enum CatalogReplica {
    static func build(_ service: LabService) async throws {
        let settings = try ColdStartSettings(service.knobs)
        // Precise buckets: the lesson is a ratio of p99s, read from this histogram per replica.
        service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.fine)
        guard let db = try LabPostgres.fromEnvironment(service.context, poolName: "catalog") else {
            throw LabStartupError("\(service.context.serviceName) needs DATABASE_URL")
        }
        // Run with the service, no readiness ping: nothing connects until a query asks.
        service.addService(db)
        let pages = ProductPageCache(db: db)

        if settings.readyWhen == .warm {
            let logger = service.context.logger
            service.addSetup("warm") { progress in
                progress.report("opening \(db.poolSize) database connections")
                try await PoolWarmer.openEveryConnection(of: db)
                progress.report("loading the product pages")
                let loaded = try await pages.preload()
                logger.info("warm: \(db.poolSize) connections open, \(loaded) product pages cached")
            }
        }

        service.router.get("/products/:id") { _, context -> Response in
            guard let raw = context.parameters.get("id"), let id = Int(raw), id > 0 else {
                return .jsonError("product id must be a positive whole number", status: .badRequest)
            }
            do {
                guard let page = try await pages.page(id) else {
                    return .jsonError("no product \(id)", status: .notFound)
                }
                let stock =
                    try await db.query("SELECT quantity FROM stock WHERE product_id = \(id)")
                    .first.map { try $0.decode(Int.self) } ?? 0
                return .json(page.json(inStock: stock))
            } catch let error as PoolExhausted {
                return .jsonError("\(error)", status: .serviceUnavailable)
            }
        }
    }
}
