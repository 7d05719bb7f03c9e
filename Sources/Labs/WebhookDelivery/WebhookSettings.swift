import LabKit

/// The sender's knobs. `before`: QUEUE=memory, BACKOFF_JITTER=none (a fixed 1 s backoff), BREAKER=off.
/// `after`: QUEUE=outbox, BACKOFF_JITTER=full (exponential, capped), BREAKER=on (one probe in half-open).
struct WebhookSettings: Sendable {
    enum QueueKind: String, Sendable, CaseIterable {
        /// Pending deliveries live in the sender's memory: a restart forgets them.
        case memory
        /// Pending deliveries are rows of `outbox` in PostgreSQL; given up ones go to `dead_letters`.
        case outbox
    }

    static let secretKnob = Knob.string(
        "WEBHOOK_SECRET", default: "whsec-lab-33", "the HMAC-SHA256 key shared by the sender and the receivers")
    static let queueKnob = Knob<QueueKind>.choice(
        "QUEUE", default: .memory,
        "where pending deliveries live: `memory` (lost on restart) or `outbox` (PostgreSQL, with a dead-letter table)")
    static let breakerKnob = Knob.flag(
        "BREAKER", default: false, "a circuit breaker per endpoint (one probe in half-open); deferred calls are not attempts")
    static let jitterKnob = Knob<Backoff.Jitter>.choice(
        "BACKOFF_JITTER", default: .none,
        "jitter on the retry backoff: `none` (every retry at its exact delay), `full` (uniform in 0…delay), `equal` or `decorrelated` (LabKit's Backoff)"
    )
    static let baseKnob = Knob.milliseconds("BACKOFF_BASE_MS", default: 1_000, in: 1...60_000, "the first retry's delay (before jitter)")
    static let multiplierKnob = Knob.number(
        "BACKOFF_MULTIPLIER", default: 1, in: 1...10, "each retry's delay is the previous one times this (1: a fixed backoff)")
    static let capKnob = Knob.milliseconds(
        "BACKOFF_CAP_MS", default: 1_000, in: 1...600_000, "the longest delay; also the spread of calls deferred by an open breaker")
    static let maxAttemptsKnob = Knob.wholeNumber(
        "MAX_ATTEMPTS", default: 40, in: 1...1_000,
        "real attempts before an event is given up (dead-lettered, or dropped by the memory queue)")
    static let timeoutKnob = Knob.milliseconds("DELIVERY_TIMEOUT_MS", default: 1_000, in: 10...60_000, "how long one delivery may take")
    static let inFlightKnob = Knob.wholeNumber("MAX_IN_FLIGHT", default: 64, in: 1...1_024, "deliveries under way at once (all endpoints)")
    static let pollKnob = Knob.milliseconds("POLL_MS", default: 20, in: 1...10_000, "how long the dispatcher waits when nothing is due")
    static let leaseKnob = Knob.milliseconds(
        "LEASE_MS", default: 3_000, in: 100...600_000, "outbox: a claimed row is due again after this long if its sender died")
    static let openKnob = Knob.milliseconds(
        "BREAKER_OPEN_MS", default: 1_000, in: 10...600_000, "how long an open breaker waits before its probe")
    static let failurePercentKnob = Knob.number(
        "BREAKER_FAILURE_PERCENT", default: 80, in: 1...100,
        "the breaker opens when this share (%) of an endpoint's last 20 calls failed (10 at least)")
    static let knobs: [any LabKnob] =
        [
            secretKnob, queueKnob, breakerKnob, jitterKnob, baseKnob, multiplierKnob, capKnob, maxAttemptsKnob, timeoutKnob, inFlightKnob,
            pollKnob, leaseKnob, openKnob, failurePercentKnob,
        ] + LabPostgres.knobs

    let queue: QueueKind
    let breaker: Bool
    let backoff: Backoff
    let maxAttempts: Int
    let timeout: Duration
    let maxInFlight: Int
    let poll: Duration
    let lease: Duration
    let breakerOpen: Duration
    let breakerFailurePercent: Double
    let secret: String

    init(_ knobs: KnobReader) throws {
        queue = try knobs.read(Self.queueKnob)
        breaker = try knobs.read(Self.breakerKnob)
        let base = try knobs.read(Self.baseKnob)
        let cap = try knobs.read(Self.capKnob)
        guard cap >= base else { throw LabStartupError("BACKOFF_CAP_MS must be at least BACKOFF_BASE_MS") }
        backoff = Backoff(base: base, multiplier: try knobs.read(Self.multiplierKnob), cap: cap, jitter: try knobs.read(Self.jitterKnob))
        maxAttempts = try knobs.read(Self.maxAttemptsKnob)
        timeout = try knobs.read(Self.timeoutKnob)
        maxInFlight = try knobs.read(Self.inFlightKnob)
        poll = try knobs.read(Self.pollKnob)
        lease = try knobs.read(Self.leaseKnob)
        breakerOpen = try knobs.read(Self.openKnob)
        breakerFailurePercent = try knobs.read(Self.failurePercentKnob)
        secret = try knobs.read(Self.secretKnob)
    }

    /// The delay before the next real attempt, after `attempts` failed ones.
    func retryDelay(afterAttempts attempts: Int) -> Duration {
        var random = SystemRandomNumberGenerator()
        return backoff.delay(retry: max(1, attempts), previous: nil, using: &random)
    }

    /// When a call the breaker refused is due again. Without jitter every deferred event wakes at the
    /// same instant (the moment the breaker will admit its probe); with full jitter they spread over the
    /// cap after it, so the backlog comes back as a ramp, not a wall.
    /// `retryAfter` is nil when the breaker is half-open with its probe under way: wait one base delay.
    func deferral(retryAfter: Duration?) -> Duration {
        let wait = retryAfter ?? backoff.base
        guard backoff.jitter != .none else { return wait }
        return wait + backoff.cap * Double.random(in: 0...1)
    }
}
