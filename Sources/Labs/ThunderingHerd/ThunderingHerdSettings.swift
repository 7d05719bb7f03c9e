import LabKit

/// The api's knobs, all from the environment (the lab's variants set them; the README lists them).
struct ThunderingHerdSettings {
    enum Strategy: String {
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

    init(_ environment: [String: String]) throws {
        let raw = (environment["STRATEGY"] ?? "naive").lowercased()
        guard let strategy = Strategy(rawValue: raw) else { throw LabStartupError("STRATEGY=\(raw): expected naive or coalesce") }
        func millis(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw LabStartupError("\(name)=\(text): expected whole milliseconds in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        self.strategy = strategy
        ttlMilliseconds = try millis("REPORT_TTL_MS", 2_000, 1...3_600_000)
        costMilliseconds = try millis("REPORT_COST_MS", 250, 0...60_000)
        lockTTLMilliseconds = try millis("LOCK_TTL_MS", 5_000, 1...3_600_000)
        lockWaitMilliseconds = try millis("LOCK_WAIT_MS", 3_000, 0...3_600_000)
        lockPollMilliseconds = try millis("LOCK_POLL_MS", 20, 1...10_000)
    }
}
