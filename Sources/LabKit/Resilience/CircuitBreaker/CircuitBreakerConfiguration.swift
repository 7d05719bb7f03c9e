/// The three states of a circuit breaker. The raw value is what the `circuit_breaker_state` gauge
/// reports: 0 closed, 1 open, 2 half-open (the same numbering as Resilience4j's state gauge).
public enum CircuitBreakerState: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Calls flow; outcomes are recorded in the sliding window.
    case closed = 0
    /// Calls are rejected at once with ``CircuitBreakerOpenError`` until `waitDurationInOpenState` passes.
    case open = 1
    /// A fixed number of probe calls test whether the dependency has recovered.
    case halfOpen = 2

    /// The metric label value: `closed`, `open`, `half_open`.
    public var description: String {
        switch self {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }
}

/// Resilience4j's circuit breaker settings, with its defaults.
public struct CircuitBreakerConfiguration: Sendable {
    /// Which recent calls the failure and slow-call rates are computed over.
    public enum SlidingWindow: Sendable, Equatable {
        /// The last `size` calls.
        case countBased(size: Int)
        /// The calls of the last `seconds` seconds, kept in one-second buckets: a call leaves the
        /// window when its bucket does, i.e. between `seconds - 1` and `seconds` seconds after it
        /// completed (as in Resilience4j's `SlidingTimeWindowMetrics`).
        case timeBased(seconds: Int)
    }

    public var slidingWindow: SlidingWindow
    /// No decision is taken before the window holds this many calls. For a count-based window the
    /// effective minimum is `min(minimumNumberOfCalls, size)`.
    public var minimumNumberOfCalls: Int
    /// Open when the percentage of failed calls in the window is >= this (0...100).
    public var failureRateThreshold: Double
    /// Open when the percentage of slow calls in the window is >= this (0...100).
    public var slowCallRateThreshold: Double
    /// A call is slow when it takes strictly longer than this.
    public var slowCallDurationThreshold: Duration
    /// How long the breaker stays open before the next call moves it to half-open.
    public var waitDurationInOpenState: Duration
    /// Exactly this many probe calls are admitted in half-open; once all of them have completed,
    /// the breaker closes, or reopens if their failure (or slow-call) rate reaches the threshold.
    public var permittedNumberOfCallsInHalfOpenState: Int
    /// Which errors count as failures. Others count as successes (Resilience4j's `recordExceptions`).
    /// `CancellationError` is never recorded: the caller gave up, the dependency did not fail.
    public var recordsFailure: @Sendable (any Error) -> Bool

    public init(
        slidingWindow: SlidingWindow = .countBased(size: 100),
        minimumNumberOfCalls: Int = 100,
        failureRateThreshold: Double = 50,
        slowCallRateThreshold: Double = 100,
        slowCallDurationThreshold: Duration = .seconds(60),
        waitDurationInOpenState: Duration = .seconds(60),
        permittedNumberOfCallsInHalfOpenState: Int = 10,
        recordsFailure: @escaping @Sendable (any Error) -> Bool = { _ in true }
    ) {
        switch slidingWindow {
        case .countBased(let size): precondition(size >= 1, "sliding window size must be >= 1")
        case .timeBased(let seconds): precondition(seconds >= 1, "sliding window must span >= 1 second")
        }
        precondition(minimumNumberOfCalls >= 1)
        precondition((0...100).contains(failureRateThreshold) && failureRateThreshold > 0)
        precondition((0...100).contains(slowCallRateThreshold) && slowCallRateThreshold > 0)
        precondition(permittedNumberOfCallsInHalfOpenState >= 1)
        self.slidingWindow = slidingWindow
        self.minimumNumberOfCalls = minimumNumberOfCalls
        self.failureRateThreshold = failureRateThreshold
        self.slowCallRateThreshold = slowCallRateThreshold
        self.slowCallDurationThreshold = slowCallDurationThreshold
        self.waitDurationInOpenState = waitDurationInOpenState
        self.permittedNumberOfCallsInHalfOpenState = permittedNumberOfCallsInHalfOpenState
        self.recordsFailure = recordsFailure
    }

    /// The number of calls the window must hold before the rates are evaluated.
    var effectiveMinimumNumberOfCalls: Int {
        switch slidingWindow {
        case .countBased(let size): min(minimumNumberOfCalls, size)
        case .timeBased: minimumNumberOfCalls
        }
    }
}

/// Thrown instead of calling the dependency when the breaker does not admit the call: it is open, or
/// half-open with all its probes already in flight. Catch it to serve a fallback.
public struct CircuitBreakerOpenError: Error, Sendable, CustomStringConvertible {
    public let name: String
    public let state: CircuitBreakerState
    /// How long until an open breaker will admit a probe (nil when half-open).
    public let retryAfter: Duration?

    public var description: String {
        "circuit breaker '\(name)' is \(state) and does not permit further calls"
    }
}
