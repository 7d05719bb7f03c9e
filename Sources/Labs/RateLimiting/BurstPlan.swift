import LabKit

/// The burst client's knobs: the shape of one round's burst, and how often rounds come.
struct BurstPlan: Sendable {
    /// Requests per second to EACH limiter during a burst (every limiter gets the same requests at the
    /// same moments).
    var rate: Int
    /// The burst starts this long before a window's edge…
    var lead: Duration
    /// …and lasts this long in all (so it ends `length - lead` after the edge).
    var length: Duration
    /// A round every this many windows (each round is a new client: fresh keys, nothing carried over).
    var everyWindows: Int
    /// The stretch over which the peak output rate is measured.
    var peakWindow: Duration

    var requestsPerTarget: Int { max(1, Int((Double(rate) * length.inSeconds).rounded())) }

    static let rateKnob = Knob.wholeNumber(
        "BURST_RATE", default: 50, in: 1...2_000, "requests per second sent to each limiter during a burst (the same moments for all)")
    static let leadKnob = Knob.milliseconds(
        "BURST_LEAD_MS", default: 800, in: 0...60_000, "a burst starts this long before a window's edge (by Redis's clock)")
    static let lengthKnob = Knob.milliseconds("BURST_MS", default: 1_300, in: 10...60_000, "how long a burst lasts in all")
    static let everyKnob = Knob.wholeNumber(
        "ROUND_EVERY_WINDOWS", default: 2, in: 1...1_000, "one burst round every this many windows (each round a new client)")
    static let peakKnob = Knob.milliseconds(
        "PEAK_WINDOW_MS", default: 500, in: 10...60_000, "the stretch the peak output rate is measured over (ratelimit_peak_rate_ratio)")

    static let knobs: [any LabKnob] = [rateKnob, leadKnob, lengthKnob, everyKnob, peakKnob]

    init(_ knobs: KnobReader) throws {
        rate = try knobs.read(Self.rateKnob)
        lead = try knobs.read(Self.leadKnob)
        length = try knobs.read(Self.lengthKnob)
        everyWindows = try knobs.read(Self.everyKnob)
        peakWindow = try knobs.read(Self.peakKnob)
    }
}

extension Duration {
    /// The duration in whole microseconds (the unit of Redis's clock and of the limiters' answers).
    var wholeMicroseconds: Int { Int(components.seconds) * 1_000_000 + Int(components.attoseconds / 1_000_000_000_000) }
}
