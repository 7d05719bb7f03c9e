import LabKit

/// Where the flusher takes acknowledged writes from, and how it tells that source they are safe.
protocol FlushQueue: Sendable {
    /// Up to `max` writes, waiting up to `wait` when there are none.
    func take(max: Int, wait: Duration) async throws -> [QueuedWrite]
    /// The writes are committed in PostgreSQL: the queue may forget them.
    func committed(_ writes: [QueuedWrite]) async throws
    /// Writes another (crashed) flusher took and never committed, if the queue still knows them.
    func claimAbandoned(max: Int) async throws -> [QueuedWrite]
    /// Entries waiting in Redis (not yet committed), and of those, the ones handed to a flusher.
    func backlog() async throws -> (length: Int, pending: Int)
}

/// BEFORE: a Redis list. RPOP removes the entries from Redis as it returns them: from then on they
/// exist only in this process's memory, and `kill -9` erases them — acknowledged writes, gone.
struct ListFlushQueue: FlushQueue {
    let redis: RedisClient

    func take(max: Int, wait: Duration) async throws -> [QueuedWrite] {
        let popped = try await redis.rpop(CacheKeys.list, count: max)
        if popped.isEmpty { try await Task.sleep(for: wait) }
        return popped.compactMap(QueuedWrite.init(listEntry:))
    }

    func committed(_ writes: [QueuedWrite]) async throws {} // nothing to tell: the list forgot them at RPOP
    func claimAbandoned(max: Int) async throws -> [QueuedWrite] { [] } // nobody remembers what a dead flusher popped

    func backlog() async throws -> (length: Int, pending: Int) { (try await redis.llen(CacheKeys.list), 0) }
}

/// AFTER: a Redis stream read through a consumer group. XREADGROUP hands entries out but keeps each
/// one *pending* (with the consumer's name) until XACK; this flusher acknowledges only after the
/// commit, then deletes them from the stream. A flusher killed mid-batch leaves its entries pending;
/// the next one claims those idle longer than `claimIdle` (XAUTOCLAIM) and flushes them.
struct StreamFlushQueue: FlushQueue {
    let redis: RedisClient
    /// This process's name in the group: a new one for every start, so a restarted flusher finds the
    /// old one's entries by claiming them, as a different machine would.
    let consumer: String
    /// How long an entry must have been pending before it is taken from its consumer: longer than a
    /// live flusher holds a batch, so only a dead one's are taken.
    let claimIdle: Duration

    func prepare() async throws {
        try await redis.xgroupCreate(CacheKeys.stream, group: CacheKeys.group, startingAfter: .zero)
    }

    func take(max: Int, wait: Duration) async throws -> [QueuedWrite] {
        let entries = try await redis.xreadgroup(
            group: CacheKeys.group, consumer: consumer, from: CacheKeys.stream, count: max, block: Swift.max(wait, .milliseconds(1)))
        return entries.compactMap(QueuedWrite.init(streamEntry:))
    }

    /// XACK and XDEL in one script, so that no kill can fall between them (an acknowledged entry left
    /// in the stream would be nobody's and never leave).
    static let acknowledgeAndDelete = RedisScript(
        """
        local acknowledged = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
        redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
        return acknowledged
        """)

    func committed(_ writes: [QueuedWrite]) async throws {
        let ids = writes.compactMap(\.streamID)
        guard !ids.isEmpty else { return }
        // Only now, after the commit: until this, every entry of the batch stays pending in Redis.
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let chunk = ids[start..<min(start + 1_000, ids.count)].map { RedisArgument($0.description) }
            try await redis.run(Self.acknowledgeAndDelete, keys: [CacheKeys.stream], args: [RedisArgument(CacheKeys.group)] + chunk)
        }
    }

    func claimAbandoned(max: Int) async throws -> [QueuedWrite] {
        var claimed: [QueuedWrite] = []
        var start = RedisStreamID.zero
        repeat {
            let round = try await redis.xautoclaim(
                CacheKeys.stream, group: CacheKeys.group, consumer: consumer, minIdle: claimIdle, start: start, count: max)
            claimed += round.claimed.compactMap(QueuedWrite.init(streamEntry:))
            start = round.nextStart
        } while start != .zero && claimed.count < max
        // Counted in Redis too: the flusher that claimed may itself be killed before a scrape.
        if !claimed.isEmpty { try await redis.hincrBy(CacheKeys.stats, "claimed", claimed.count) }
        // A consumer whose entries were all claimed and that has not read since: a dead flusher. Forget it
        // (only with 0 pending: deleting a consumer drops its pending entries with it).
        for other in try await redis.xinfoConsumers(CacheKeys.stream, group: CacheKeys.group)
        where other.name != consumer && other.pending == 0 && other.idle > claimIdle {
            try await redis.xgroupDelConsumer(CacheKeys.stream, group: CacheKeys.group, consumer: other.name)
        }
        return claimed
    }

    func backlog() async throws -> (length: Int, pending: Int) {
        let length = try await redis.xlen(CacheKeys.stream)
        let pending = try await redis.xinfoGroups(CacheKeys.stream).first { $0.name == CacheKeys.group }?.pending ?? 0
        return (length, pending)
    }
}

/// Write-through: nothing is queued; the flusher idles.
struct NoFlushQueue: FlushQueue {
    func take(max: Int, wait: Duration) async throws -> [QueuedWrite] {
        try await Task.sleep(for: wait)
        return []
    }
    func committed(_ writes: [QueuedWrite]) async throws {}
    func claimAbandoned(max: Int) async throws -> [QueuedWrite] { [] }
    func backlog() async throws -> (length: Int, pending: Int) { (0, 0) }
}
