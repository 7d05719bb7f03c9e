import LabKit
import Synchronization

/// Warm-up on recovery. While the cache is unavailable, the products the catalog had to read from the
/// database are remembered here (at most `capacity`); the moment the breaker closes again they are
/// written into Redis in one pipelined round trip, so the cache does not come back empty and the
/// next requests hit instead of all missing together. It costs the database nothing: these are
/// answers the fallback already paid for.
///
/// Metric: `cache_warmup_keys_total`, the products written back.
final class CacheWarmer: Sendable {
    private let pending = Mutex<[String: JSONValue]>([:])
    private let capacity: Int
    private let written = Counter(label: "cache_warmup_keys_total")
    private let logger: Logger

    init(capacity: Int = 10_000, logger: Logger) {
        self.capacity = capacity
        self.logger = logger
    }

    func remember(_ key: String, _ value: JSONValue) {
        pending.withLock { pending in
            if pending.count < capacity || pending[key] != nil { pending[key] = value }
        }
    }

    func warm(_ cache: CatalogCache) async {
        let entries = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !entries.isEmpty else { return }
        do {
            try await cache.writeAll(entries)
            written.increment(by: entries.count)
            logger.info("cache warm-up: wrote \(entries.count) products read during the outage")
        } catch {
            logger.warning("cache warm-up failed: \(error)")
        }
    }
}
