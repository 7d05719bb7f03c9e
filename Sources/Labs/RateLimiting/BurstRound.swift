import LabKit

/// A limiter the burst client sends to: one of the five algorithms' own routes, or the api.
struct BurstTarget: Hashable, Sendable {
    /// The metrics' `limiter` label: an algorithm's name, or `api`.
    let name: String
    let path: @Sendable (String) -> String

    static func == (lhs: BurstTarget, rhs: BurstTarget) -> Bool { lhs.name == rhs.name }
    func hash(into hasher: inout Hasher) { hasher.combine(name) }

    static let all: [BurstTarget] =
        RateLimitAlgorithm.allCases.map { algorithm in BurstTarget(name: algorithm.rawValue) { "/limit/\(algorithm.rawValue)/\($0)" } }
        + [BurstTarget(name: "api") { "/orders/\($0)" }]
}

/// One answer of a limiter, as the client recorded it.
struct BurstAnswer: Sendable {
    var target: String
    /// nil: no answer (an error or a timeout).
    var admitted: Bool?
    /// When the limiter decided, by Redis's clock (µs).
    var decidedAtMicros: Int?
    /// Sent → answered, on the client's clock.
    var seconds: Double
    /// When the plan said to send it, by Redis's clock (µs).
    var scheduledMicros: Int
}

/// The limits as the limiter reports them (`GET /limits`).
struct ReportedLimits: Sendable {
    var limit: Int
    var windowMicros: Int
    var tokenBurst: Int
    var leakyQueue: Int
    var intervalMicros: Int

    init(limit: Int, windowMicros: Int, tokenBurst: Int, leakyQueue: Int, intervalMicros: Int) {
        self.limit = limit
        self.windowMicros = windowMicros
        self.tokenBurst = tokenBurst
        self.leakyQueue = leakyQueue
        self.intervalMicros = intervalMicros
    }

    init?(_ json: JSONValue) {
        guard let limit = json["limit"]?.intValue, let window = json["window_us"]?.intValue, let burst = json["token_burst"]?.intValue,
            let queue = json["leaky_queue"]?.intValue, let interval = json["interval_us"]?.intValue, limit > 0, window > 0, interval > 0
        else { return nil }
        self.init(limit: limit, windowMicros: window, tokenBurst: burst, leakyQueue: queue, intervalMicros: interval)
    }

    var ratePerSecond: Double { Double(limit) * 1_000_000 / Double(windowMicros) }
    /// The longest a request waits in a full leaky bucket: the queue's length / the rate.
    var fullQueueWaitSeconds: Double { Double(leakyQueue) * Double(intervalMicros) / 1_000_000 }
}

/// What one round showed about one limiter, counted exactly from its answers.
struct TargetRoundResult: Sendable {
    var sent = 0
    var admitted = 0
    var refused = 0
    var failed = 0
    /// The most admitted in any stretch of one window's length.
    var worstWindow = 0
    /// The most admitted in any `peakWindow`, as a multiple of the limit's rate.
    var peakRateRatio = 0.0
    /// Answers decided before and after the round's edge (all of them, admitted or not).
    var decidedBeforeEdge = 0
    var decidedAfterEdge = 0
    /// The longest sent → admitted of this round (the leaky bucket's added wait).
    var longestAdmittedWait = 0.0
    /// The longest planned send → decision (µs), leaving out requests a queue held on purpose: how far a
    /// busy machine pushed the burst from its plan.
    var longestDecisionLag = 0

    /// `queues`: the limiter holds admitted requests (the leaky bucket), so their lag is its wait.
    init(answers: [BurstAnswer], edgeMicros: Int, limits: ReportedLimits, peakWindowMicros: Int, queues: Bool = false) {
        var admittedTimes: [Int] = []
        for answer in answers {
            sent += 1
            if let decided = answer.decidedAtMicros {
                if decided < edgeMicros { decidedBeforeEdge += 1 } else { decidedAfterEdge += 1 }
                if !(queues && answer.admitted == true) { longestDecisionLag = max(longestDecisionLag, decided - answer.scheduledMicros) }
            }
            switch answer.admitted {
            case true?:
                admitted += 1
                if let decided = answer.decidedAtMicros { admittedTimes.append(decided) }
                longestAdmittedWait = max(longestAdmittedWait, answer.seconds)
            case false?: refused += 1
            case nil: failed += 1
            }
        }
        worstWindow = AdmissionStatistics.mostInAnyWindow(admittedTimes, window: limits.windowMicros)
        peakRateRatio = AdmissionStatistics.peakRateRatio(admittedTimes, window: peakWindowMicros, ratePerSecond: limits.ratePerSecond)
    }

    var json: JSONValue {
        [
            "sent": .number(Double(sent)), "admitted": .number(Double(admitted)), "refused": .number(Double(refused)),
            "failed": .number(Double(failed)), "worst_window_admitted": .number(Double(worstWindow)),
            "peak_rate_ratio": .number(peakRateRatio), "decided_before_edge": .number(Double(decidedBeforeEdge)),
            "decided_after_edge": .number(Double(decidedAfterEdge)), "longest_admitted_wait_seconds": .number(longestAdmittedWait),
            "longest_decision_lag_seconds": .number(Double(longestDecisionLag) / 1_000_000),
        ]
    }
}

/// One round: a burst across one window edge, sent to every limiter at the same moments.
struct BurstRoundResult: Sendable {
    var round: Int
    var edgeMicros: Int
    var targets: [String: TargetRoundResult]

    /// The burst met the edge as planned: the fixed window decided at least LIMIT requests on each side
    /// of it (a stalled machine can push a whole burst past the edge).
    func straddled(limit: Int) -> Bool {
        guard let fixed = targets[RateLimitAlgorithm.fixedWindow.rawValue] else { return false }
        return fixed.decidedBeforeEdge >= limit && fixed.decidedAfterEdge >= limit
    }

    /// One line for the log: each limiter's admitted and worst window, and how late the burst ran.
    func summary(limit: Int) -> String {
        let lag = targets.values.map(\.longestDecisionLag).max() ?? 0
        let limiters = targets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.admitted)/\($0.value.worstWindow)" }
        return "round \(round): admitted/worst-window \(limiters.joined(separator: ", ")); "
            + "\(straddled(limit: limit) ? "on" : "OFF") the edge, decisions up to \(lag / 1_000) ms behind the plan"
    }

    var json: JSONValue {
        [
            "round": .number(Double(round)), "edge_us": .number(Double(edgeMicros)),
            "limiters": .object(targets.mapValues(\.json)),
        ]
    }
}
