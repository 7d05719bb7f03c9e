import LabKit

/// KEY IDEA: a retry at one layer multiplies with the retries at every layer below it. With 3 attempts
/// at the api and 3 at the middle, one failing client request costs the backend 9 requests, so an
/// overloaded backend receives 9× the load exactly when it can least take it, and stays overloaded
/// after the original fault is gone (a metastable failure). Retry at ONE layer, spread the retries
/// with capped exponential backoff and full jitter, and cap them with a retry budget, and the
/// backend sees little more than the clients' own load.
enum RetryingCaller {
    /// The client-facing service: api → middle.
    static func buildAPI(_ service: LabService) async throws {
        let settings = try RetrySettings(service.knobs, timeout: RetrySettings.middleTimeout)
        // Its p99 panel reads inside the tail of timeouts and retries: buckets fine enough to tell them apart.
        service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.fine)
        try serve(service, route: "/checkout/:id", peerName: "middle", settings: settings, isEdge: true)
    }

    /// The layer in between: middle → backend.
    static func buildMiddle(_ service: LabService) async throws {
        let settings = try RetrySettings(service.knobs, timeout: RetrySettings.backendTimeout)
        try serve(service, route: "/work/:id", peerName: "backend", settings: settings, isEdge: false)
    }

    /// Answers `route` by calling `peerName`'s GET /work/{id} through this layer's retrier.
    private static func serve(_ service: LabService, route: String, peerName: String, settings: RetrySettings, isEdge: Bool) throws {
        let peer = try service.context.peer(peerName, timeout: settings.timeout)
        let retrier = settings.retrier(name: peerName, isEdge: isEdge)
        let name = service.context.serviceName

        service.router.get(RouterPath(route)) { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            do {
                let reply = try await retrier.execute { _ in
                    let reply = try await peer.get("/work/\(id)", route: "/work/{id}")
                    // A 5xx is worth another attempt, like a timeout; a 4xx would not be.
                    guard reply.status < 500 else { throw PeerStatusError(peer: peerName, status: reply.status) }
                    return reply
                }
                return .json(["id": .string(id), "via": .string(name), "reply": reply.json])
            } catch {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}

struct PeerStatusError: Error, CustomStringConvertible {
    let peer: String
    let status: Int
    var description: String { "\(peer) answered \(status)" }
}
