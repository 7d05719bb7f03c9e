/// How long to wait before each retry: capped exponential backoff with optional jitter.
///
/// Retry `n` (1 = the first retry) waits, before jitter, `min(cap, base * multiplier^(n-1))`.
/// Jitter spreads retries from many clients so they do not arrive in synchronized waves. The kinds
/// follow Marc Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015), where
/// `temp = min(cap, base * multiplier^(n-1))`:
///
/// | jitter         | delay                                                        |
/// |----------------|--------------------------------------------------------------|
/// | `none`         | `temp`                                                       |
/// | `full`         | `random(0, temp)`                                            |
/// | `equal`        | `temp/2 + random(0, temp/2)`                                 |
/// | `decorrelated` | `min(cap, random(base, previous * 3))`, `previous` starts at `base` |
///
/// Decorrelated jitter ignores `multiplier`: its growth factor is the blog's constant 3.
public struct Backoff: Sendable, Equatable {
    public enum Jitter: String, Sendable, Equatable, CaseIterable {
        case none, full, equal, decorrelated
    }

    public var base: Duration
    public var multiplier: Double
    public var cap: Duration
    public var jitter: Jitter

    public init(base: Duration = .milliseconds(100), multiplier: Double = 2, cap: Duration = .seconds(10), jitter: Jitter = .full) {
        precondition(base > .zero && cap >= base, "Backoff needs 0 < base <= cap")
        precondition(multiplier >= 1, "Backoff multiplier must be >= 1")
        self.base = base
        self.multiplier = multiplier
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before retry `retry` (1-based) with no jitter: `min(cap, base * multiplier^(retry-1))`.
    public func exponentialDelay(retry: Int) -> Duration {
        precondition(retry >= 1)
        var delay = base
        // Multiply step by step and stop at the cap: no overflow however many retries.
        for _ in 1..<retry {
            delay = delay * multiplier
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }

    /// The delay before retry `retry` (1-based). `previous` is the delay used before the previous
    /// retry (only decorrelated jitter needs it; `nil` for the first retry).
    public func delay(retry: Int, previous: Duration?, using generator: inout some RandomNumberGenerator) -> Duration {
        switch jitter {
        case .none:
            return exponentialDelay(retry: retry)
        case .full:
            return uniformRandomDuration(in: .zero...exponentialDelay(retry: retry), using: &generator)
        case .equal:
            let half = exponentialDelay(retry: retry) / 2
            return half + uniformRandomDuration(in: .zero...half, using: &generator)
        case .decorrelated:
            let upper = max(base, (previous ?? base) * 3)
            return min(cap, uniformRandomDuration(in: base...upper, using: &generator))
        }
    }

    /// The delays before retries 1...count, in order (a convenience for tests and documentation).
    public func delays(count: Int, using generator: inout some RandomNumberGenerator) -> [Duration] {
        var result: [Duration] = []
        var previous: Duration?
        for retry in stride(from: 1, through: count, by: 1) {
            let next = delay(retry: retry, previous: previous, using: &generator)
            result.append(next)
            previous = next
        }
        return result
    }
}

/// A uniformly random duration in `range`, at attosecond resolution (exact, no floating point).
func uniformRandomDuration(in range: ClosedRange<Duration>, using generator: inout some RandomNumberGenerator) -> Duration {
    Duration(attoseconds: Int128.random(in: range.lowerBound.attoseconds...range.upperBound.attoseconds, using: &generator))
}
