import LabKit

/// What a caller does with a request when the limiter service does not answer in time.
enum LimiterDownPolicy: String, CaseIterable, Sendable {
    /// Serve it: the callers stay up, and the limit is gone for as long as the limiter is.
    case failOpen = "fail-open"
    /// Refuse it (503): the limit holds, and the limiter's outage becomes every caller's outage.
    case failClosed = "fail-closed"
    /// Decide here, with a token bucket at this caller's share of the client's limit (limit / NODES).
    case localBucket = "local-bucket"
}

/// The caller's knobs (`labsvc knobs week31 api`).
struct CallerSettings: Sendable {
    var limiterTimeout: Duration
    var onLimiterDown: LimiterDownPolicy
    var nodes: Int
    var skipAfterFailures: Int
    var probeEvery: Duration
    var unknownClientLimit: Int

    static let timeoutKnob = Knob.milliseconds(
        "LIMITER_TIMEOUT_MS", default: 1_000, in: 1...60_000,
        "how long a request waits for the limiter's answer (its share of the request's latency budget)")
    static let policyKnob = Knob<LimiterDownPolicy>.choice(
        "ON_LIMITER_DOWN", default: .localBucket,
        "when the limiter does not answer in time: fail-open (serve), fail-closed (503), local-bucket (limit / NODES here)")
    static let nodesKnob = Knob.wholeNumber(
        "NODES", default: 3, in: 1...32, "callers sharing each client's limit; the local bucket admits limit / NODES per second here")
    static let skipKnob = Knob.wholeNumber(
        "SKIP_AFTER_FAILURES", default: 3, in: 0...1_000,
        "failed limiter calls in a row after which requests stop waiting for it (a background probe looks for its return); 0: never")
    static let probeKnob = Knob.milliseconds(
        "PROBE_EVERY_MS", default: 250, in: 10...60_000, "while the limiter is skipped: how often a background probe asks its /readyz")
    static let unknownLimitKnob = Knob.wholeNumber(
        "UNKNOWN_CLIENT_LIMIT", default: 10, in: 1...100_000,
        "local-bucket: the limit assumed for a client the limiter never answered for (its share is this / NODES)")

    static let knobs: [any LabKnob] = [timeoutKnob, policyKnob, nodesKnob, skipKnob, probeKnob, unknownLimitKnob]

    init(_ knobs: KnobReader) throws {
        limiterTimeout = try knobs.read(Self.timeoutKnob)
        onLimiterDown = try knobs.read(Self.policyKnob)
        nodes = try knobs.read(Self.nodesKnob)
        skipAfterFailures = try knobs.read(Self.skipKnob)
        probeEvery = try knobs.read(Self.probeKnob)
        unknownClientLimit = try knobs.read(Self.unknownLimitKnob)
    }
}
