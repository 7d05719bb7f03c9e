import Foundation
import Synchronization

/// Where a lab's time goes: each step of a start, a run and a stop, in seconds, in order.
/// `labctl run/compare --json` report them per variant; `labctl verify` sums them per lab.
public final class StartupTimings: Sendable {
    private let steps = Mutex<[(String, Double)]>([])
    private let clock = ContinuousClock()

    public init() {}

    /// Runs `body` and records how long it took under `step`.
    public func measure<T>(_ step: String, _ body: () async throws -> T) async rethrows -> T {
        let start = clock.now
        defer { record(step, (clock.now - start).seconds) }
        return try await body()
    }

    public func record(_ step: String, _ seconds: Double) {
        steps.withLock { $0.append((step, seconds)) }
    }

    /// The steps in the order they finished (a step measured twice appears twice).
    public var recorded: [(step: String, seconds: Double)] { steps.withLock { $0.map { ($0.0, $0.1) } } }
}
