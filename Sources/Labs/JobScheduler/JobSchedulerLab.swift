import LabKit

/// Week 24: a distributed job scheduler.
///
///     load generator → api POST /jobs/{id} → PostgreSQL jobs ← worker-1..3 (4 slots each) claim, run, complete
///                                                            ← the scheduler (one worker, elected in etcd) enqueues a report every second
///     api: the audit — duplicate executions, jobs never finished, re-delivery delay, double report runs
///
/// `CLAIM` (workers): `naive` (select, then update; no lease) or `skip-locked` (one statement with
/// FOR UPDATE SKIP LOCKED and a visibility lease; completion fenced by the attempt). `SCHEDULER`:
/// `every-replica` or `elected` (an etcd leader lease).
enum JobSchedulerLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api", "POST /jobs/{id}: enqueue a job; GET /audit; the audit gauges (duplicates, unfinished, re-delivery, double runs)",
            build: JobApi.build),
        .init(
            "worker", "claims and runs jobs (CLAIM=naive|skip-locked, LEASE_MS, SLOTS, JOB_MS); runs the report schedule (SCHEDULER)",
            build: JobWorker.build),
    ]
    static let knobs: [String: [any LabKnob]] = ["api": JobApi.knobs, "worker": JobWorker.knobs]
}
