import LabKit

/// Week 14: eventual consistency.
///
///     load generator → user POST /users/{id}/save → profiles POST /profiles/{id}   (primary)
///                                                 → profiles GET  /profiles/{id}   (standby, replay delay)
///
/// `READ_CONSISTENCY` (profiles) picks how a read after a write is served: `eventual` (the standby,
/// whatever it has replayed), `read-your-writes` (the standby once it has replayed the write's LSN,
/// else the primary after `RYW_MAX_WAIT_MS`).
enum EventualConsistencyLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "user", "POST /users/{id}/save: saves a profile, then shows it (the read carries the write's LSN); counts stale reads",
            build: ProfileUser.build),
        .init(
            "profiles", "POST /profiles/{id} on the primary, GET /profiles/{id} on the standby; READ_CONSISTENCY, RYW_MAX_WAIT_MS",
            build: ProfileService.build),
    ]
    static let knobs: [String: [any LabKnob]] = ["user": ProfileUser.knobs, "profiles": ProfileService.knobs]
}
