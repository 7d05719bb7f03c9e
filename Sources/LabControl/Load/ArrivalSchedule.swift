// The open-loop timeline: when the i-th request of a phase is due.
//
// The rate profile is a list of segments, each with a rate that changes linearly from `startRate`
// to `endRate` (constant when equal). The cumulative number of arrivals by time t is the integral
// of the rate, Λ(t); request i (counting from 0) is due at the t where Λ(t) = i. Computing each
// due time from the start — never "previous time + 1/rate" — means rounding never accumulates
// into drift, and a late sender catches up instead of shifting the whole schedule.

/// One piece of a rate profile: the rate moves linearly from `startRate` to `endRate`.
struct RateSegment: Sendable, Equatable {
    var duration: Duration
    var startRate: Double
    var endRate: Double

    var seconds: Double { duration.seconds }
    /// Arrivals in the whole segment: the area under the rate line.
    var arrivals: Double { (startRate + endRate) / 2 * seconds }

    /// The time into the segment at which `k` arrivals have accumulated (0 ≤ k ≤ `arrivals`).
    ///
    /// Λ(t) = a·t + b·t²/2 with a = startRate, b = slope. Solving Λ(t) = k gives
    /// t = 2k / (a + √(a² + 2bk)), a form that stays exact when b = 0 and when a = 0.
    func time(atArrival k: Double) -> Double {
        guard k > 0 else { return 0 }
        let a = startRate
        let b = (endRate - startRate) / seconds
        let root = (a * a + 2 * b * k).squareRoot()
        let denominator = a + root
        return denominator > 0 ? 2 * k / denominator : seconds
    }
}

extension RateProfile {
    /// The profile laid out over a phase of the given length.
    func segments(over duration: Duration) -> [RateSegment] {
        switch self {
        case .constant(let rate):
            return [RateSegment(duration: duration, startRate: rate, endRate: rate)]
        case .ramp(let from, let to):
            return [RateSegment(duration: duration, startRate: from, endRate: to)]
        case .steps(let rates):
            let step = duration / rates.count
            return rates.map { RateSegment(duration: step, startRate: $0, endRate: $0) }
        }
    }
}

/// Yields the due offsets (from the phase start) of every request in a phase, in order.
struct ArrivalSchedule: Sendable, IteratorProtocol {
    private let segments: [RateSegment]
    private var segmentIndex = 0
    /// Arrivals in the segments before the current one, and where the current one starts.
    private var arrivalsBefore = 0.0
    private var segmentStart = 0.0
    private var nextIndex = 0 // index of the next request

    init(profile: RateProfile, duration: Duration) {
        self.segments = profile.segments(over: duration)
    }

    /// The offset of the next request, or `nil` when the phase has no more.
    mutating func next() -> Duration? {
        let k = Double(nextIndex)
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            let local = k - arrivalsBefore
            // Arrival k belongs to this segment if it falls strictly inside it; one exactly on
            // the boundary belongs to the next segment (or to the next phase).
            if local < segment.arrivals {
                nextIndex += 1
                return .seconds(segmentStart + segment.time(atArrival: local))
            }
            arrivalsBefore += segment.arrivals
            segmentStart += segment.seconds
            segmentIndex += 1
        }
        return nil
    }

    /// How many requests the profile schedules in total (rounded up).
    static func count(profile: RateProfile, duration: Duration) -> Int {
        var schedule = ArrivalSchedule(profile: profile, duration: duration)
        var n = 0
        while schedule.next() != nil { n += 1 }
        return n
    }
}

extension Duration {
    /// The duration as a floating-point number of seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    var microseconds: Int64 {
        let (s, attoseconds) = components
        return s * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
