import LabKit

/// Week 46: quorum reads and writes. Five replicas (real processes) hold a versioned key-value map; a
/// coordinator acknowledges a write once W of them stored it, answers a read from R of them, and
/// repairs the replicas a read found behind.
///
///     coordinator  PUT /items/{id} → W replicas (the rest ~200 ms later); GET /items/{id} → R replicas,
///                  newest version wins, read repair; counts stale reads exactly
///     replica      GET/PUT /store/{key} (versioned, newer version wins), one request at a time with
///                  a long-tailed service time (median 13 ms, p99 172 ms)
enum QuorumReadsWritesLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "coordinator", "PUT/GET /items/{id} through W / R of the replicas (REPLICA_URL), read repair, exact stale-read count",
            build: QuorumCoordinator.build),
        .init(
            "replica",
            "a versioned key-value map in memory, GET/PUT /store/{key}, one request at a time, long-tailed service time (SERVICE_MIN_MS, SERVICE_TAIL)",
            build: QuorumReplica.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "coordinator": QuorumCoordinator.knobs,
        "replica": QuorumReplica.knobs,
    ]
}
