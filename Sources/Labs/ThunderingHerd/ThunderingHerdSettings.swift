import LabKit

/// The api's knobs (the lab's variants set them; `labsvc knobs week12` and the README list them).
struct ThunderingHerdSettings {
    enum Strategy: String, CaseIterable, Sendable {
        /// Every request that misses the cache recomputes the report.
        case naive
        /// One recompute per key per process (single flight), and one per cluster (a Redis lock).
        case coalesce
    }

    var strategy: Strategy
    /// `REPORT_TTL_MS`: how long a computed report stays in Redis.
    var ttlMilliseconds: Int
    /// `REPORT_COST_MS`: how long PostgreSQL spends on one recompute (`pg_sleep` plus an aggregate).
    var costMilliseconds: Int
    /// `LOCK_TTL_MS`: the cross-replica lock expires after this, so a crashed holder cannot block forever.
    var lockTTLMilliseconds: Int
    /// `LOCK_WAIT_MS`: how long a replica that lost the lock polls the cache before recomputing itself.
    var lockWaitMilliseconds: Int
    /// `LOCK_POLL_MS`: how often it polls.
    var lockPollMilliseconds: Int

    static let strategyKnob = Knob<Strategy>.choice(
        "STRATEGY", default: .naive,
        "`naive`: every request that misses recomputes; `coalesce`: one recompute per key per replica (single flight) "
            + "and per cluster (a Redis lock)")
    static let ttlKnob = Knob.milliseconds("REPORT_TTL_MS", default: 2_000, in: 1...3_600_000, "how long a computed report stays in Redis")
    static let costKnob = Knob.milliseconds(
        "REPORT_COST_MS", default: 250, in: 0...60_000, "how long PostgreSQL spends on one recompute (`pg_sleep` plus an aggregate)")
    static let lockTTLKnob = Knob.milliseconds(
        "LOCK_TTL_MS", default: 5_000, in: 1...3_600_000,
        "the cross-replica lock expires after this, so a crashed holder cannot block forever")
    static let lockWaitKnob = Knob.milliseconds(
        "LOCK_WAIT_MS", default: 3_000, in: 0...3_600_000,
        "how long a replica that lost the lock polls the cache before recomputing itself")
    static let lockPollKnob = Knob.milliseconds("LOCK_POLL_MS", default: 20, in: 1...10_000, "how often it polls")

    static let knobs: [any LabKnob] = [strategyKnob, ttlKnob, costKnob, lockTTLKnob, lockWaitKnob, lockPollKnob]

    init(_ knobs: KnobReader) throws {
        func milliseconds(_ knob: Knob<Duration>) throws -> Int { Int(try knobs.read(knob) / .milliseconds(1)) }
        strategy = try knobs.read(Self.strategyKnob)
        ttlMilliseconds = try milliseconds(Self.ttlKnob)
        costMilliseconds = try milliseconds(Self.costKnob)
        lockTTLMilliseconds = try milliseconds(Self.lockTTLKnob)
        lockWaitMilliseconds = try milliseconds(Self.lockWaitKnob)
        lockPollMilliseconds = try milliseconds(Self.lockPollKnob)
    }
}

extension ThunderingHerdLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start. The edge's API_URL is wiring
    /// (labctl sets it from `depends_on`), not a knob.
    static let knobs: [String: [any LabKnob]] = [
        "edge": [],
        "api": ThunderingHerdSettings.knobs + LabPostgres.knobs + LabService.redisKnobs,
    ]
}
