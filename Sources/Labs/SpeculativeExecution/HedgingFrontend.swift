import LabKit
import Synchronization

/// KEY IDEA: most slow requests are slow by bad luck — a cold read, a pause — not because the request
/// is hard, so the same request sent to another replica is very likely fast. Wait as long as the
/// dependency's p95 (so only ~5 % of requests are duplicated), then send a second copy elsewhere; take
/// whichever answers first and cancel the other at once (waiting for the loser would give the tail
/// back). The cost is the duplicates, so cap them with a budget: a hedge is load added to a backend,
/// and when latency rises because the backend is busy, every request passes the delay — hedging at
/// the p50 doubles the load on a capacity-limited backend and makes the tail it wanted to cut worse.
enum HedgingFrontend {
    static func build(_ service: LabService) async throws {
        let settings = try HedgeSettings(service.knobs)
        service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.wide)
        let replicas = try service.context.peers("backend", timeout: settings.backendTimeout)
        let nextReplica = Atomic<Int>(0)
        let window = LatencyWindow(capacity: 1_000, minimumSamples: 50, recomputeEvery: 20)
        let budget = RetryBudget(
            name: "hedges", throttling: nil, percentage: .init(ratio: settings.budgetPercent / 100, burst: 10))
        let hedger = Hedger(
            name: "backend",
            policy: HedgingPolicy(
                delay: .percentile(settings.percentile, of: window, minimum: settings.minimumDelay, fallback: settings.fallbackDelay),
                maxAttempts: 2, budget: budget))

        service.router.get("/item/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            // Round robin for first attempts; a hedge goes to the next replica.
            let first = nextReplica.wrappingAdd(1, ordering: .relaxed).oldValue
            @Sendable func call(_ attempt: Int) async throws -> PeerResponse {
                let replica = replicas[(first + attempt - 1) % replicas.count]
                let reply = try await replica.get("/item/\(id)", route: "/item/{id}")
                guard reply.isSuccess else { throw ReplicaStatusError(status: reply.status) }
                return reply
            }
            do {
                let reply = settings.hedging ? try await hedger.execute(call) : try await call(1)
                return .json(reply.json)
            } catch {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}

struct ReplicaStatusError: Error, CustomStringConvertible {
    let status: Int
    var description: String { "backend answered \(status)" }
}
