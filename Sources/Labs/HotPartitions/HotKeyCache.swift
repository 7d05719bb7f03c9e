import LabKit
import Metrics
import Synchronization

/// The other fix, for keys that are read far more than written: the router answers a hot key's
/// reads from its own memory for CACHE_TTL_MS, and concurrent misses for the same key share ONE
/// shard read (LabKit's `SingleFlight`). The celebrity's shard then sees about one read of the key
/// per TTL instead of every read. Only keys the detector flagged are cached (memory stays small), a
/// write through the router drops the cached value, and a read may be up to one TTL stale.
///
/// `cache_requests_total{result="hit|miss"}`; `singleflight_calls_total{name="hot-key-cache"}`.
final class HotKeyCache: Sendable {
    private struct Entry {
        let reply: ShardTable.Reply
        let expires: ContinuousClock.Instant
    }

    let ttl: Duration
    private let entries = Mutex<[String: Entry]>([:])
    private let flight = SingleFlight<String, ShardTable.Reply>(name: "hot-key-cache")
    private let hits = Counter(label: "cache_requests_total", dimensions: [("result", "hit")])
    private let misses = Counter(label: "cache_requests_total", dimensions: [("result", "miss")])

    init(ttl: Duration) {
        self.ttl = ttl
        hits.increment(by: 0)
        misses.increment(by: 0)
    }

    func get(_ key: String, fetch: @escaping @Sendable () async -> ShardTable.Reply) async -> ShardTable.Reply {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[key] }), entry.expires > now {
            hits.increment()
            return entry.reply
        }
        misses.increment()
        let result = try? await flight.run(key) {
            let reply = await fetch()
            // Only an answer is cached; a timeout is not (the next read tries again).
            if case .value = reply { self.store(key, reply) }
            return reply
        }
        return result?.value ?? .failed("the coalesced read of \(key) failed")
    }

    private func store(_ key: String, _ reply: ShardTable.Reply) {
        entries.withLock { $0[key] = Entry(reply: reply, expires: .now + ttl) }
    }

    func invalidate(_ key: String) { _ = entries.withLock { $0.removeValue(forKey: key) } }
}
