import Foundation
import LabKit
import Synchronization

/// The entry: spreads requests evenly over the api replicas, like a load balancer, so the herd arrives
/// at every replica at once. `API_URL` holds one URL per replica, comma-separated.
enum RoundRobinEdge {
    static func build(_ service: LabService) async throws {
        let replicas = try service.context.peers("api", timeout: .seconds(10))
        let next = Atomic(0)

        service.router.get("/report/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            let replica = replicas[next.wrappingAdd(1, ordering: .relaxed).oldValue % replicas.count]
            do {
                let reply = try await replica.get("/report/\(id)", route: "/report/{id}")
                return .json(reply.json, status: .init(code: reply.status))
            } catch {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}
