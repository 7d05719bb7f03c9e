import LabKit

/// The catalog's knobs (the lab's variants set them; `labsvc knobs week08` and the README list them).
struct CacheAsideSettings {
    /// `CACHE=on`: reads look in Redis first (cache-aside). Off: every read queries PostgreSQL.
    var cacheEnabled: Bool
    /// `INVALIDATE=on`: an update deletes the product's cache entry after the database commit.
    var invalidateOnUpdate: Bool
    /// `FILL_GUARD=on`: a miss fills the cache only if no update invalidated the product while the
    /// database was being read (a generation counter in Redis, checked in a Lua script).
    var fillGuard: Bool
    /// `CACHE_TTL_MS`: a cached row expires this long after the database read that produced it.
    var ttlMilliseconds: Int
    /// `DB_READ_COST_MS`: the MEAN time PostgreSQL spends on one product read (`pg_sleep` in the query;
    /// exponentially distributed, capped at 10× the mean, because real query latency has a long tail).
    var readCostMilliseconds: Int

    static let cacheKnob = Knob.flag("CACHE", default: false, "reads look in Redis first (cache-aside); off: every read queries PostgreSQL")
    static let invalidateKnob = Knob.flag(
        "INVALIDATE", default: true, "an update deletes the product's cache entry after the database commit")
    static let fillGuardKnob = Knob.flag(
        "FILL_GUARD", default: true, "a miss fills the cache only if no update invalidated the product during its database read")
    static let ttlKnob = Knob.milliseconds(
        "CACHE_TTL_MS", default: 30_000, in: 1...86_400_000, "a cached row expires this long after the database read that produced it")
    static let readCostKnob = Knob.milliseconds(
        "DB_READ_COST_MS", default: 10, in: 0...10_000,
        "the mean time PostgreSQL spends on one product read (`pg_sleep`, exponentially distributed, capped at 10x)")

    static let knobs: [any LabKnob] = [cacheKnob, invalidateKnob, fillGuardKnob, ttlKnob, readCostKnob]

    init(_ knobs: KnobReader) throws {
        cacheEnabled = try knobs.read(Self.cacheKnob)
        invalidateOnUpdate = try knobs.read(Self.invalidateKnob)
        fillGuard = try knobs.read(Self.fillGuardKnob)
        ttlMilliseconds = Int(try knobs.read(Self.ttlKnob) / .milliseconds(1))
        readCostMilliseconds = Int(try knobs.read(Self.readCostKnob) / .milliseconds(1))
    }
}

extension CacheAsideLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["catalog": CacheAsideSettings.knobs + LabPostgres.knobs + LabService.redisKnobs]
}
