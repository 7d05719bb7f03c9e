import LabKit

/// Week 48: unique ids from three Snowflake generators.
///
///     checker      GET /collect → drains every generator's outbox at once (POST /outbox/drain), every
///                  id into the ledger (duplicates counted exactly); POST /bench: ids/s per generator vs nextval
///     generator-N  its application mints 10 ids every millisecond into the outbox; GET /ids on demand:
///                  41-bit millisecond | 10-bit worker id | 12-bit sequence
///     registry     POST /workers: the next number of a counter in memory (before's worker ids)
///
/// `WORKER_IDS=registry|lease` (Redis SET NX PX, renewed), `CLOCK_BACKWARDS=ignore|wait-or-refuse`.
enum UniqueIdGeneratorLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "checker",
            "GET /collect: drains every generator's outbox into an exact ledger; GET /ledger; POST /bench: ids/s per generator vs PostgreSQL nextval",
            build: IdChecker.build),
        .init(
            "generator",
            "mints Snowflake ids every millisecond (POST /outbox/drain; GET /ids?count=N); worker id from the registry or a Redis lease (WORKER_IDS), CLOCK_BACKWARDS=ignore|wait-or-refuse",
            build: IdGeneratorService.build),
        .init("registry", "POST /workers: the next worker id from a counter in memory", build: WorkerIdRegistry.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "checker": IdCheckerSettings.knobs + LabPostgres.knobs,
        "generator": IdGeneratorSettings.knobs + LabService.redisKnobs,
        "registry": [],
    ]
}
