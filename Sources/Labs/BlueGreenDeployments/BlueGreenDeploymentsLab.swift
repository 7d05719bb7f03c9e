import LabKit

/// Week 10: blue-green deployments.
///
///     load → lb (HAProxy, health checks on /readyz) → blue (v1, running)
///                                                   → green (v2, started by the deployment)
///
/// The two colours run the same code with a different `VERSION`. What differs between the variants
/// is the deployment procedure, written as each variant's actions in lab.yaml: `before` stops blue
/// and then starts green in its place; `after` starts green next to blue, switches the balancer once
/// green is healthy, and keeps blue idle for an instant rollback.
enum BlueGreenDeploymentsLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("blue", "GET /orders/{id}: the running version (VERSION=v1), WORK_MS per request", build: ReleasedApp.build),
        .init("green", "GET /orders/{id}: the new version (VERSION=v2), started by the deployment", build: ReleasedApp.build),
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["blue": ReleasedApp.knobs, "green": ReleasedApp.knobs]
}
