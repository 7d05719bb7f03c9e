import LabKit

/// Week 45: consumer-lag.
///
///     api  GET /items/{id} → backend GET /work/{id}
///
/// `MEMO=on` makes the api remember the backend's answers.
enum ConsumerLagLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("api", "GET /items/{id}: asks backend GET /work/{id} (BACKEND_URL), MEMO knob", build: MemoizingApi.build),
        .init("backend", "GET /work/{id}: answers after WORK_MS of work", build: SlowBackend.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "api": [MemoizingApi.memoKnob],
        "backend": [SlowBackend.workKnob],
    ]
}
