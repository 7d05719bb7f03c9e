import LabKit

/// The frontend's knobs.
struct HedgeSettings {
    var hedging: Bool
    var percentile: Double
    var budgetPercent: Double
    var minimumDelay: Duration
    var fallbackDelay: Duration
    var backendTimeout: Duration

    static let hedgeKnob = Knob.flag(
        "HEDGE", default: false, "send a second request to another replica when the first is slow; cancel the loser")
    static let percentileKnob = Knob.number(
        "HEDGE_PERCENTILE", default: 95, in: 1...99.9, "hedge after this percentile of the last 1,000 first attempts' latencies")
    static let budgetKnob = Knob.number(
        "HEDGE_BUDGET_PERCENT", default: 10, in: 1...100, "hedges at most this % of requests (100: every request may hedge)")
    static let minimumDelayKnob = Knob.milliseconds("HEDGE_MIN_MS", default: 5, in: 0...60_000, "never hedge sooner than this")
    static let fallbackDelayKnob = Knob.milliseconds(
        "HEDGE_FALLBACK_MS", default: 200, in: 0...60_000, "the hedge delay until 50 latencies have been seen")
    static let backendTimeoutKnob = Knob.milliseconds(
        "BACKEND_TIMEOUT_MS", default: 10_000, in: 1...600_000, "one backend call may take this long")

    static let knobs: [any LabKnob] = [hedgeKnob, percentileKnob, budgetKnob, minimumDelayKnob, fallbackDelayKnob, backendTimeoutKnob]

    init(_ knobs: KnobReader) throws {
        hedging = try knobs.read(Self.hedgeKnob)
        percentile = try knobs.read(Self.percentileKnob)
        budgetPercent = try knobs.read(Self.budgetKnob)
        minimumDelay = try knobs.read(Self.minimumDelayKnob)
        fallbackDelay = try knobs.read(Self.fallbackDelayKnob)
        backendTimeout = try knobs.read(Self.backendTimeoutKnob)
    }
}
