import CoreMetrics

/// How long to wait for an attempt before sending the next one.
public enum HedgeDelay: Sendable {
    /// Always the same delay.
    case fixed(Duration)
    /// The `percentile` (0...100) of the first attempts' latencies that `window` has seen, never less
    /// than `minimum`; `fallback` until the window has enough samples. The ``Hedger`` records every
    /// first attempt in the window: its latency, or for a loser cancelled by a winning hedge, the time
    /// until it was cancelled (a lower bound, so the slow tail stays in the window).
    case percentile(Double, of: LatencyWindow, minimum: Duration = .zero, fallback: Duration)
}

/// When to send hedged (backup) requests: if the first attempt has not answered after the hedge
/// delay, send another, and so on up to `maxAttempts` in flight in total; the first success wins and
/// the others are cancelled. Hedging trades a little extra load for a shorter tail: wait for the
/// dependency's p95 latency (``HedgeDelay/percentile(_:of:minimum:fallback:)`` follows it as it
/// changes) so only the slowest ~5% of requests are hedged.
///
/// As in gRPC hedging (gRFC A6), an attempt that fails with an error `isRetryable` accepts triggers the
/// next attempt at once instead of waiting out the delay; any other error ends the call. Only hedge
/// idempotent operations: every attempt may reach the server.
///
/// A `budget` (a ``RetryBudget`` with a ``RetryBudget/Percentage``, like Finagle's `maxExtraLoad`) caps
/// the extra attempts at a share of calls: when latency rises for everyone, every call would pass the
/// delay and send a hedge, doubling the load on a backend that is slow because it is loaded.
public struct HedgingPolicy: Sendable {
    public var delay: HedgeDelay
    /// Attempts in total, the first one included (2 = at most one hedge).
    public var maxAttempts: Int
    public var isRetryable: @Sendable (any Error) -> Bool
    /// Every call deposits into it; every attempt after the first needs its permission.
    public var budget: RetryBudget?

    public init(
        delay: HedgeDelay, maxAttempts: Int = 2, budget: RetryBudget? = nil,
        isRetryable: @escaping @Sendable (any Error) -> Bool = { !($0 is CancellationError) }
    ) {
        if case .fixed(let fixed) = delay { precondition(fixed >= .zero) }
        precondition(maxAttempts >= 1)
        self.delay = delay
        self.maxAttempts = maxAttempts
        self.budget = budget
        self.isRetryable = isRetryable
    }

    /// A fixed hedge delay.
    public init(
        hedgeDelay: Duration, maxAttempts: Int = 2,
        isRetryable: @escaping @Sendable (any Error) -> Bool = { !($0 is CancellationError) }
    ) {
        self.init(delay: .fixed(hedgeDelay), maxAttempts: maxAttempts, isRetryable: isRetryable)
    }

    /// The delay to use now.
    public var hedgeDelay: Duration {
        switch delay {
        case .fixed(let fixed): fixed
        case .percentile(let percentile, let window, let minimum, let fallback): max(minimum, window.percentile(percentile) ?? fallback)
        }
    }

    /// The window first attempts are recorded in, if the delay follows one.
    var window: LatencyWindow? {
        if case .percentile(_, let window, _, _) = delay { return window }
        return nil
    }
}

/// Runs operations under a ``HedgingPolicy`` on a clock.
///
/// The attempts are child tasks of the call (structured concurrency): the winner's result is returned
/// once the losers have reacted to their cancellation. Operations that honour cancellation (HTTP client
/// requests, `Task.sleep`, clock sleeps) stop at once; one that ignores it would hold the call open.
///
/// Metrics (labelled `name`): `hedging_attempts_total{attempt_kind="first|hedge"}` (hedge / first is
/// the extra load), `hedging_wins_total{attempt_kind="first|hedge"}` (how often a hedge paid off),
/// `hedging_delay_seconds` (gauge: the delay the last call used).
public final class Hedger<C: Clock<Duration>>: Sendable {
    public let name: String
    public let policy: HedgingPolicy
    private let clock: C
    private let firstAttempts: Counter
    private let hedgeAttempts: Counter
    private let firstWins: Counter
    private let hedgeWins: Counter
    private let delayGauge: Gauge

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
        delayGauge = Gauge(label: "hedging_delay_seconds", dimensions: [("name", name)], factory: metricsFactory)
    }

    /// Runs `operation` (given the 1-based attempt number), hedging as the policy says. Returns the
    /// first successful result; throws the last error if every attempt failed.
    public func execute<R: Sendable>(_ operation: @escaping @Sendable (_ attempt: Int) async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: HedgeEvent<R>.self) { group in
            defer { group.cancelAll() } // the losers (and any pending timer) are cancelled
            var started = 0
            var running = 0
            var timerGeneration = 0
            let hedgeDelay = policy.hedgeDelay // one delay per call, even if the window moves meanwhile
            policy.budget?.recordRequest()
            /// Whether the budget allows one more attempt (always, without a budget).
            func budgetAllows() -> Bool { policy.budget?.tryAcquireRetry() ?? true }
            delayGauge.record(Double(hedgeDelay.components.seconds) + Double(hedgeDelay.components.attoseconds) / 1e18)

            func startAttempt() {
                started += 1
                running += 1
                let attempt = started
                (attempt == 1 ? firstAttempts : hedgeAttempts).increment()
                let window = attempt == 1 ? policy.window : nil
                group.addTask { [clock] in
                    let start = clock.now
                    // The first attempt's latency feeds the window; a cancelled loser records the time
                    // until it was cancelled.
                    defer { window?.record(start.duration(to: clock.now)) }
                    do { return .succeeded(attempt, try await operation(attempt)) } catch { return .failed(error) }
                }
                // Each attempt restarts the hedge timer; an older timer that fires is ignored.
                guard started < policy.maxAttempts else { return }
                timerGeneration += 1
                let generation = timerGeneration
                group.addTask { [clock] in
                    try await clock.sleep(for: hedgeDelay)
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
                    if started < policy.maxAttempts && budgetAllows() {
                        startAttempt()
                    } else if running == 0 {
                        throw error
                    }
                case .hedgeDelayElapsed(let generation):
                    if generation == timerGeneration && started < policy.maxAttempts && budgetAllows() { startAttempt() }
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
