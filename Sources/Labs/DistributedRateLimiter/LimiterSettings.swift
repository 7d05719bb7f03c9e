import LabKit

/// Where the api keeps its per-API-key limit.
enum LimiterKind: String, CaseIterable, Sendable {
    /// In this instance's memory (LabKit's `KeyedSlidingLogRateLimiter`): each of the N instances
    /// admits the full LIMIT, so a client gets N x LIMIT through the balancer.
    case local
    /// In Redis, shared, but checked and written in two round trips (read how many are in the log,
    /// then add this request): every instance that reads before the others write admits.
    case naive
    /// In Redis, one Lua script that reads, decides and writes in one step (LabKit's
    /// `RedisSlidingLogRateLimiter`): exactly LIMIT per window, however many instances ask at once.
    case atomic
}

/// What a shared limiter does when Redis does not answer.
enum RedisDownPolicy: String, CaseIterable, Sendable {
    /// Admit the request: the service stays up, the limit is gone for as long as Redis is.
    case failOpen = "fail-open"
    /// Limit locally to this instance's share of the limit (LIMIT / NODES): the N instances together
    /// admit about LIMIT, each without talking to the others.
    case localShare = "local-share"
}

/// The api's knobs (`labsvc knobs week20 api`).
struct LimiterSettings: Sendable {
    var kind: LimiterKind
    var limit: Int
    var window: Duration
    var nodes: Int
    var onRedisDown: RedisDownPolicy
    var redisTimeout: Duration
    var redisPoolSize: Int

    /// The fallback limit of one instance: its share of the limit, rounded down so that the N shares
    /// together never exceed it.
    var nodeShare: Int { max(1, limit / nodes) }

    static let kindKnob = Knob<LimiterKind>.choice(
        "LIMITER", default: .atomic,
        "where the per-API-key limit lives: local (each instance alone), naive (Redis, check then add), atomic (Redis, one Lua script)")
    static let limitKnob = Knob.wholeNumber(
        "LIMIT", default: 30, in: 1...100_000, "requests admitted per API key per WINDOW_MS, across all instances")
    static let windowKnob = Knob.milliseconds("WINDOW_MS", default: 60_000, in: 100...3_600_000, "the sliding window of the limit")
    static let nodesKnob = Knob.wholeNumber(
        "NODES", default: 3, in: 1...32, "instances sharing the limit; the local fallback admits LIMIT / NODES per instance")
    static let onRedisDownKnob = Knob<RedisDownPolicy>.choice(
        "ON_REDIS_DOWN", default: .localShare,
        "a shared limiter when Redis does not answer: fail-open (admit) or local-share (LIMIT / NODES here)")
    static let redisTimeoutKnob = Knob.milliseconds(
        "REDIS_TIMEOUT_MS", default: 250, in: 10...10_000,
        "how long a limiter call to Redis may take (connect or reply) before it counts as down")

    static let knobs: [any LabKnob] =
        [kindKnob, limitKnob, windowKnob, nodesKnob, onRedisDownKnob, redisTimeoutKnob] + LabService.redisKnobs

    init(_ knobs: KnobReader) throws {
        kind = try knobs.read(Self.kindKnob)
        limit = try knobs.read(Self.limitKnob)
        window = try knobs.read(Self.windowKnob)
        nodes = try knobs.read(Self.nodesKnob)
        onRedisDown = try knobs.read(Self.onRedisDownKnob)
        redisTimeout = try knobs.read(Self.redisTimeoutKnob)
        redisPoolSize = try knobs.read(LabService.redisPoolSize)
    }
}
