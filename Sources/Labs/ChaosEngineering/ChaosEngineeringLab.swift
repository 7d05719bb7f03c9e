import LabKit

/// Week 28: chaos engineering.
///
///     load generator → shop → inventory-1 | inventory-2     GET /product/{id} → GET /stock/{id}
///
/// The experiment (labs/28-chaos-engineering/experiments/hang-one-inventory.yaml) runs inside the
/// scenario through labctl's chaos harness: steady state from Prometheus, SIGSTOP on inventory-1,
/// abort (SIGCONT) when the hypothesis breaks.
enum ChaosEngineeringLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("shop", "GET /product/{id}: asks the inventory replicas (INVENTORY_URL) round robin", build: Shop.build),
        .init("inventory", "GET /stock/{id}: a stock count after WORK_MS", build: Inventory.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["shop": Shop.knobs, "inventory": Inventory.knobs]
}
