import CoreMetrics

/// When to send hedged (backup) requests: if the first attempt has not answered after `hedgeDelay`,
/// send another, and so on up to `maxAttempts` in flight in total; the first success wins and the
/// others are cancelled. Hedging trades a little extra load for a shorter tail: set `hedgeDelay` near
/// the dependency's p95 latency so only the slowest ~5% of requests are hedged.
///
/// As in gRPC hedging (gRFC A6), an attempt that fails with an error `isRetryable` accepts triggers the
/// next attempt at once instead of waiting out the delay; any other error ends the call. Only hedge
/// idempotent operations: every attempt may reach the server.
public struct HedgingPolicy: Sendable {
    public var hedgeDelay: Duration
    /// Attempts in total, the first one included (2 = at most one hedge).
    public var maxAttempts: Int
    public var isRetryable: @Sendable (any Error) -> Bool

    public init(
        hedgeDelay: Duration, maxAttempts: Int = 2,
        isRetryable: @escaping @Sendable (any Error) -> Bool = { !($0 is CancellationError) }
    ) {
        precondition(hedgeDelay >= .zero && maxAttempts >= 1)
        self.hedgeDelay = hedgeDelay
        self.maxAttempts = maxAttempts
        self.isRetryable = isRetryable
    }
}

/// Runs operations under a ``HedgingPolicy`` on a clock.
///
/// The attempts are child tasks of the call (structured concurrency): the winner's result is returned
/// once the losers have reacted to their cancellation. Operations that honour cancellation (HTTP client
/// requests, `Task.sleep`, clock sleeps) stop at once; one that ignores it would hold the call open.
///
/// Metrics (labelled `name`): `hedging_attempts_total{attempt_kind="first|hedge"}` (hedge / first is
/// the extra load), `hedging_wins_total{attempt_kind="first|hedge"}` (how often a hedge paid off).
public final class Hedger<C: Clock<Duration>>: Sendable {
    public let name: String
    public let policy: HedgingPolicy
    private let clock: C
    private let firstAttempts: Counter
    private let hedgeAttempts: Counter
    private let firstWins: Counter
    private let hedgeWins: Counter

    public init(name: String, policy: HedgingPolicy, clock: C, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.name = name
        self.policy = policy
        self.clock = clock
        func counter(_ label: String, _ kind: String) -> Counter {
            Counter(label: label, dimensions: [("name", name), ("attempt_kind", kind)], factory: metricsFactory)
        }
        firstAttempts = counter("hedging_attempts_total", "first")
        hedgeAttempts = counter("hedging_attempts_total", "hedge")
        firstWins = counter("hedging_wins_total", "first")
        hedgeWins = counter("hedging_wins_total", "hedge")
    }

    /// Runs `operation` (given the 1-based attempt number), hedging as the policy says. Returns the
    /// first successful result; throws the last error if every attempt failed.
    public func execute<R: Sendable>(_ operation: @escaping @Sendable (_ attempt: Int) async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: HedgeEvent<R>.self) { group in
            defer { group.cancelAll() }  // the losers (and any pending timer) are cancelled
            var started = 0
            var running = 0
            var timerGeneration = 0

            func startAttempt() {
                started += 1
                running += 1
                let attempt = started
                (attempt == 1 ? firstAttempts : hedgeAttempts).increment()
                group.addTask {
                    do { return .succeeded(attempt, try await operation(attempt)) } catch { return .failed(error) }
                }
                // Each attempt restarts the hedge timer; an older timer that fires is ignored.
                guard started < policy.maxAttempts else { return }
                timerGeneration += 1
                let generation = timerGeneration
                group.addTask { [clock, delay = policy.hedgeDelay] in
                    try await clock.sleep(for: delay)
                    return .hedgeDelayElapsed(generation)
                }
            }

            startAttempt()
            var lastError: (any Error)?
            while let event = try await group.next() {
                switch event {
                case .succeeded(let attempt, let result):
                    (attempt == 1 ? firstWins : hedgeWins).increment()
                    return result
                case .failed(let error):
                    running -= 1
                    lastError = error
                    guard policy.isRetryable(error) else { throw error }
                    if started < policy.maxAttempts {
                        startAttempt()
                    } else if running == 0 {
                        throw error
                    }
                case .hedgeDelayElapsed(let generation):
                    if generation == timerGeneration && started < policy.maxAttempts { startAttempt() }
                }
            }
            throw lastError ?? CancellationError()
        }
    }
}

extension Hedger where C == ContinuousClock {
    public convenience init(name: String, policy: HedgingPolicy, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.init(name: name, policy: policy, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}

/// What the hedging task group hears from its children.
private enum HedgeEvent<R: Sendable>: Sendable {
    case succeeded(Int, R)
    case failed(any Error)
    case hedgeDelayElapsed(Int)
}
