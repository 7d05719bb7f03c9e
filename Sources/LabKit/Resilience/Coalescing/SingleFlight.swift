import CoreMetrics
import Synchronization

/// Request coalescing ("single flight", after Go's `golang.org/x/sync/singleflight`): concurrent calls
/// for the same key share ONE execution of the work. The first caller (the leader) starts it; callers
/// that arrive while it runs (followers) wait for the same result or error instead of starting their
/// own. Once it finishes, the key is free again: the next call starts fresh work.
///
/// This is what stops a thundering herd inside one process: 50 requests that miss the cache for the
/// same key at the same moment cause one database query, not 50. (Across processes, use a lock or a
/// lease in a shared store as well.)
///
/// The work runs in its own task, so a leader whose request is cancelled does not fail its followers;
/// it inherits the leader's task-local context (trace spans are children of the leader's request).
/// Metrics (labelled `name`): `singleflight_calls_total{role="leader|follower"}`, the `follower`
/// count being the work saved.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let name: String
    private let inFlight = Mutex<[Key: Task<Value, any Error>]>([:])
    private let leaders: CoreMetrics.Counter
    private let followers: CoreMetrics.Counter

    public init(name: String) {
        self.name = name
        self.leaders = CoreMetrics.Counter(label: "singleflight_calls_total", dimensions: [("name", name), ("role", "leader")])
        self.followers = CoreMetrics.Counter(label: "singleflight_calls_total", dimensions: [("name", name), ("role", "follower")])
        leaders.increment(by: 0)
        followers.increment(by: 0)
    }

    /// Runs `work` for `key`, or joins the run already in flight for it. `shared` is true for a
    /// follower (the value came from another caller's run).
    public func run(
        _ key: Key, _ work: @escaping @Sendable () async throws -> Value
    ) async throws -> (value: Value, shared: Bool) {
        let (task, isLeader) = inFlight.withLock { running -> (Task<Value, any Error>, Bool) in
            if let existing = running[key] { return (existing, false) }
            let task = Task<Value, any Error> {
                // Runs after this lock is released (the task needs the same lock to clean up), and
                // removes exactly this run: no other run for `key` can be registered while it is.
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: key) } }
                return try await work()
            }
            running[key] = task
            return (task, true)
        }
        (isLeader ? leaders : followers).increment()
        return (try await task.value, !isLeader)
    }

    /// The number of keys with work in flight right now.
    public var inFlightCount: Int { inFlight.withLock { $0.count } }
}
