import LabKit

/// The five algorithms, by the names the routes, the metrics and the knobs use.
enum RateLimitAlgorithm: String, CaseIterable, Sendable {
    /// One counter per window of WINDOW_MS aligned to the clock (INCR, expires with the window).
    case fixedWindow = "fixed-window"
    /// The time of every admitted request in a sorted set; at most LIMIT in the last WINDOW_MS.
    case slidingLog = "sliding-log"
    /// The current window's counter plus the previous one's, weighted by how much of it is still in
    /// the last WINDOW_MS (an estimate: it assumes the previous window's requests were evenly spread).
    case slidingWindowCounter = "sliding-window-counter"
    /// TOKEN_BURST tokens at most, refilled at LIMIT per WINDOW_MS; a request takes one.
    case tokenBucket = "token-bucket"
    /// A queue of at most LEAKY_QUEUE requests, released one every WINDOW_MS / LIMIT (they wait).
    case leakyBucket = "leaky-bucket"
}

/// The limiter's knobs (`labsvc knobs week11` lists them). Every algorithm enforces the same rate:
/// LIMIT requests per WINDOW_MS.
struct RateLimitSettings: Sendable {
    var limit: Int
    var window: Duration
    var tokenBurst: Int
    var leakyQueue: Int
    var apiAlgorithm: RateLimitAlgorithm

    /// The window in microseconds of the Redis clock (the scripts' unit).
    var windowMicros: Int { window.wholeMicroseconds }
    /// The fixed rate of the token bucket's refill and of the leaky bucket's output: one request every
    /// WINDOW_MS / LIMIT.
    var intervalMicros: Int { max(1, windowMicros / limit) }
    var ratePerSecond: Double { Double(limit) * 1_000_000 / Double(windowMicros) }

    static let limitKnob = Knob.wholeNumber(
        "LIMIT", default: 20, in: 1...100_000, "requests per window: the rate every algorithm enforces (LIMIT per WINDOW_MS)")
    static let windowKnob = Knob.milliseconds(
        "WINDOW_MS", default: 2_000, in: 100...3_600_000, "the window of the fixed-window, sliding-log and sliding-window-counter limits")
    static let tokenBurstKnob = Knob.wholeNumber(
        "TOKEN_BURST", default: 10, in: 1...100_000, "token bucket: tokens it holds at most (its burst); it refills at LIMIT per WINDOW_MS")
    static let leakyQueueKnob = Knob.wholeNumber(
        "LEAKY_QUEUE", default: 20, in: 1...100_000,
        "leaky bucket: requests its queue holds; one leaves every WINDOW_MS / LIMIT, a request that finds it full is refused")
    static let apiAlgorithmKnob = Knob<RateLimitAlgorithm>.choice(
        "RATE_LIMITER", default: .fixedWindow, "the algorithm that guards the api, POST /orders/{client} (one limit per client)")

    static let knobs: [any LabKnob] = [limitKnob, windowKnob, tokenBurstKnob, leakyQueueKnob, apiAlgorithmKnob]

    init(_ knobs: KnobReader) throws {
        limit = try knobs.read(Self.limitKnob)
        window = try knobs.read(Self.windowKnob)
        tokenBurst = try knobs.read(Self.tokenBurstKnob)
        leakyQueue = try knobs.read(Self.leakyQueueKnob)
        apiAlgorithm = try knobs.read(Self.apiAlgorithmKnob)
    }

    init(limit: Int, window: Duration, tokenBurst: Int, leakyQueue: Int, apiAlgorithm: RateLimitAlgorithm = .fixedWindow) {
        self.limit = limit
        self.window = window
        self.tokenBurst = tokenBurst
        self.leakyQueue = leakyQueue
        self.apiAlgorithm = apiAlgorithm
    }
}
