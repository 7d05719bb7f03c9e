import LabKit

/// How the api makes a write durable, and how the flusher (if any) carries it to PostgreSQL.
enum WriteMode: String, Sendable, CaseIterable {
    /// The api writes PostgreSQL (and commits) before it answers, then the cache: the baseline.
    case writeThrough = "write-through"
    /// Write-behind through a Redis list: the flusher pops entries (RPOP) — once popped, they exist
    /// only in the flusher's memory until it commits them.
    case behindList = "behind-list"
    /// Write-behind through a Redis stream read by a consumer group: a read entry stays pending in
    /// Redis until the flusher acknowledges it (XACK) after the commit; a crashed flusher's pending
    /// entries are claimed by the next one (XAUTOCLAIM).
    case behindStream = "behind-stream"

    static let knob = Knob.choice(
        "WRITE_MODE", default: WriteMode.behindStream,
        "write-through: PostgreSQL before the answer; behind-list / behind-stream: the answer after Redis, PostgreSQL later through a list / a stream with a consumer group"
    )
}

/// Which write of a key the flusher keeps when a batch holds several.
enum Coalescing: String, Sendable, CaseIterable {
    /// The first one queued — the oldest value (the peer lab's mistake): the database keeps a value
    /// the cache already replaced, and nothing ever writes the newer one.
    case first
    /// The highest version: the value the cache holds.
    case latest
}

/// The Redis keys the api and the flusher share.
enum CacheKeys {
    /// The cached item: a hash with `value` and `version`.
    static func item(_ key: String) -> String { "item:" + key }
    static let list = "writes:list"
    static let stream = "writes:stream"
    static let group = "flushers"
    /// Counts that must outlive a killed flusher (`claimed`: entries taken over from dead ones).
    static let stats = "writes:stats"
}

/// One acknowledged write waiting for PostgreSQL: a key's value at a version (versions rise by one
/// with every write of the key, assigned by Redis in the order it applied them).
struct QueuedWrite: Sendable, Hashable {
    let key: String
    let value: String
    let version: Int
    /// Where it sits in the stream (behind-stream), to acknowledge it once committed.
    var streamID: RedisStreamID? = nil

    /// A list entry is `version|key|value` (a key has no `|`; the value may).
    init?(listEntry: String) {
        let parts = listEntry.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let version = Int(parts[0]) else { return nil }
        self.init(key: String(parts[1]), value: String(parts[2]), version: version)
    }

    init?(streamEntry entry: RedisStreamEntry) {
        guard let key = entry["key"], let value = entry["value"], let version = entry["version"].flatMap({ Int($0) }) else { return nil }
        self.init(key: key, value: value, version: version, streamID: entry.id)
    }

    init(key: String, value: String, version: Int, streamID: RedisStreamID? = nil) {
        self.key = key
        self.value = value
        self.version = version
        self.streamID = streamID
    }

    /// One write per key out of a batch (in the order the batch holds them): what the flusher sends to
    /// PostgreSQL. The others are coalesced away — correct only if the one kept is the latest.
    static func coalesce(_ batch: [QueuedWrite], keeping coalescing: Coalescing) -> [QueuedWrite] {
        var kept: [String: QueuedWrite] = [:]
        var order: [String] = []
        for write in batch {
            guard let chosen = kept[write.key] else {
                kept[write.key] = write
                order.append(write.key)
                continue
            }
            switch coalescing {
            case .first: continue // BEFORE: the first queued write of the key stays; later ones are dropped
            case .latest: if write.version > chosen.version { kept[write.key] = write } // AFTER: the newest wins
            }
        }
        return order.compactMap { kept[$0] }
    }
}
