/// What a client can say about a limiter from the times its answers carry (microseconds of one clock).
enum AdmissionStatistics {
    /// The most times that fall in any stretch (t - window, t], for any t: how many requests the limiter
    /// let through in its worst window. A limit of LIMIT per window promises this is at most LIMIT.
    static func mostInAnyWindow(_ times: [Int], window: Int) -> Int {
        let sorted = times.sorted()
        var most = 0
        var first = 0
        for (last, time) in sorted.enumerated() {
            while sorted[first] <= time - window { first += 1 }
            most = max(most, last - first + 1)
        }
        return most
    }

    /// The peak rate over `window` as a multiple of `ratePerSecond` (1 = never faster than the rate).
    static func peakRateRatio(_ times: [Int], window: Int, ratePerSecond: Double) -> Double {
        guard ratePerSecond > 0, window > 0 else { return 0 }
        return Double(mostInAnyWindow(times, window: window)) / (ratePerSecond * Double(window) / 1_000_000)
    }

    /// The middle value (the mean of the two middle ones for an even count); nil when there are none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    /// The first edge of a window (a multiple of `window`) at or after `time`.
    static func nextEdge(atOrAfter time: Int, window: Int) -> Int {
        let remainder = time % window
        return remainder == 0 ? time : time - remainder + window
    }
}
