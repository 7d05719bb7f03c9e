import Metrics

/// The burst client's figures, per limiter (`limiter` = an algorithm's name, or `api`), every series
/// at 0 from the start:
///
/// - `ratelimit_burst_answers_total{limiter, answer="admitted|refused|failed"}`: every answer, counted.
/// - `ratelimit_worst_window_admitted{limiter}`: the most admitted in any stretch of one window's
///   length, worst round so far (a limit of LIMIT per window promises at most LIMIT).
/// - `ratelimit_last_round_admitted{limiter}`: admitted in the last finished round.
/// - `ratelimit_peak_rate_ratio{limiter}`: the peak output rate over PEAK_WINDOW_MS as a multiple of
///   the limit's rate, worst round so far (1 = flat at the rate).
/// - `ratelimit_rounds_total{edge="straddled|missed"}`: rounds whose burst met the edge as planned.
/// - `leaky_bucket_longest_wait_seconds`: the longest wait of an admitted request in a round, the
///   median over the rounds; `leaky_bucket_full_queue_wait_seconds`: LEAKY_QUEUE / rate, what theory
///   says it is.
/// - `ratelimit_burst_decision_lag_seconds`: how far behind its plan the last round's burst was decided
///   (a busy machine's stall), queued requests left out.
/// - `ratelimit_limit`, `ratelimit_token_burst`: the limits the limiter reported.
final class BurstMetrics: Sendable {
    private let answers: [String: Counter]
    private let worstWindow: [String: Gauge]
    private let lastRound: [String: Gauge]
    private let peakRatio: [String: Gauge]
    private let straddled = Counter(label: "ratelimit_rounds_total", dimensions: [("edge", "straddled")])
    private let missed = Counter(label: "ratelimit_rounds_total", dimensions: [("edge", "missed")])
    private let leakyLongestWait = Gauge(label: "leaky_bucket_longest_wait_seconds")
    private let leakyFullQueueWait = Gauge(label: "leaky_bucket_full_queue_wait_seconds")
    private let limit = Gauge(label: "ratelimit_limit")
    private let tokenBurst = Gauge(label: "ratelimit_token_burst")
    private let decisionLag = Gauge(label: "ratelimit_burst_decision_lag_seconds")

    init() {
        var answers: [String: Counter] = [:]
        var worstWindow: [String: Gauge] = [:]
        var lastRound: [String: Gauge] = [:]
        var peakRatio: [String: Gauge] = [:]
        for target in BurstTarget.all {
            let limiter = ("limiter", target.name)
            for answer in ["admitted", "refused", "failed"] {
                let counter = Counter(label: "ratelimit_burst_answers_total", dimensions: [limiter, ("answer", answer)])
                counter.increment(by: 0)
                answers["\(target.name)/\(answer)"] = counter
            }
            worstWindow[target.name] = Gauge(label: "ratelimit_worst_window_admitted", dimensions: [limiter])
            lastRound[target.name] = Gauge(label: "ratelimit_last_round_admitted", dimensions: [limiter])
            peakRatio[target.name] = Gauge(label: "ratelimit_peak_rate_ratio", dimensions: [limiter])
        }
        self.answers = answers
        self.worstWindow = worstWindow
        self.lastRound = lastRound
        self.peakRatio = peakRatio
        for gauge in Array(worstWindow.values) + Array(lastRound.values) + Array(peakRatio.values) { gauge.record(0) }
        straddled.increment(by: 0)
        missed.increment(by: 0)
        decisionLag.record(0)
    }

    func expect(_ limits: ReportedLimits) {
        limit.record(limits.limit)
        tokenBurst.record(limits.tokenBurst)
        leakyFullQueueWait.record(limits.fullQueueWaitSeconds)
    }

    /// Publishes a finished round; the worst-so-far gauges are recomputed from every round.
    func record(_ round: BurstRoundResult, allRounds: [BurstRoundResult], limits: ReportedLimits) {
        for (name, result) in round.targets {
            answers["\(name)/admitted"]?.increment(by: result.admitted)
            answers["\(name)/refused"]?.increment(by: result.refused)
            answers["\(name)/failed"]?.increment(by: result.failed)
            lastRound[name]?.record(result.admitted)
            worstWindow[name]?.record(allRounds.compactMap { $0.targets[name]?.worstWindow }.max() ?? 0)
            peakRatio[name]?.record(allRounds.compactMap { $0.targets[name]?.peakRateRatio }.max() ?? 0)
        }
        (round.straddled(limit: limits.limit) ? straddled : missed).increment()
        decisionLag.record(Double(round.targets.values.map(\.longestDecisionLag).max() ?? 0) / 1_000_000)
        let leaky = RateLimitAlgorithm.leakyBucket.rawValue
        if let median = AdmissionStatistics.median(allRounds.compactMap { $0.targets[leaky]?.longestAdmittedWait }) {
            leakyLongestWait.record(median)
        }
    }
}
