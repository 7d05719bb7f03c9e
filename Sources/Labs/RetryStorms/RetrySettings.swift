import LabKit

/// The callers' knobs, from the environment (the lab's variants set them; the README lists them).
struct RetrySettings {
    enum Strategy: String {
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

    init(_ context: LabContext, timeoutVariable: String, defaultTimeoutMs: Int) throws {
        let raw = (context.environment["STRATEGY"] ?? "naive").lowercased()
        guard let strategy = Strategy(rawValue: raw) else {
            throw LabStartupError("STRATEGY=\(raw): expected naive, backoff or budget")
        }
        self.strategy = strategy
        attempts = max(1, try context.integer("RETRY_ATTEMPTS", default: 3))
        timeout = .milliseconds(max(1, try context.integer(timeoutVariable, default: defaultTimeoutMs)))
        let base = max(1, try context.integer("BACKOFF_BASE_MS", default: 50))
        let cap = max(base, try context.integer("BACKOFF_CAP_MS", default: 1_000))
        backoff = Backoff(base: .milliseconds(base), multiplier: 2, cap: .milliseconds(cap), jitter: .full)
        let ratio = context.environment["RETRY_BUDGET_RATIO"] ?? "0.1"
        guard let budgetRatio = Double(ratio), budgetRatio > 0, budgetRatio <= 10 else {
            throw LabStartupError("RETRY_BUDGET_RATIO=\(ratio): expected a number in (0, 10]")
        }
        self.budgetRatio = budgetRatio
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
