import Foundation
import Metrics
import Synchronization

/// The staleness check: every read is compared with the latest version this service has committed.
///
/// All updates go through this service (one replica), so it knows when each version of each product
/// was committed. A read that returns version v while v+1 is committed is STALE, and its age is how
/// long ago v+1 was committed. Cache-aside promises only that the age stays below the TTL:
/// `reads_checked_total{freshness="fresh|stale_within_ttl|stale_beyond_ttl"}` counts every read, and
/// `stale_read_max_age_ratio` is the largest age seen so far as a fraction of the TTL (must stay ≤ 1).
final class CacheStalenessChecker: Sendable {
    let ttlSeconds: Double
    /// id → version → wall-clock second its commit was observed (after the UPDATE returned).
    private let commits = Mutex<[Int: [Int: Double]]>([:])
    private let maxRatio = Mutex(0.0)

    private static let fresh = Counter(label: "reads_checked_total", dimensions: [("freshness", "fresh")])
    private static let staleWithinTTL = Counter(label: "reads_checked_total", dimensions: [("freshness", "stale_within_ttl")])
    private static let staleBeyondTTL = Counter(label: "reads_checked_total", dimensions: [("freshness", "stale_beyond_ttl")])
    private static let maxAgeRatio = Gauge(label: "stale_read_max_age_ratio")
    private static let maxAgeSeconds = Gauge(label: "stale_read_max_age_seconds")
    private static let ttlGauge = Gauge(label: "cache_ttl_seconds")

    init(ttlSeconds: Double) {
        self.ttlSeconds = ttlSeconds
        // Every series exists from the start, so increase() over a window sees the first stale read.
        for counter in [Self.fresh, Self.staleWithinTTL, Self.staleBeyondTTL] { counter.increment(by: 0) }
        Self.maxAgeRatio.record(0)
        Self.maxAgeSeconds.record(0)
        Self.ttlGauge.record(ttlSeconds)
    }

    static func wallClockSeconds() -> Double { Date().timeIntervalSince1970 }

    /// Called after an UPDATE committed `version` of product `id`.
    func committed(id: Int, version: Int) {
        let now = Self.wallClockSeconds()
        commits.withLock { $0[id, default: [:]][version] = now }
    }

    /// Classifies one read that returned `version` of product `id`; returns its staleness in seconds (0: fresh).
    @discardableResult
    func check(id: Int, returnedVersion version: Int) -> Double {
        let supersededAt = commits.withLock { $0[id]?[version + 1] }
        guard let supersededAt else {
            Self.fresh.increment()
            return 0
        }
        let age = max(0, Self.wallClockSeconds() - supersededAt)
        (age > ttlSeconds ? Self.staleBeyondTTL : Self.staleWithinTTL).increment()
        let ratio = age / ttlSeconds
        let newMax: Double? = maxRatio.withLock { current in
            guard ratio > current else { return nil }
            current = ratio
            return ratio
        }
        if let newMax {
            Self.maxAgeRatio.record(newMax)
            Self.maxAgeSeconds.record(newMax * ttlSeconds)
        }
        return age
    }
}
