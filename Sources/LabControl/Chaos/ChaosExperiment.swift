import Foundation

/// A chaos experiment (`labs/<lab>/experiments/<name>.yaml`, or any file given to `labctl chaos`):
/// a steady-state hypothesis measured from the lab's Prometheus, one real fault, how long the fault
/// stays in, and when to abort (roll the fault back early because the hypothesis broke).
///
/// ```yaml
/// description: one inventory replica hangs; the shop keeps answering
/// steady_state:                  # the hypothesis: every check holds
///   - name: answered_per_second
///     promql: sum(rate(http_server_request_duration_seconds_count{job="api", http_response_status_code="200"}[2s]))
///     at_least: 30               # or at_most: (a check has one bound, or both)
/// fault:
///   stop: inventory-1            # kill | stop | latency: {service|proxy, ms} | proxy_down
/// duration: 12s                  # how long the fault stays in when nothing breaks
/// poll: 500ms                    # how often the hypothesis is measured during the fault (default 1s)
/// tolerance: 2                   # polls in a row a check may fail before the hypothesis counts as broken (default 1)
/// abort: {when: broken}          # roll the fault back as soon as it is broken (default); when: never only observes
/// ```
public struct ChaosExperiment: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var steadyState: [Check]
    public var fault: Fault
    public var durationSeconds: Double
    public var pollSeconds: Double
    public var tolerance: Int
    public var abort: Abort
    /// Every check's PromQL with where it was written, for the catalog's promtool check.
    public var promqlExpressions: [PromQLExpression] = []

    /// One measured condition of the hypothesis.
    public struct Check: Sendable, Equatable {
        public var name: String
        /// An instant query; it must return one series (aggregate with sum, max, …).
        public var promql: String
        public var atLeast: Double?
        public var atMost: Double?

        /// Whether a measured value satisfies the check (no data or NaN never does).
        public func holds(_ value: Double?) -> Bool {
            guard let value, !value.isNaN else { return false }
            if let atLeast, value < atLeast { return false }
            if let atMost, value > atMost { return false }
            return true
        }

        /// How far from the bound a value is; the larger, the worse (to keep the worst reading).
        func badness(_ value: Double) -> Double {
            var worst = -Double.infinity
            if let atLeast { worst = max(worst, atLeast - value) }
            if let atMost { worst = max(worst, value - atMost) }
            return worst
        }

        public var boundText: String {
            switch (atLeast, atMost) {
            case (let low?, let high?): "\(ChaosFormat.number(low)) ≤ x ≤ \(ChaosFormat.number(high))"
            case (let low?, nil): "≥ \(ChaosFormat.number(low))"
            case (nil, let high?): "≤ \(ChaosFormat.number(high))"
            case (nil, nil): "any value"
            }
        }
    }

    /// The fault as two scenario actions: the one that injects it and the one that takes it back.
    public struct Fault: Sendable, Equatable {
        public var inject: ActionSpec.Kind
        public var rollback: ActionSpec.Kind
    }

    public struct Abort: Sendable, Equatable {
        /// False (`when: never`): the fault stays in for the whole duration whatever happens.
        public var onBreak: Bool = true
    }
}

enum ChaosFormat {
    static func number(_ value: Double?) -> String {
        guard let value else { return "no data" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        return abs(value) >= 100 ? String(format: "%.1f", value) : String(format: "%.3g", value)
    }
}

extension ActionSpec.Kind {
    /// A chaos experiment in a scenario lasts its duration times the scenario's scale, like the
    /// phases around it (its polls and PromQL windows stay as written); other actions are unchanged.
    public func scalingChaos(by scale: Double) -> ActionSpec.Kind {
        guard case .chaos(var experiment) = self, scale != 1 else { return self }
        experiment.durationSeconds *= scale
        experiment.pollSeconds = min(experiment.pollSeconds, experiment.durationSeconds)
        return .chaos(experiment: experiment)
    }
}
