import LabKit

/// What the controller shows on the dashboard. Every gauge is set on every check (a rollback does
/// not freeze them at the value that triggered it).
final class ReleaseMetrics: Sendable {
    enum Decision: String, CaseIterable {
        case waitForSamples = "wait_for_samples", hold, promote, rollback
    }

    /// The canary's intended share of requests, in percent.
    let weight = Gauge(label: "canary_weight_percent")
    /// 0 idle, 1 canary, 2 promoted, 3 rolled back.
    let state = Gauge(label: "release_state")
    /// Canary requests and their error rate over the controller's window, updated every check.
    let windowRequests = Gauge(label: "canary_window_requests")
    let windowErrorRate = Gauge(label: "canary_window_error_rate")
    let burnRate = Gauge(label: "canary_burn_rate")
    /// Seconds from the release to the rollback (0 until one happens).
    let rollbackSeconds = Gauge(label: "canary_rollback_seconds")
    /// Canary requests in the window when the controller last promoted or rolled back.
    let decisionSamples = Gauge(label: "canary_decision_samples")
    private let decisions: [Decision: Counter]

    init() {
        var decisions: [Decision: Counter] = [:]
        for decision in Decision.allCases {
            decisions[decision] = Counter(label: "canary_decisions_total", dimensions: [("decision", decision.rawValue)])
        }
        self.decisions = decisions
        for gauge in [weight, state, windowRequests, windowErrorRate, burnRate, rollbackSeconds, decisionSamples] { gauge.record(0) }
    }

    func show(_ requests: Int, _ errors: Int) {
        windowRequests.record(Double(requests))
        windowErrorRate.record(requests > 0 ? Double(errors) / Double(requests) : 0)
    }

    func decided(_ decision: Decision, samples: Int? = nil) {
        decisions[decision]?.increment()
        if let samples { decisionSamples.record(Double(samples)) }
    }

    func rolledBack(afterSeconds seconds: Double, samples: Int) {
        decided(.rollback, samples: samples)
        rollbackSeconds.record(seconds)
    }
}
