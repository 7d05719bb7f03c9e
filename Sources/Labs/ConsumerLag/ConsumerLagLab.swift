import LabKit

/// Week 45: consumer lag.
///
///     load generator → producer POST /produce/{id} → BATCH messages → topic:orders:0…3 (Redis Streams)
///     consumer-1 … consumer-8 (group "billing"; GROUP_MEMBERS of them join) ← their partitions
///     lag-monitor: XINFO GROUPS per partition → consumer_group_lag{partition} → Prometheus → ConsumerLagHigh
enum ConsumerLagLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("producer", "POST /produce/{id}: BATCH messages over the topic's partitions (Redis Streams)", build: Producer.build),
        .init(
            "consumer", "a member of group billing: heartbeats, round-robin partitions, WORK_MS per message, ledger, XACK",
            build: GroupConsumer.build),
        .init(
            "lag-monitor", "consumer_group_lag{partition} from XINFO GROUPS; POST /marks/{surge|drain}: the drain time",
            build: LagMonitor.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "producer": Producer.knobs,
        "consumer": GroupConsumer.knobs,
        "lag-monitor": LagMonitor.knobs,
    ]
}
