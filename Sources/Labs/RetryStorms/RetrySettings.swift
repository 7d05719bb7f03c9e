import LabKit

/// The callers' knobs (the lab's variants set them; `labsvc knobs week06` and the README list them).
struct RetrySettings {
    enum Strategy: String, CaseIterable, Sendable {
        /// `RETRY_ATTEMPTS` attempts at every layer, back to back: attempts multiply across layers.
        case naive
        /// The same attempts at every layer, but spaced by capped exponential backoff with full jitter.
        case backoff
        /// Retries only at the edge (the api), with backoff and full jitter, under a retry budget;
        /// every inner layer makes exactly one attempt.
        case budget
    }

    var strategy: Strategy
    var attempts: Int
    /// Timeout of one call to the next layer down.
    var timeout: Duration
    var backoff: Backoff
    /// Retries allowed per request (`RETRY_BUDGET_RATIO`, e.g. 0.1 = at most 10% extra), `budget` only.
    var budgetRatio: Double

    static let strategyKnob = Knob<Strategy>.choice(
        "STRATEGY", default: .naive,
        "how the api and the middle retry: `naive` (every layer, back to back), `backoff` (every layer, jittered backoff), "
            + "`budget` (the api only, jittered backoff, retry budget)")
    static let attemptsKnob = Knob.wholeNumber("RETRY_ATTEMPTS", default: 3, in: 1...100, "attempts per call at a layer that retries")
    static let backoffBase = Knob.milliseconds(
        "BACKOFF_BASE_MS", default: 50, in: 1...60_000, "`backoff`/`budget`: the first retry waits up to this (full jitter), doubling")
    static let backoffCap = Knob.milliseconds(
        "BACKOFF_CAP_MS", default: 1_000, in: 1...600_000, "`backoff`/`budget`: no wait is longer than this (at least BACKOFF_BASE_MS)")
    static let budgetRatioKnob = Knob.number(
        "RETRY_BUDGET_RATIO", default: 0.1, above: 0, atMost: 10, "`budget`: retries allowed per request (0.1: at most 10 % extra)")
    /// The api's timeout of one call to the middle.
    static let middleTimeout = Knob.milliseconds(
        "MIDDLE_TIMEOUT_MS", default: 250, in: 1...3_600_000, "timeout of one call to the middle")
    /// The middle's timeout of one call to the backend.
    static let backendTimeout = Knob.milliseconds(
        "BACKEND_TIMEOUT_MS", default: 100, in: 1...3_600_000, "timeout of one call to the backend")

    /// The knobs of a caller whose calls time out after `timeout`.
    static func knobs(timeout: Knob<Duration>) -> [any LabKnob] {
        [strategyKnob, attemptsKnob, timeout, backoffBase, backoffCap, budgetRatioKnob]
    }

    init(_ knobs: KnobReader, timeout timeoutKnob: Knob<Duration>) throws {
        strategy = try knobs.read(Self.strategyKnob)
        attempts = try knobs.read(Self.attemptsKnob)
        timeout = try knobs.read(timeoutKnob)
        let base = try knobs.read(Self.backoffBase)
        let cap = max(base, try knobs.read(Self.backoffCap))
        backoff = Backoff(base: base, multiplier: 2, cap: cap, jitter: .full)
        budgetRatio = try knobs.read(Self.budgetRatioKnob)
    }

    /// The retrier one layer uses (`isEdge`: the api, the layer that faces the clients).
    func retrier(name: String, isEdge: Bool) -> Retrier<ContinuousClock> {
        switch strategy {
        case .naive:
            // "Immediate": the smallest backoff LabKit allows (1 ms, no jitter).
            let immediate = Backoff(base: .milliseconds(1), multiplier: 1, cap: .milliseconds(1), jitter: .none)
            return Retrier(name: name, policy: RetryPolicy(maxAttempts: attempts, backoff: immediate))
        case .backoff:
            return Retrier(name: name, policy: RetryPolicy(maxAttempts: attempts, backoff: backoff))
        case .budget:
            guard isEdge else { return Retrier(name: name, policy: RetryPolicy(maxAttempts: 1)) }
            let budget = RetryBudget(name: name, throttling: nil, percentage: .init(ratio: budgetRatio, burst: 10))
            return Retrier(name: name, policy: RetryPolicy(maxAttempts: attempts, backoff: backoff), budget: budget)
        }
    }
}

extension RetryStormsLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "api": RetrySettings.knobs(timeout: RetrySettings.middleTimeout),
        "middle": RetrySettings.knobs(timeout: RetrySettings.backendTimeout),
        "backend": CapacityBackend.knobs,
    ]
}
