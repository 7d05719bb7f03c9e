import CoreMetrics
import Synchronization

/// What to retry and how often: at most `maxAttempts` attempts in total (first try included), waiting
/// `backoff` between them, and only for errors `isRetryable` accepts.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var backoff: Backoff
    /// Which errors are worth another attempt (a timeout or 503 is; a 400 is not).
    /// The default retries everything except cancellation.
    public var isRetryable: @Sendable (any Error) -> Bool
    /// The server's own hint from an error (an HTTP `Retry-After` on a 429 or 503): the retry waits at
    /// least this long, even beyond the backoff cap. Nil (the default) means no hint.
    public var retryAfter: @Sendable (any Error) -> Duration?

    public init(
        maxAttempts: Int = 3,
        backoff: Backoff = Backoff(),
        isRetryable: @escaping @Sendable (any Error) -> Bool = { !($0 is CancellationError) },
        retryAfter: @escaping @Sendable (any Error) -> Duration? = { _ in nil }
    ) {
        precondition(maxAttempts >= 1, "maxAttempts counts the first attempt, so it is at least 1")
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
    }
}

/// Runs operations under a ``RetryPolicy``, sleeping through its clock between attempts and asking an
/// optional ``RetryBudget`` before each retry.
///
/// When it gives up it rethrows the last error the operation threw, so callers see the real failure.
///
/// Metrics (labelled `name`):
/// - `retry_attempts_total{attempt_kind="first|retry"}`: every attempt; `retry / first` is the load
///   amplification retries cause.
/// - `retry_calls_total{outcome="success|not_retryable|exhausted|budget_denied|deadline"}`: one per
///   `execute`, with why it ended.
public final class Retrier<C: Clock<Duration>>: Sendable {
    public let name: String
    public let policy: RetryPolicy
    public let budget: RetryBudget?
    private let clock: C
    private let generator: Mutex<any RandomNumberGenerator & Sendable>
    private let firstAttempts: Counter
    private let retryAttempts: Counter
    private let outcomes: [Outcome: Counter]

    enum Outcome: String, CaseIterable {
        case success
        case notRetryable = "not_retryable"
        case exhausted
        case budgetDenied = "budget_denied"
        case deadline
    }

    public init(
        name: String,
        policy: RetryPolicy,
        budget: RetryBudget? = nil,
        clock: C,
        randomNumberGenerator: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        self.policy = policy
        self.budget = budget
        self.clock = clock
        generator = Mutex(randomNumberGenerator)
        firstAttempts = Counter(
            label: "retry_attempts_total", dimensions: [("name", name), ("attempt_kind", "first")], factory: metricsFactory)
        retryAttempts = Counter(
            label: "retry_attempts_total", dimensions: [("name", name), ("attempt_kind", "retry")], factory: metricsFactory)
        var outcomes: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            outcomes[outcome] = Counter(
                label: "retry_calls_total", dimensions: [("name", name), ("outcome", outcome.rawValue)], factory: metricsFactory)
        }
        self.outcomes = outcomes
    }

    /// Runs `operation` (given the 1-based attempt number) until it succeeds, fails with an error the
    /// policy does not retry, runs out of attempts, the budget refuses a retry, or (with a `deadline`)
    /// the next backoff would not end before the deadline: a retry with no time left only adds load.
    /// Cancellation of the calling task interrupts the backoff sleep and is rethrown.
    nonisolated(nonsending) public func execute<R>(
        deadline: Deadline<C>? = nil,
        _ operation: nonisolated(nonsending) (_ attempt: Int) async throws -> R
    ) async throws -> R {
        budget?.recordRequest()
        var previousDelay: Duration?
        var attempt = 1
        while true {
            (attempt == 1 ? firstAttempts : retryAttempts).increment()
            do {
                let result = try await operation(attempt)
                budget?.recordSuccess()
                outcomes[.success]?.increment()
                return result
            } catch {
                guard policy.isRetryable(error), !Task.isCancelled else {
                    outcomes[.notRetryable]?.increment()
                    throw error
                }
                budget?.recordFailure()
                guard attempt < policy.maxAttempts else {
                    outcomes[.exhausted]?.increment()
                    throw error
                }
                let backoff = generator.withLock { generator in
                    policy.backoff.delay(retry: attempt, previous: previousDelay, using: &generator)
                }
                let delay = max(backoff, policy.retryAfter(error) ?? .zero)
                if let deadline, delay >= deadline.remaining {
                    outcomes[.deadline]?.increment()
                    throw error
                }
                if let budget, !budget.tryAcquireRetry() {
                    outcomes[.budgetDenied]?.increment()
                    throw error
                }
                previousDelay = backoff // decorrelated jitter grows from its own delays, not the hints
                try await clock.sleep(for: delay)
                attempt += 1
            }
        }
    }
}

extension Retrier where C == ContinuousClock {
    /// A retrier on the real clock with system randomness.
    public convenience init(
        name: String, policy: RetryPolicy, budget: RetryBudget? = nil, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(name: name, policy: policy, budget: budget, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}
