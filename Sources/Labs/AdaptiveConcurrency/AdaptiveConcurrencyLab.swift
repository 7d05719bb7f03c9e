import LabKit

/// Week 26: adaptive concurrency at the gateway.
///
///     load generator → gateway GET /api/{id} → backend GET /work/{id}
///
/// The backend serves BACKEND_WORKERS requests at once (WORK_MS each) and queues the rest; the
/// scenario takes most of its workers away (`PUT /capacity`) and gives them back. The gateway admits
/// at most a concurrency limit of requests: a fixed number (`LIMITER=fixed`) or one that follows the
/// backend's latency (`LIMITER=adaptive`, LabKit's `AdaptiveConcurrencyLimiter`).
enum AdaptiveConcurrencyLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "gateway", "GET /api/{id}: admits up to a fixed or adaptive concurrency limit, calls backend GET /work/{id}",
            build: LimitingGateway.build),
        .init(
            "backend", "GET /work/{id}: BACKEND_WORKERS at WORK_MS each, FIFO queue; PUT /capacity {\"workers\": n}",
            build: ShrinkingBackend.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["gateway": LimitingGatewaySettings.knobs, "backend": ShrinkingBackend.knobs]
}
