import LabKit

/// Week 6: retry storms.
///
///     api  GET /checkout/{id} → middle GET /work/{id} → backend GET /work/{id}
///
/// The backend has a real, bounded capacity (BACKEND_WORKERS slots of BACKEND_WORK_MS each, a wait queue
/// of BACKEND_QUEUE, 503 at once beyond it). `STRATEGY` picks how the two callers retry:
/// `naive` (3 immediate attempts at every layer), `backoff` (capped exponential backoff with full jitter,
/// still at every layer) or `budget` (retries only at the api, with backoff, full jitter and a retry budget).
enum RetryStormsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api", "GET /checkout/{id}: calls middle GET /work/{id} (MIDDLE_URL), STRATEGY/RETRY_* knobs", build: RetryingCaller.buildAPI),
        .init(
            "middle", "GET /work/{id}: calls backend GET /work/{id} (BACKEND_URL), STRATEGY/RETRY_* knobs",
            build: RetryingCaller.buildMiddle),
        .init(
            "backend", "GET /work/{id}: BACKEND_WORKERS slots × BACKEND_WORK_MS, queue BACKEND_QUEUE, else 503",
            build: CapacityBackend.build),
    ]
}
