import LabKit

/// The gateway's knobs.
struct LimitingGatewaySettings {
    enum Limiter: String, CaseIterable {
        case fixed
        case adaptive
    }

    enum Algorithm: String, CaseIterable {
        case vegas
        case aimd
    }

    var limiter: Limiter
    var fixedLimit: Int
    var algorithm: Algorithm
    var initialLimit: Int
    var maxLimit: Int
    var smoothing: Double
    var backendTimeout: Duration

    static let limiterKnob = Knob<Limiter>.choice(
        "LIMITER", default: .fixed,
        "`fixed`: at most FIXED_LIMIT requests in flight; `adaptive`: a limit that follows the backend's latency")
    static let fixedLimitKnob = Knob.wholeNumber(
        "FIXED_LIMIT", default: 64, in: 1...100_000, "LIMITER=fixed: requests in flight to the backend")
    static let algorithmKnob = Knob<Algorithm>.choice(
        "LIMIT_ALGORITHM", default: .vegas, "LIMITER=adaptive: `vegas` (queueing estimated from latency) or `aimd` (back off on drops)")
    static let initialLimitKnob = Knob.wholeNumber("INITIAL_LIMIT", default: 20, in: 1...100_000, "LIMITER=adaptive: the limit at start")
    static let maxLimitKnob = Knob.wholeNumber("MAX_LIMIT", default: 200, in: 1...100_000, "LIMITER=adaptive: the limit never exceeds this")
    static let smoothingKnob = Knob.number(
        "VEGAS_SMOOTHING", default: 1, in: 0.01...1, "LIMIT_ALGORITHM=vegas: the share of each step the limit takes (1: all of it)")
    static let backendTimeoutKnob = Knob.milliseconds(
        "BACKEND_TIMEOUT_MS", default: 2_000, in: 1...600_000, "one backend call may take this long (a timeout is a drop for the limiter)")

    static let knobs: [any LabKnob] = [
        limiterKnob, fixedLimitKnob, algorithmKnob, initialLimitKnob, maxLimitKnob, smoothingKnob, backendTimeoutKnob,
    ]

    init(_ knobs: KnobReader) throws {
        limiter = try knobs.read(Self.limiterKnob)
        fixedLimit = try knobs.read(Self.fixedLimitKnob)
        algorithm = try knobs.read(Self.algorithmKnob)
        initialLimit = try knobs.read(Self.initialLimitKnob)
        maxLimit = try knobs.read(Self.maxLimitKnob)
        smoothing = try knobs.read(Self.smoothingKnob)
        backendTimeout = try knobs.read(Self.backendTimeoutKnob)
        guard initialLimit <= maxLimit else {
            throw LabStartupError("INITIAL_LIMIT (\(initialLimit)) must not exceed MAX_LIMIT (\(maxLimit))")
        }
    }
}
