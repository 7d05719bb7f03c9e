import LabKit

/// Week 16: memory leak.
///
///     load → api GET /report/{id}  (a ~32 KB report, memoized; each request also subscribes to
///                                   price changes while it renders)
///
/// `MEMO_CACHE=unbounded` keeps every report it ever rendered; `lru` keeps the CACHE_ENTRIES most
/// recently used. `LISTENERS=leak` never unsubscribes a request's price listener; `scoped` removes
/// it when the request ends. The api has a memory limit (lab.yaml `memory_limit`): what leaks is
/// killed and started again.
enum MemoryLeakLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "api", "GET /report/{id}: a memoized report (MEMO_CACHE, CACHE_ENTRIES), a price listener per request (LISTENERS)",
            build: ReportService.build)
    ]

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["api": ReportSettings.knobs]
}
