import Foundation

/// Every kind the platform knows. A kind not listed here still parses (it is shown in
/// `labctl list`) but cannot run: the lab says which kind is missing.
public enum InfrastructureKinds {
    public static let all: [any InfrastructureKind] = [
        RedisKind(), PostgresKind(), PrometheusKind(), EtcdKind(), RabbitMQKind(), HAProxyKind(),
    ]

    /// The kind named `name` (or one of its aliases).
    public static func named(_ name: String) -> (any InfrastructureKind)? {
        all.first { $0.name == name || $0.aliases.contains(name) }
    }
}
