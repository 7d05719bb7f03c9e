import LabKit

/// How the store keeps Redis in step with PostgreSQL (`STRATEGY`; the lab's variants set it).
enum CacheStrategy: String, CaseIterable, Sendable {
    /// Writes: update the row, then DELETE the cache entry. Reads: on a miss, load the row and SET it.
    /// A reader that loaded the row just before a write can put the old row back after the delete.
    case cacheAside = "cache-aside"
    /// Writes: update the row, then SET the cache entry. Reads: on a miss, load the row and SET it.
    /// The cache is warm, but every cache write is a blind overwrite: the slower writer (or filler) wins.
    case writeThrough = "write-through"
    /// Write-through where every cache write, the writer's and the filler's, is "set if newer than
    /// the cached version", done atomically inside Redis. The cached version can only go up.
    case versioned

    static let knob = Knob<CacheStrategy>.choice(
        "STRATEGY", default: .cacheAside,
        "the write path: `cache-aside` (write the row, delete the entry), `write-through` (write the row, set the entry), "
            + "`versioned` (write-through where every cache write is \"set if newer\", atomically in Redis)")
}
