import LabKit

/// Week 42: a write-behind cache.
///
///     load generator → writer POST /writes/{key} → api PUT /items/{key} → Redis (cache + queue entry)
///                                                   flusher: Redis queue → PostgreSQL (every FLUSH_INTERVAL_MS)
///                      writer POST /audit → PostgreSQL and Redis, against the acknowledged log
///
/// `WRITE_MODE` (api and flusher): write-through, behind-list (RPOP: before), behind-stream (consumer
/// group, XACK after the commit, XAUTOCLAIM after a crash: after). `COALESCE` (flusher): first or latest.
enum WriteBehindCacheLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "writer",
            "POST /writes/{key}: a fresh value through the api, the acknowledged version logged; POST /audit: lost writes, divergence",
            build: Writer.build),
        .init("api", "PUT/GET /items/{key}: the cache in Redis and the flush queue (WRITE_MODE), or write-through", build: CacheApi.build),
        .init("flusher", "the queue → PostgreSQL every FLUSH_INTERVAL_MS, coalesced (COALESCE); GET /status", build: Flusher.build),
    ]

    static let knobs: [String: [any LabKnob]] = [
        "writer": Writer.knobs,
        "api": CacheApi.knobs,
        "flusher": Flusher.knobs,
    ]
}
