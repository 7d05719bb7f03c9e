import LabKit
import Synchronization

/// The entry: spreads the views evenly over the api replicas, like a load balancer, so every replica
/// updates the same counter at the same time. `API_URL` holds one URL per replica, comma-separated.
/// POST /audit runs the lost-view check (`CounterAudit`) once the load has stopped.
enum CounterEdge {
    static func build(_ service: LabService) async throws {
        let replicas = try service.context.peers("api", timeout: .seconds(10))
        let next = Atomic(0)
        let replica: @Sendable () -> PeerClient = { replicas[next.wrappingAdd(1, ordering: .relaxed).oldValue % replicas.count] }

        service.router.post("/videos/:id/views") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            return try await forward { try await replica().post("/videos/\(id)/views", route: "/videos/{id}/views") }
        }
        let audit = CounterAudit(replicas: replicas)
        service.router.post("/audit") { _, _ -> JSONValue in try await audit.run() }

        service.router.get("/videos/:id/views") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            return try await forward { try await replica().get("/videos/\(id)/views", route: "/videos/{id}/views") }
        }
    }

    private static func forward(_ call: () async throws -> PeerResponse) async throws -> Response {
        do {
            let reply = try await call()
            return .json(reply.json, status: .init(code: reply.status))
        } catch {
            return .jsonError("\(error)", status: .badGateway)
        }
    }
}
