import LabKit

/// Week 52: speculative execution (hedged requests).
///
///     load generator → frontend GET /item/{id} → backend-1..3 GET /item/{id}
///
/// Each backend replica has BACKEND_WORKERS workers (WORK_MS ± WORK_JITTER_MS per request, FIFO
/// queue), and STALL_SHARE of its requests first wait STALL_MS on something slow that holds no worker
/// (a cold read). `HEDGE=on` sends a second request to another replica when the first has not answered
/// within the HEDGE_PERCENTILE of recent latencies, and cancels whichever loses.
enum SpeculativeExecutionLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init("frontend", "GET /item/{id}: one backend call, or a hedged pair (HEDGE* knobs)", build: HedgingFrontend.build),
        .init(
            "backend", "GET /item/{id}: BACKEND_WORKERS workers, WORK_MS ± WORK_JITTER_MS, STALL_SHARE stalls of STALL_MS",
            build: LongTailBackend.build),
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["frontend": HedgeSettings.knobs, "backend": LongTailBackend.knobs]
}
