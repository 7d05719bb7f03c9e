import LabKit
import ServiceContextModule

/// KEY IDEA: a slow dependency does not fail by itself — it holds on to whatever its callers gave it.
/// When a tier bounds ALL its outbound calls with ONE pool (threads, connections, a semaphore) and waits
/// patiently for a slot and for the answer, calls to the slow dependency take every slot, and calls that
/// never touch it (the catalog) wait behind them and fail too; the tier above fills the same way, and
/// the whole site is down because of one payment provider. Give each dependency its own bulkhead that
/// fails fast when full, and give each request a deadline that every hop spends from (no hop waits
/// longer than the caller will), and the slow dependency can only ever hold its own few slots.
enum Tier {
    /// The entry tier: both endpoints call the api.
    static func buildWeb(_ service: LabService) async throws {
        try serve(
            service,
            routes: [
                .init(path: "/checkout/:id", dependency: "payments", peer: "api", downstream: "/checkout/{id}"),
                .init(path: "/catalog/:id", dependency: "catalog", peer: "api", downstream: "/catalog/{id}"),
            ])
    }

    /// The middle tier: checkout needs payments, the catalog needs only the catalog.
    static func buildAPI(_ service: LabService) async throws {
        try serve(
            service,
            routes: [
                .init(path: "/checkout/:id", dependency: "payments", peer: "payments", downstream: "/pay/{id}"),
                .init(path: "/catalog/:id", dependency: "catalog", peer: "catalog", downstream: "/items/{id}"),
            ])
    }

    /// One endpoint of a tier: the route it serves, the dependency it needs (which names its bulkhead),
    /// the peer it calls and that peer's route (`{id}` is replaced).
    struct Route {
        var path: String
        var dependency: String
        var peer: String
        var downstream: String
    }

    private static func serve(_ service: LabService, routes: [Route]) throws {
        let settings = try TierSettings(service.knobs, peers: routes.map(\.peer), dependencies: routes.map(\.dependency))
        let pools = OutboundPools(settings, dependencies: routes.map(\.dependency))
        for route in routes {
            let peer = try service.context.peer(route.peer, timeout: settings.timeout(route.peer))
            let pool = pools.pool(for: route.dependency)
            service.router.get(RouterPath(route.path)) { _, context -> Response in
                let id = context.parameters.get("id") ?? "0"
                return await withRequestBudget(settings.requestBudget) {
                    do {
                        // The wait for a slot gets its own span, so a trace shows where a request queued.
                        let permit = try await withSpan("wait for a slot in '\(pool.name)'") { _ in try await pool.acquire() }
                        defer { pool.release(permit) }
                        // The slot is held for the whole call: as long as the dependency takes to answer.
                        let reply = try await peer.get(route.downstream.replacingOccurrences(of: "{id}", with: id), route: route.downstream)
                        guard reply.isSuccess else {
                            return .jsonError("\(route.peer) answered \(reply.status)", status: .badGateway)
                        }
                        return .json(["id": .string(id), "via": .string(route.peer), "reply": reply.json])
                    } catch let error as BulkheadFullError {
                        return .jsonError("\(error)", status: .serviceUnavailable) // fail fast, or waited too long
                    } catch let error as PeerError {
                        switch error {
                        case .timeout, .deadlineExceeded: return .jsonError("\(error)", status: .gatewayTimeout)
                        default: return .jsonError("\(error)", status: .badGateway)
                        }
                    } catch {
                        return .jsonError("\(error)", status: .internalServerError)
                    }
                }
            }
        }
    }

    /// Runs `body` under a deadline `budget` from now (or the caller's, if that is earlier): every
    /// `PeerClient` call inside caps its timeout by what is left and forwards it as `x-request-timeout-ms`.
    private static func withRequestBudget(_ budget: Duration?, _ body: () async -> Response) async -> Response {
        guard let budget else { return await body() }
        var context = ServiceContext.current ?? .topLevel
        context.requestDeadline = context.requestDeadline?.capped(by: budget) ?? .after(budget)
        return await ServiceContext.withValue(context) { await body() }
    }
}
