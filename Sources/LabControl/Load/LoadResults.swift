// What a run measured: outcomes by class and latency histograms, per phase and per request kind.

import Histogram

/// How one request ended.
public enum RequestOutcome: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// A response with a 1xx or 2xx status.
    case status2xx
    case status3xx
    case status4xx
    case status5xx
    /// No complete response within the request's timeout.
    case timeout
    /// Refused, reset or closed connections and other transport failures.
    case connectionError
    /// Not sent: the in-flight cap was reached (client overload).
    case dropped

    /// The `outcome` label in metrics and the name in reports.
    public var label: String {
        switch self {
        case .status2xx: "2xx"
        case .status3xx: "3xx"
        case .status4xx: "4xx"
        case .status5xx: "5xx"
        case .timeout: "timeout"
        case .connectionError: "connection_error"
        case .dropped: "dropped"
        }
    }

    public var description: String { label }

    /// Everything but a 1xx–3xx response counts against the error rate.
    public var isError: Bool { self != .status2xx && self != .status3xx }

    /// The class of an HTTP status code.
    public init(status: Int) {
        switch status {
        case ..<300: self = .status2xx
        case 300..<400: self = .status3xx
        case 400..<500: self = .status4xx
        default: self = .status5xx
        }
    }
}

/// A count per outcome.
public struct OutcomeCounts: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: RequestOutcome.allCases.count)

    public init() {}

    public subscript(outcome: RequestOutcome) -> Int {
        get { counts[outcome.rawValue] }
        set { counts[outcome.rawValue] = newValue }
    }

    /// Every request accounted for, including dropped ones.
    public var total: Int { counts.reduce(0, +) }
    /// Requests that went out on the wire (all but dropped).
    public var sent: Int { total - self[.dropped] }
    public var errors: Int { RequestOutcome.allCases.filter(\.isError).reduce(0) { $0 + self[$1] } }
    /// Errors over all requests accounted for; 0 when there were none.
    public var errorRate: Double { total == 0 ? 0 : Double(errors) / Double(total) }

    mutating func add(_ other: OutcomeCounts) {
        for i in counts.indices { counts[i] += other.counts[i] }
    }
}

/// Latency histogram in microseconds, with auto-resize so a long stall is never lost.
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// 1 µs … 60 s at three significant digits; grows beyond 60 s when needed.
    static func latency(digits: SignificantDigits = .three) -> Histogram<UInt64> {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: digits)
        h.autoResize = true
        return h
    }

    mutating func record(_ duration: Duration) {
        _ = record(UInt64(Swift.max(duration.microseconds, 1)))
    }

    /// The latency at a percentile (0…100), or `nil` when nothing was recorded.
    public func latency(atPercentile percentile: Double) -> Duration? {
        totalCount == 0 ? nil : .microseconds(Int64(valueAtPercentile(percentile)))
    }
}

/// Outcomes and latencies of a set of requests.
///
/// Latency runs from the request's *scheduled* send time to the end of its response, so time a
/// request spent waiting because the generator or the server was busy is counted (no coordinated
/// omission). In closed-loop phases the scheduled time is the moment the user sends.
/// Only completed responses (any status) are in the histogram; timeouts, connection errors and
/// drops are counted in `outcomes` only.
public struct RequestStats: Sendable {
    public internal(set) var outcomes = OutcomeCounts()
    public internal(set) var latency = LatencyHistogram.latency()

    public init() {}

    mutating func add(_ other: RequestStats) {
        outcomes.add(other.outcomes)
        latency.add(other.latency)
    }

    public func latency(atPercentile percentile: Double) -> Duration? {
        latency.latency(atPercentile: percentile)
    }
}

/// The results of one phase.
public struct PhaseReport: Sendable {
    public let name: String
    public let duration: Duration
    public let arrivals: ArrivalModel
    /// All requests of the phase (scheduled in it, wherever they completed).
    public internal(set) var stats = RequestStats()
    /// Per request kind, in the order the phase lists them.
    public internal(set) var kinds: [(name: String, stats: RequestStats)]
    /// How late the generator sent open-loop requests relative to their scheduled time (µs).
    /// Large values mean the generator itself could not keep up.
    public internal(set) var sendLag = LatencyHistogram.latency(digits: .two)

    init(phase: LoadPhase) {
        name = phase.name
        duration = phase.duration
        arrivals = phase.arrivals
        kinds = phase.requests.map { (name: $0.name, stats: RequestStats()) }
    }

    /// Requests sent per second of the phase.
    public var achievedRate: Double { Double(stats.outcomes.sent) / duration.seconds }

    public func stats(forKind name: String) -> RequestStats? {
        kinds.first { $0.name == name }?.stats
    }
}

/// The results of a whole run.
public struct LoadReport: Sendable {
    public internal(set) var phases: [PhaseReport]
    /// Wall time from the first scheduled request to the last completed one.
    public internal(set) var elapsed: Duration = .zero

    /// All phases merged.
    public var total: RequestStats {
        phases.reduce(into: RequestStats()) { $0.add($1.stats) }
    }

    public func phase(named name: String) -> PhaseReport? {
        phases.first { $0.name == name }
    }
}
