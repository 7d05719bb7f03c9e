import LabKit

/// KEY IDEA: the right concurrency limit is Little's law — throughput times latency — of a backend
/// whose capacity changes. A fixed limit is tuned for one capacity: generous enough for the healthy
/// backend's bursts, it admits far more than a degraded backend can serve, so admitted requests queue
/// there until every one is later than its client will wait (goodput falls to ~0 while the backend
/// is 100 % busy). An adaptive limit measures instead: Vegas compares each request's latency with the
/// lowest it has seen, estimates how many requests are queued behind the backend's workers, and moves
/// the limit to keep that queue small — down when the backend loses capacity, up again when it
/// recovers. Requests over the limit are shed at once with a 503, so the ones admitted stay fast.
enum LimitingGateway {
    static func build(_ service: LabService) async throws {
        let settings = try LimitingGatewaySettings(service.knobs)
        service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.wide)
        let backend = try service.context.peer("backend", timeout: settings.backendTimeout)
        let gate = ConcurrencyGate(settings)

        service.router.get("/api/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            guard let admission = gate.admit() else {
                return .jsonError("over the concurrency limit of \(gate.limit): shed", status: .serviceUnavailable)
            }
            do {
                let reply = try await backend.get("/work/\(id)", route: "/work/{id}")
                guard reply.isSuccess else {
                    gate.complete(admission, .dropped)
                    return .jsonError("backend answered \(reply.status)", status: .badGateway)
                }
                gate.complete(admission, .succeeded)
                return .json(["id": .string(id), "backend": reply.json])
            } catch {
                gate.complete(admission, .dropped) // a timeout is the strongest sign of overload
                return .jsonError("\(error)", status: .gatewayTimeout)
            }
        }
    }
}
