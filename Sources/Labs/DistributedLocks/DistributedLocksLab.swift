import LabKit

/// Week 37: distributed locks and fencing tokens.
///
///     worker-1..3  loop: lock (Redis SET NX PX + INCR token, one script) → read the resource
///                  (PostgreSQL) → work → write value + 1 with the token → release (compare-and-delete)
///                  POST /tasks/long: one long update, answered as soon as the lock is taken
///     api          GET /resource; the audit (stale writes, lost updates, writes refused)
///
/// `FENCING=off`: the storage applies every write. `FENCING=on`: reads register their token and a write
/// is applied only `WHERE fence <= $token`.
enum DistributedLocksLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api", "GET /resource: the shared resource; GET /audit; the audit gauges (stale writes, lost updates, writes refused)",
            build: ResourceApi.build),
        .init(
            "worker",
            "updates the resource under the Redis lock (LOCK_TTL_MS, WORK_MS), FENCING=off|on; POST /tasks/long: one long update (LONG_TASK_MS)",
            build: LockWorker.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": ResourceApi.knobs,
        "worker": LockWorkerSettings.knobs + LabPostgres.knobs + LabService.redisKnobs,
    ]
}
