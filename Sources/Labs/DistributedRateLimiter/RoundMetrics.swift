import Metrics
import Synchronization

/// What one round saw: the answers to its BURST requests.
struct RoundResult: Sendable {
    var phase: String
    var round: Int
    var admitted = 0
    var refused = 0
    var failed = 0
    var limit: Int

    var admittedOverLimit: Double { Double(admitted) / Double(limit) }
}

/// The burst client's metrics, labelled by the phase the scenario named when it started the rounds:
/// `ratelimit_burst_rounds_total{phase}`, `ratelimit_burst_requests_total{phase, outcome=admitted|refused|failed}`,
/// gauges `ratelimit_burst_admitted_ratio{phase, round=last|worst|best}` (admitted in one round / the
/// limit) and `ratelimit_burst_limit`.
final class RoundMetrics: Sendable {
    private struct PhaseRange {
        var worst: Double
        var best: Double
    }

    private let ranges = Mutex<[String: PhaseRange]>([:])

    /// Every series of `phase` at 0 (or its first value) before its first round is counted.
    func open(phase: String, limit: Int) {
        Gauge(label: "ratelimit_burst_limit").record(limit)
        Counter(label: "ratelimit_burst_rounds_total", dimensions: [("phase", phase)]).increment(by: 0)
        for outcome in ["admitted", "refused", "failed"] {
            Counter(label: "ratelimit_burst_requests_total", dimensions: [("phase", phase), ("outcome", outcome)]).increment(by: 0)
        }
    }

    func record(_ result: RoundResult) {
        let phase = result.phase
        for (outcome, count) in [("admitted", result.admitted), ("refused", result.refused), ("failed", result.failed)] {
            Counter(label: "ratelimit_burst_requests_total", dimensions: [("phase", phase), ("outcome", outcome)]).increment(by: count)
        }
        let ratio = result.admittedOverLimit
        let range = ranges.withLock { ranges in
            var range = ranges[phase] ?? PhaseRange(worst: ratio, best: ratio)
            range.worst = max(range.worst, ratio)
            range.best = min(range.best, ratio)
            ranges[phase] = range
            return range
        }
        Gauge(label: "ratelimit_burst_admitted_ratio", dimensions: [("phase", phase), ("round", "last")]).record(ratio)
        Gauge(label: "ratelimit_burst_admitted_ratio", dimensions: [("phase", phase), ("round", "worst")]).record(range.worst)
        Gauge(label: "ratelimit_burst_admitted_ratio", dimensions: [("phase", phase), ("round", "best")]).record(range.best)
        // Counted last: a scrape that sees the round counted also sees its requests and its ratio.
        Counter(label: "ratelimit_burst_rounds_total", dimensions: [("phase", phase)]).increment()
    }
}
