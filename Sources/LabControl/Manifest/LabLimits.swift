/// The sane bounds of a lab's numbers. The parser holds every duration, rate and count in lab.yaml
/// to them (a `file:line` error names the field), and `--duration-scale` too, so no number a user
/// writes reaches a conversion that traps (`Duration.seconds(1e400)` overflows; `Int(Double.nan)`
/// crashes) or a plan no machine could run.
public enum LabLimits {
    /// A phase, a request timeout, a think time: one day at most.
    public static let maxDurationSeconds = 86_400.0
    /// Open-loop arrivals per second.
    public static let maxRate = 100_000.0
    /// Closed-loop virtual users.
    public static let maxUsers = 10_000
    /// Keys a request template draws from.
    public static let maxKeyCount = 10_000_000
    /// The zipf exponent (above about 10 every draw is key 1 anyway).
    public static let maxZipfExponent = 10.0
    /// A request kind's weight in the mix.
    public static let maxWeight = 1_000_000.0
    /// `--duration-scale`: a phase runs between a hundredth and a hundred times as long as written.
    public static let durationScales = 0.01...100.0

    /// Why `scale` is not a usable `--duration-scale`, or nil when it is.
    public static func problem(withDurationScale scale: Double) -> String? {
        guard scale.isFinite, durationScales.contains(scale) else {
            return "--duration-scale must be a number from \(durationScales.lowerBound) to \(durationScales.upperBound), got \(scale)"
        }
        return nil
    }
}

extension Duration {
    /// `seconds` as a Duration that never traps: NaN and negatives become zero, and anything beyond
    /// a year (far past every limit above) becomes a year. Inputs are validated before they get here;
    /// this is the floor under that validation.
    static func lab(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return seconds == .infinity ? .seconds(365 * 86_400) : .zero }
        return .seconds(Swift.min(seconds, 365 * 86_400))
    }
}
