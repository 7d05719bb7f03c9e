import LabKit

/// Week 47: bulkhead isolation by resource kind.
///
///     load generator → api ─ GET /stock/{id}  → inventory GET /stock/{id}     (connections)
///                          ─ GET /report/{id} → reports GET /report/{id}      (connections)
///                          ─ GET /export/{id} → legacy GET /export/{id}       (a blocking client: a thread)
///
/// `POOLS=shared`: one connection pool for inventory and reports; `per-dependency`: a pool each, sized
/// by Little's law. `BLOCKING=inline`: the blocking legacy client runs on Swift's cooperative threads;
/// `executor`: on a few threads of its own.
enum BulkheadIsolationLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("api", "GET /stock|/report|/export/{id}: calls inventory, reports (connection pools) and legacy (blocking client)", build: IsolatingApi.build),
        .init("inventory", "GET /stock/{id}: fast", build: { try await ApiDependencies.build($0, route: "stock") }),
        .init("reports", "GET /report/{id}: WORK_MS per report", build: { try await ApiDependencies.build($0, route: "report") }),
        .init("legacy", "GET /export/{id}: WORK_MS per export, reached through a blocking client", build: { try await ApiDependencies.build($0, route: "export") }),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": IsolationSettings.knobs, "inventory": [ApiDependencies.workKnob], "reports": [ApiDependencies.workKnob],
        "legacy": [ApiDependencies.workKnob],
    ]
}
