import LabKit

/// The burst client's knobs (`labsvc knobs week20 burst-client`).
struct BurstSettings: Sendable {
    var burst: Int
    var roundEvery: Duration
    var timeout: Duration

    static let burstKnob = Knob.wholeNumber(
        "BURST", default: 150, in: 1...2_000, "requests of one round, all sent at once with one new API key (through the balancer)")
    static let roundEveryKnob = Knob.milliseconds("ROUND_EVERY_MS", default: 1_000, in: 100...60_000, "a new round starts this often")
    static let timeoutKnob = Knob.milliseconds(
        "BURST_TIMEOUT_MS", default: 5_000, in: 100...60_000, "how long one request of a burst may take")

    static let knobs: [any LabKnob] = [burstKnob, roundEveryKnob, timeoutKnob]

    init(_ knobs: KnobReader) throws {
        burst = try knobs.read(Self.burstKnob)
        roundEvery = try knobs.read(Self.roundEveryKnob)
        timeout = try knobs.read(Self.timeoutKnob)
    }
}
