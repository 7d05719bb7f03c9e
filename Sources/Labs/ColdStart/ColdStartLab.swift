import LabKit

/// Week 40: cold start.
///
///     load → lb (HAProxy, health checks on /readyz) → catalog ×2      (the fleet: warm)
///                                                  → catalog-new     (started mid-run by the scenario)
///     every replica → PostgreSQL (products, 100 reviews each, stock) through its own pool
///
/// `READY_WHEN=listening` lets the new replica take traffic with an empty cache and no open
/// connection; `READY_WHEN=warm` makes `/readyz` wait until its pool is open and its cache loaded.
/// The balancer's `slow_start` (lab.yaml) ramps its weight once it is up.
enum ColdStartLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("catalog", "GET /products/{id}: a replica of the fleet, running (and warm) from the start", build: CatalogReplica.build),
        .init("catalog-new", "GET /products/{id}: the replica that joins mid-run, same code", build: CatalogReplica.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["catalog": ColdStartSettings.knobs, "catalog-new": ColdStartSettings.knobs]
}
