import Foundation
import LabKit

/// KEY IDEA: a bulkhead is drawn around a *resource*, and a service has more than one kind. Size each
/// by Little's law — what a pool holds on average = arrivals per second × seconds each one holds it
/// (L = λ × W) — and give each dependency, and each kind of work, its own:
///
/// - outbound connections: reports arrive at 10/s and hold a connection for 3 s, so they alone need
///   10 × 3 = 30 connections; one shared pool of 20 is full of them within 2 s, and the catalog calls
///   (30/s × 0.005 s = 0.15 connections' worth of work) wait behind them until the pool times out.
///   A pool per dependency — catalog 4, reports 10 — leaves the catalog its own connections, and the
///   reports' pool sheds what it cannot hold (10 connections / 3 s = 3.3 reports/s) with a 503 at once;
/// - threads: a blocking (synchronous) client run inside a request's task holds one of the cooperative
///   pool's threads — one per core, 2 here — for its 3 s, and with two of them every other task of the
///   process waits. A `BlockingExecutor` of its own (4 threads: 4 / 3 s = 1.3 exports/s) keeps them
///   off the cooperative pool and sheds the rest.
///
/// Week 9 (labs/09-cascading-failures) showed bulkheads, budgets and breakers between tiers; here the
/// subject is how big each compartment is and what it holds.
enum Storefront {
    static func build(_ service: LabService) async throws {
        let settings = try StorefrontSettings(service.knobs)
        for metric in ["http_server_request_duration_seconds", "http_client_request_duration_seconds"] {
            service.telemetry.registry.configureBuckets(forMetric: metric, buckets)
        }
        let (catalog, reports) = try DependencyClients.make(service, settings)
        let exports = try ExportRunner(settings, reportsURL: reports.baseURL)
        if let executor = exports.executor { service.onShutdown { try? await executor.shutdown() } }

        service.router.get("/catalog/:id") { _, context -> Response in
            guard let id = itemID(context.parameters.get("id")) else { return badID }
            return await forward(catalog, "/items/\(id)", route: "/items/{id}")
        }

        service.router.get("/reports/:id") { _, context -> Response in
            guard let id = itemID(context.parameters.get("id")) else { return badID }
            return await forward(reports, "/reports/\(id)", route: "/reports/{id}")
        }

        // The same report, fetched by a synchronous client (a legacy SDK): it blocks whatever thread runs it.
        service.router.get("/exports/:id") { _, context -> Response in
            guard let id = itemID(context.parameters.get("id")) else { return badID }
            do {
                let reply = try await exports.export(id: id)
                return .json([
                    "id": .number(Double(id)), "report_status": .number(Double(reply.status)), "bytes": .number(Double(reply.bytes)),
                ])
            } catch let full as BulkheadFullError {
                return .json(["error": .string("\(full)"), "reason": "executor_full"], status: .serviceUnavailable)
            } catch {
                return .jsonError("export failed: \(error)", status: .badGateway)
            }
        }
    }

    /// One call through a dependency's client; a pool that has no connection for it is a 503 at once.
    static func forward(_ peer: PeerClient, _ path: String, route: String) async -> Response {
        do {
            let reply = try await peer.get(path, route: route)
            return .json(reply.json, status: .init(code: reply.status))
        } catch let error as PeerError {
            switch error {
            case .poolTimeout: return .json(["error": .string("\(error)"), "reason": "pool_exhausted"], status: .serviceUnavailable)
            case .timeout, .deadlineExceeded: return .jsonError("\(error)", status: .gatewayTimeout)
            default: return .jsonError("\(error)", status: .badGateway)
            }
        } catch {
            return .jsonError("\(error)", status: .internalServerError)
        }
    }

    static func itemID(_ raw: String?) -> Int? {
        guard let raw, let id = Int(raw), (1...1_000).contains(id) else { return nil }
        return id
    }

    static var badID: Response { .jsonError("the id must be a whole number from 1 to 1000", status: .badRequest) }

    /// 10 % apart from 1 ms to 30 s, so a panel's quantile (interpolated inside one bucket) is
    /// never more than 10 % from the durations it counts - a few ms, the shared pool's 2 s wait, 3 s.
    static let buckets: [Double] = (0...108).map { (0.001 * pow(1.1, Double($0)) * 1e6).rounded() / 1e6 }
}

/// The api's clients for its two dependencies and the connection pools they lease from.
enum DependencyClients {
    static func make(_ service: LabService, _ settings: StorefrontSettings) throws -> (catalog: PeerClient, reports: PeerClient) {
        var catalog = try service.context.peer("catalog", timeout: settings.catalogTimeout)
        var reports = try service.context.peer("reports", timeout: settings.reportsTimeout)
        switch settings.pools {
        case .shared:
            // One pool for every dependency: whoever holds its connections longest ends up holding them all.
            let shared = service.connectionPool(name: "shared", size: settings.sharedPoolSize, maxWait: settings.sharedPoolWait)
            catalog.pool = shared
            reports.pool = shared
        case .perDependency:
            // A pool per dependency, each sized for its own L = λ × W.
            catalog.pool = service.connectionPool(name: "catalog", size: settings.catalogPoolSize, maxWait: settings.catalogPoolWait)
            reports.pool = service.connectionPool(name: "reports", size: settings.reportsPoolSize, maxWait: settings.reportsPoolWait)
        }
        return (catalog, reports)
    }
}
