import Foundation
import LabKit
import Metrics
import Synchronization

/// One update of the shared resource under the lock — a critical section:
/// take the lock (and its token), read the resource, work, write value + 1 with the token, release.
/// `begin` and `finish` are separate so that `POST /tasks/long` can answer between them.
struct ResourceUpdates: Sendable {
    struct Section: Sendable {
        let grant: FencedLock.Grant
        let read: SharedResource.State
        let started: ContinuousClock.Instant
    }

    let lock: FencedLock
    let resource: SharedResource
    let worker: String
    let retry: Duration
    let metrics: LockWorkerMetrics

    /// Waits for the lock and reads the resource; nil if the lock was not granted within `timeout`.
    func begin(timeout: Duration) async throws -> Section? {
        // A fresh owner per grant, so a release can only ever delete this grant's lock.
        let owner = "\(worker)#\(UUID().uuidString.prefix(8))"
        guard let grant = try await lock.acquire(owner: owner, retry: retry, timeout: timeout) else { return nil }
        let started = ContinuousClock.now
        metrics.granted(token: grant.token)
        do {
            return Section(grant: grant, read: try await resource.read(holding: grant.token), started: started)
        } catch {
            try? await lock.release(grant)
            throw error
        }
    }

    /// Works for `work` (the lock is trusted to protect it), writes value + 1 carrying the grant's
    /// token, then releases. True if the storage applied the write.
    @discardableResult
    func finish(_ section: Section, after work: Duration) async throws -> Bool {
        try await Task.sleep(for: work)
        // Nothing here asks whether the lock is still ours: a paused process cannot ask in time anyway.
        let applied = try await resource.write(value: section.read.value + 1, token: section.grant.token, holder: worker)
        metrics.wrote(applied: applied, section: ContinuousClock.now - section.started)
        let released = try await lock.release(section.grant)
        metrics.released(stillHeld: released)
        return applied
    }
}

/// The worker's view of the lock and the writes it sent:
/// `lock_grants_total`, `worker_writes_total{outcome=applied|rejected}` (rejected: refused by fencing),
/// `lock_releases_total{result=released|expired}` (expired: the lock was no longer this grant's when
/// the section ended — it outlived its TTL), `lock_section_longest_seconds` (the longest time from a
/// grant to its write, in this process), `lock_ttl_seconds`, `lock_token_granted` (the last token).
final class LockWorkerMetrics: Sendable {
    private let grants = Counter(label: "lock_grants_total")
    private let applied = Counter(label: "worker_writes_total", dimensions: [("outcome", "applied")])
    private let rejected = Counter(label: "worker_writes_total", dimensions: [("outcome", "rejected")])
    private let releasedHeld = Counter(label: "lock_releases_total", dimensions: [("result", "released")])
    private let releasedExpired = Counter(label: "lock_releases_total", dimensions: [("result", "expired")])
    private let longest = Gauge(label: "lock_section_longest_seconds")
    private let lastToken = Gauge(label: "lock_token_granted")
    private let longestSeen = Mutex<Double>(0)

    init(ttl: Duration) {
        for counter in [grants, applied, rejected, releasedHeld, releasedExpired] { counter.increment(by: 0) }
        longest.record(0)
        lastToken.record(0)
        Gauge(label: "lock_ttl_seconds").record(ttl.inSeconds)
    }

    func granted(token: Int) {
        grants.increment()
        lastToken.record(token)
    }

    func wrote(applied wasApplied: Bool, section: Duration) {
        (wasApplied ? applied : rejected).increment()
        let seconds = section.inSeconds
        let newLongest = longestSeen.withLock { longestSeen -> Double? in
            guard seconds > longestSeen else { return nil }
            longestSeen = seconds
            return seconds
        }
        if let newLongest { longest.record(newLongest) }
    }

    func released(stillHeld: Bool) {
        (stillHeld ? releasedHeld : releasedExpired).increment()
    }
}
