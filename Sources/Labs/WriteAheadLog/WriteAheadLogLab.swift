import LabKit

/// Week 25: a write-ahead log.
///
///     load generator → writer POST /writes → store PUT /kv/{key} → log segments + snapshot in DATA_DIR
///                      writer POST /audit  → store POST /kv/mget (every acknowledged key)
///
/// The store (`COMMIT`): `buffered` acknowledges from a userspace buffer written out every FLUSH_MS;
/// `fsync-each` writes and fsyncs each record before acknowledging; `group-commit` does the same
/// once per batch. `CHECKPOINT_RECORDS` bounds the replay on start. The writer records every
/// acknowledgement and, after the store was killed and started again, counts the ones that are gone.
enum WriteAheadLogLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "writer", "POST /writes: writes a key through the store and records the acknowledgement; POST /audit: counts lost ones",
            build: DurabilityWriter.build),
        .init(
            "store",
            "the key-value service: PUT/GET /kv/{key}, POST /kv/mget, POST /flush; its log (COMMIT, FLUSH_MS), checkpoints, replay on start",
            build: KeyValueStoreService.build),
    ]

    static let knobs: [String: [any LabKnob]] = [
        "writer": DurabilityWriter.knobs,
        "store": KeyValueStoreService.knobs,
    ]
}
