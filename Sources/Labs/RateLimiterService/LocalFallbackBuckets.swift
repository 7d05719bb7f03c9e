import LabKit
import Metrics
import Synchronization

/// This caller's share of each client's limit, used only while the limiter does not answer: a token
/// bucket per client refilling at `limit / nodes` per second (rounded down, at least 1, so the NODES
/// shares together never exceed the limit), holding up to half a second of it, starting full.
///
/// The limit is the last one the limiter answered with for that client, so a limit changed at run
/// time is also the fallback's limit. Metrics: `ratelimit_fallback_share{client}` (per second).
final class LocalFallbackBuckets: Sendable {
    let nodes: Int
    let unknownClientLimit: Int
    private let state = Mutex<[String: Entry]>([:])

    private struct Entry {
        var limit: Int
        var bucket: TokenBucketRateLimiter<ContinuousClock>?
    }

    init(nodes: Int, unknownClientLimit: Int) {
        self.nodes = nodes
        self.unknownClientLimit = unknownClientLimit
    }

    func share(of limit: Int) -> Int { max(1, limit / nodes) }

    /// The limiter answered with `limit` for `client`: remember it (a changed limit makes a new bucket).
    func learn(_ client: String, limit: Int) {
        let changed = state.withLock { entries in
            guard entries[client]?.limit != limit else { return false }
            entries[client] = Entry(limit: limit, bucket: nil)
            return true
        }
        if changed { Gauge(label: "ratelimit_fallback_share", dimensions: [("client", client)]).record(share(of: limit)) }
    }

    /// One request of `client`, decided here.
    func tryAcquire(_ client: String) -> Bool {
        state.withLock { entries in
            var entry = entries[client] ?? Entry(limit: unknownClientLimit, bucket: nil)
            let bucket =
                entry.bucket
                ?? TokenBucketRateLimiter(
                    name: "fallback", capacity: max(1, share(of: entry.limit) / 2), permitsPerPeriod: share(of: entry.limit),
                    metricsFactory: NOOPMetricsHandler.instance)
            entry.bucket = bucket
            entries[client] = entry
            return bucket.tryAcquire()
        }
    }
}
