import LabKit

/// The client's knobs (the lab's variants set them; `labsvc knobs week07` and the README list them).
/// The `CB_*` knobs are Resilience4j's circuit breaker settings, by their Resilience4j names.
struct BreakerSettings {
    /// `BREAKER=on`: calls go through the circuit breaker.
    var breakerEnabled: Bool
    /// `FALLBACK=on`: a failed or rejected call is answered from the last good price (or a default).
    var fallbackEnabled: Bool
    /// `BACKEND_TIMEOUT_MS`: how long one backend call may take.
    var backendTimeout: Duration
    var breaker: CircuitBreakerConfiguration

    static let breakerKnob = Knob.flag("BREAKER", default: false, "calls to the backend go through the circuit breaker")
    static let fallbackKnob = Knob.flag(
        "FALLBACK", default: false, "a failed or rejected call is answered from the last good price instead of a 502/503")
    static let backendTimeoutKnob = Knob.milliseconds(
        "BACKEND_TIMEOUT_MS", default: 300, in: 1...3_600_000, "one backend call may take this long (a timeout is a failure)")
    static let windowType = Knob.choice(
        "CB_WINDOW_TYPE", among: ["count", "time"], default: "count",
        "`slidingWindowType`: `count`: the last CB_WINDOW_SIZE calls; `time`: the calls of the last CB_WINDOW_SIZE seconds")
    static let windowSize = Knob.wholeNumber("CB_WINDOW_SIZE", default: 20, in: 1...10_000, "`slidingWindowSize`: calls, or seconds")
    static let minimumCalls = Knob.wholeNumber(
        "CB_MIN_CALLS", default: 5, in: 1...10_000, "`minimumNumberOfCalls`: no decision before the window holds this many calls")
    static let failureRate = Knob.number(
        "CB_FAILURE_RATE", default: 50, in: 1...100, "`failureRateThreshold`: open at >= this % failed calls (timeouts, non-2xx, refused)")
    static let slowCallRate = Knob.number(
        "CB_SLOW_CALL_RATE", default: 100, in: 1...100, "`slowCallRateThreshold`: open at >= this % slow calls")
    static let slowCallDuration = Knob.milliseconds(
        "CB_SLOW_CALL_MS", default: 60_000, in: 1...3_600_000, "`slowCallDurationThreshold`: a successful call slower than this is slow")
    static let waitInOpen = Knob.milliseconds(
        "CB_WAIT_MS", default: 3_000, in: 1...3_600_000, "`waitDurationInOpenState`: how long it stays open before letting probes through")
    static let halfOpenCalls = Knob.wholeNumber(
        "CB_HALF_OPEN_CALLS", default: 3, in: 1...1_000,
        "`permittedNumberOfCallsInHalfOpenState`: probes; all must finish before it decides")

    static let knobs: [any LabKnob] = [
        breakerKnob, fallbackKnob, backendTimeoutKnob, windowType, windowSize, minimumCalls, failureRate, slowCallRate,
        slowCallDuration, waitInOpen, halfOpenCalls,
    ]

    init(_ knobs: KnobReader) throws {
        breakerEnabled = try knobs.read(Self.breakerKnob)
        fallbackEnabled = try knobs.read(Self.fallbackKnob)
        backendTimeout = try knobs.read(Self.backendTimeoutKnob)
        let size = try knobs.read(Self.windowSize)
        breaker = CircuitBreakerConfiguration(
            slidingWindow: try knobs.read(Self.windowType) == "time" ? .timeBased(seconds: size) : .countBased(size: size),
            minimumNumberOfCalls: try knobs.read(Self.minimumCalls),
            failureRateThreshold: try knobs.read(Self.failureRate),
            slowCallRateThreshold: try knobs.read(Self.slowCallRate),
            slowCallDurationThreshold: try knobs.read(Self.slowCallDuration),
            waitDurationInOpenState: try knobs.read(Self.waitInOpen),
            permittedNumberOfCallsInHalfOpenState: try knobs.read(Self.halfOpenCalls)
        )
    }
}

extension CircuitBreakersLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["client": BreakerSettings.knobs, "backend": []]
}
