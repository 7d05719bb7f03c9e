import LabKit

/// Week 49: CRDTs. Three replicas accept writes on both sides of a partition and exchange their whole
/// state by anti-entropy.
///
///     client   POST /counters/{id}/increment|decrement → replica id % 3; /partition, /set-script/{step},
///              /heal (times convergence), /audit (lost increments, wrong set elements)
///     replica  counters and sets in its own memory; every SYNC_INTERVAL_MS pushes its state to its
///              peers (POST /sync) and merges theirs; MERGE=lww|crdt
enum CrdtsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "client", "POST /counters/{id}/increment|decrement to replica id % 3 (REPLICA_URL); partition, heal, set script, audit",
            build: CrdtClient.build),
        .init(
            "replica", "counters and sets in memory, anti-entropy push to its peers every SYNC_INTERVAL_MS; MERGE=lww|crdt",
            build: ReplicaService.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "client": [],
        "replica": ReplicaService.knobs,
    ]
}
