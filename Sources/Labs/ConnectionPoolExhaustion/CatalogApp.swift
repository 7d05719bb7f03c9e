import LabKit

/// KEY IDEA: a connection pool is a shared, bounded resource. When one kind of request holds its
/// connections for a long time (a 2 s report, a lock wait), every other kind of request waits in the
/// same queue for a connection — the fast path starves although the database itself is idle.
/// Fix it where the resource is shared: give the slow path its own small pool (a bulkhead), bound how
/// long anyone waits for a connection (acquire timeout → a quick 503) and how long a statement may
/// hold one (statement_timeout).
extension ConnectionPoolExhaustionLab {
    enum CatalogApp {
        static func build(_ service: LabService) async throws {
            let context = service.context
            guard let raw = context.environment["DATABASE_URL"], !raw.isEmpty else {
                throw LabStartupError("DATABASE_URL is not set (the app reads items and reports from PostgreSQL)")
            }
            let url = try DatabaseURL(raw)
            let layout = try service.knobs.read(layoutKnob)
            let reportSeconds = try service.knobs.read(reportTimeKnob) / .seconds(1)

            let fastPool: TimedPool
            let slowPool: TimedPool
            switch layout {
            case .shared:
                fastPool = TimedPool(try PoolSettings("DB", name: "shared", service.knobs), url: url, service: service)
                slowPool = fastPool
            case .split:
                fastPool = TimedPool(try PoolSettings("FAST", name: "fast", service.knobs), url: url, service: service)
                slowPool = TimedPool(try PoolSettings("SLOW", name: "slow", service.knobs), url: url, service: service)
            }
            service.addReadinessCheck("postgres") { _ = try await fastPool.query("SELECT 1") }

            // The fast path: one indexed lookup.
            service.router.get("/items/:id") { _, request -> Response in
                let id = Int(request.parameters.get("id") ?? "") ?? 1
                do {
                    let rows = try await fastPool.query("SELECT name, price_cents FROM items WHERE id = \(id)")
                    guard let (name, price) = try rows.first?.decode((String, Int).self) else {
                        return .jsonError("no item \(id)", status: .notFound)
                    }
                    return .json(["id": .number(Double(id)), "name": .string(name), "price_cents": .number(Double(price))])
                } catch {
                    return failure(error, path: "fast")
                }
            }

            // The slow path: a report that keeps its connection busy for REPORT_MS.
            service.router.get("/report") { _, _ -> Response in
                do {
                    let rows = try await slowPool.query("SELECT count(*) FROM items, pg_sleep(\(reportSeconds))")
                    let count = try rows.first?.decode(Int.self) ?? 0
                    return .json(["items": .number(Double(count)), "seconds": .number(reportSeconds)])
                } catch {
                    return failure(error, path: "slow")
                }
            }
        }

        /// A bounded wait that ran out is a 503 the caller can act on; anything else is a 500.
        static func failure(_ error: any Error, path: String) -> Response {
            if let exhausted = error as? PoolExhausted {
                return .json(
                    ["error": .string("\(exhausted)"), "path": .string(path), "reason": "pool_exhausted"], status: .serviceUnavailable)
            }
            if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "57014" {
                return .json(
                    ["error": "statement_timeout: the query was cancelled", "path": .string(path), "reason": "statement_timeout"],
                    status: .serviceUnavailable)
            }
            return .jsonError("\(String(reflecting: error))", status: .internalServerError)
        }
    }
}
