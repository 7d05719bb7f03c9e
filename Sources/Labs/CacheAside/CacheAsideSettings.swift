import LabKit

/// The catalog's knobs, all from the environment (the lab's variants set them; the README lists them).
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

    init(_ environment: [String: String]) throws {
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let raw = environment[name]?.lowercased(), !raw.isEmpty else { return fallback }
            if ["on", "true", "1", "yes"].contains(raw) { return true }
            if ["off", "false", "0", "no"].contains(raw) { return false }
            throw LabStartupError("\(name)=\(raw): expected on or off")
        }
        func millis(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let raw = environment[name], !raw.isEmpty else { return fallback }
            guard let value = Int(raw), range.contains(value) else {
                throw LabStartupError("\(name)=\(raw): expected whole milliseconds in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        cacheEnabled = try flag("CACHE", false)
        invalidateOnUpdate = try flag("INVALIDATE", true)
        fillGuard = try flag("FILL_GUARD", true)
        ttlMilliseconds = try millis("CACHE_TTL_MS", 30_000, 1...86_400_000)
        readCostMilliseconds = try millis("DB_READ_COST_MS", 10, 0...10_000)
    }
}
