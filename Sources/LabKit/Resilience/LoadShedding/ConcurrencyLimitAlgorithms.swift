import Foundation // log10

/// One latency sample of a completed request, fed to a limit algorithm.
public struct ConcurrencySample: Sendable {
    /// How long the request took.
    public var rtt: Duration
    /// Requests in flight when this one started (itself included).
    public var inFlight: Int
    /// Whether the request was dropped (timed out, or rejected by the server as overloaded).
    public var didDrop: Bool

    public init(rtt: Duration, inFlight: Int, didDrop: Bool) {
        self.rtt = rtt
        self.inFlight = inFlight
        self.didDrop = didDrop
    }
}

/// Additive increase, multiplicative decrease, as in Netflix's concurrency-limits `AIMDLimit` and TCP
/// congestion control: every drop (or a request slower than `timeout`) multiplies the limit by
/// `backoffRatio`; every other sample adds 1, but only while the limit is actually in use
/// (`inFlight * 2 >= limit`), so an idle service does not grow an untested limit. The limit stays within
/// `minLimit...maxLimit`.
public struct AIMDLimit: Sendable {
    public var initialLimit: Int
    public var minLimit: Int
    public var maxLimit: Int
    public var backoffRatio: Double
    public var timeout: Duration

    public init(
        initialLimit: Int = 20, minLimit: Int = 1, maxLimit: Int = 200, backoffRatio: Double = 0.9,
        timeout: Duration = .seconds(5)
    ) {
        precondition(minLimit >= 1 && minLimit <= initialLimit && initialLimit <= maxLimit)
        precondition(backoffRatio > 0 && backoffRatio < 1)
        self.initialLimit = initialLimit
        self.minLimit = minLimit
        self.maxLimit = maxLimit
        self.backoffRatio = backoffRatio
        self.timeout = timeout
    }

    /// The next limit after `sample`.
    public func update(limit: Int, sample: ConcurrencySample) -> Int {
        var next = limit
        if sample.didDrop || sample.rtt > timeout {
            next = Int(Double(limit) * backoffRatio) // rounds down, so it always shrinks
        } else if sample.inFlight * 2 >= limit {
            next = limit + 1
        }
        return min(maxLimit, max(minLimit, next))
    }
}

/// TCP Vegas applied to concurrency, after Netflix's `VegasLimit`: compare the latest RTT with the
/// lowest ever seen (`rttNoLoad`, the latency without queueing) to estimate how many requests are
/// queued, `queue = limit * (1 - rttNoLoad / rtt)`, and steer the limit to keep that queue small:
///
/// | condition                        | new limit          |
/// |----------------------------------|--------------------|
/// | drop                             | `limit - log10(limit)` |
/// | limit not in use (`inFlight * 2 < limit`) | unchanged  |
/// | `queue <= log10(limit)`          | `limit + beta`     |
/// | `queue < alpha`                  | `limit + log10(limit)` |
/// | `queue > beta`                   | `limit - log10(limit)` |
/// | otherwise                        | unchanged          |
///
/// with `alpha = 3 * log10(limit)`, `beta = 6 * log10(limit)`, and `log10` taken as at least 1 (so small
/// limits still move). The limit is kept as a real number and reported rounded down.
///
/// `rttNoLoad` is the lowest RTT the limiter has seen and is never forgotten here; Netflix's version
/// re-probes it periodically, which matters when the dependency's baseline latency shifts for good.
///
/// `smoothing` (Netflix's parameter of that name) moves the limit only that share of the way to the
/// new value: `limit + smoothing * (new - limit)`. At 1 every sample moves it fully; lower values damp
/// the swings that come from each sample's RTT describing the queue as it was when that request
/// started, not as it is now.
public struct VegasLimit: Sendable {
    public var initialLimit: Int
    public var minLimit: Int
    public var maxLimit: Int
    public var smoothing: Double

    public init(initialLimit: Int = 20, minLimit: Int = 1, maxLimit: Int = 1000, smoothing: Double = 1) {
        precondition(minLimit >= 1 && minLimit <= initialLimit && initialLimit <= maxLimit)
        precondition(smoothing > 0 && smoothing <= 1)
        self.initialLimit = initialLimit
        self.minLimit = minLimit
        self.maxLimit = maxLimit
        self.smoothing = smoothing
    }

    /// The next (real-valued) limit after `sample`, given the lowest RTT seen so far.
    public func update(limit: Double, rttNoLoad: Duration, sample: ConcurrencySample) -> Double {
        let step = max(1, log10(limit))
        let next: Double
        if sample.didDrop {
            next = limit - step
        } else if Double(sample.inFlight) * 2 < limit {
            return limit
        } else {
            let queue = (limit * (1 - (rttNoLoad / sample.rtt))).rounded(.up)
            let alpha = 3 * step
            let beta = 6 * step
            if queue <= step {
                next = limit + beta
            } else if queue < alpha {
                next = limit + step
            } else if queue > beta {
                next = limit - step
            } else {
                return limit
            }
        }
        let smoothed = limit + smoothing * (next - limit)
        return min(Double(maxLimit), max(Double(minLimit), smoothed))
    }
}
