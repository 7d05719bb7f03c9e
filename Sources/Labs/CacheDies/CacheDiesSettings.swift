import LabKit

/// The catalog's knobs (the lab's variants set them; `labsvc knobs week02` and the README list them).
struct CacheDiesSettings {
    /// `REDIS_TIMEOUT_MS`: connect and command timeout of the Redis client (hiredis socket timeouts).
    var redisTimeout: Duration
    /// `CACHE_RECONNECT_MS`: how long one cache read keeps trying to reconnect to a Redis it lost, like
    /// the defaults of popular clients (queue the command and reconnect, fail only after a long
    /// timeout). 0: a lost connection fails the read at once.
    var reconnectWindow: Duration
    /// `CACHE_TTL_MS`: how long a cached product lives.
    var ttl: Duration
    /// `CACHE_BREAKER=on`: cache reads go through a circuit breaker (`CB_WAIT_MS` open before probing).
    var breakerEnabled: Bool
    var breakerWait: Duration
    /// `FALLBACK=on`: a failed cache read is answered from the database instead of with an error.
    var fallbackEnabled: Bool
    /// `DB_LIMIT`: at most this many database queries in flight from this service (0: no limit);
    /// more wait up to `DB_LIMIT_WAIT_MS` in a queue of `DB_LIMIT_QUEUE`, then fail.
    var databaseLimit: Int
    var databaseLimitWait: Duration
    var databaseLimitQueue: Int
    /// `DB_TIMEOUT_MS`: how long one database query may take.
    var databaseTimeout: Duration
    /// `WARMUP=on`: when the cache is back, write the products read from the database during the
    /// outage into it before serving from it, so it does not come back cold.
    var warmupEnabled: Bool

    static let redisTimeoutKnob = Knob.milliseconds(
        "REDIS_TIMEOUT_MS", default: 2_000, in: 1...600_000, "connect and command timeout of the Redis client")
    static let reconnectKnob = Knob.milliseconds(
        "CACHE_RECONNECT_MS", default: 5_000, in: 0...600_000,
        "how long one cache read waits for a reconnect to a lost Redis (0: a lost connection fails the read at once)")
    static let ttlKnob = Knob.milliseconds("CACHE_TTL_MS", default: 5_000, in: 1...86_400_000, "how long a cached product lives")
    static let breakerKnob = Knob.flag(
        "CACHE_BREAKER", default: false, "cache reads go through a circuit breaker (open at 50 % of the last 10 reads failed)")
    static let breakerWaitKnob = Knob.milliseconds(
        "CB_WAIT_MS", default: 1_000, in: 1...3_600_000, "how long the cache breaker stays open before probing")
    static let fallbackKnob = Knob.flag(
        "FALLBACK", default: false, "a failed cache read is answered from the database instead of with a 502")
    static let databaseLimitKnob = Knob.wholeNumber(
        "DB_LIMIT", default: 0, in: 0..., "database queries in flight from the catalog, at most (0: no limit)")
    static let databaseLimitWaitKnob = Knob.milliseconds(
        "DB_LIMIT_WAIT_MS", default: 1_000, in: 0...600_000, "how long a query waits for one of the DB_LIMIT slots, then fails")
    static let databaseLimitQueueKnob = Knob.wholeNumber(
        "DB_LIMIT_QUEUE", default: 64, in: 0..., "queries waiting for a DB_LIMIT slot, at most")
    static let databaseTimeoutKnob = Knob.milliseconds(
        "DB_TIMEOUT_MS", default: 10_000, in: 1...600_000, "how long one database query may take")
    static let warmupKnob = Knob.flag(
        "WARMUP", default: false, "when the cache is back, write the products read during the outage into it before serving from it")

    static let knobs: [any LabKnob] = [
        redisTimeoutKnob, reconnectKnob, ttlKnob, breakerKnob, breakerWaitKnob, fallbackKnob, databaseLimitKnob,
        databaseLimitWaitKnob, databaseLimitQueueKnob, databaseTimeoutKnob, warmupKnob,
    ]

    init(_ knobs: KnobReader) throws {
        redisTimeout = try knobs.read(Self.redisTimeoutKnob)
        reconnectWindow = try knobs.read(Self.reconnectKnob)
        ttl = try knobs.read(Self.ttlKnob)
        breakerEnabled = try knobs.read(Self.breakerKnob)
        breakerWait = try knobs.read(Self.breakerWaitKnob)
        fallbackEnabled = try knobs.read(Self.fallbackKnob)
        databaseLimit = try knobs.read(Self.databaseLimitKnob)
        databaseLimitWait = try knobs.read(Self.databaseLimitWaitKnob)
        databaseLimitQueue = try knobs.read(Self.databaseLimitQueueKnob)
        databaseTimeout = try knobs.read(Self.databaseTimeoutKnob)
        warmupEnabled = try knobs.read(Self.warmupKnob)
    }

    /// The breaker around cache reads: open when half of the last 10 reads failed, probe after
    /// `CB_WAIT_MS` with 2 reads.
    var breaker: CircuitBreakerConfiguration {
        CircuitBreakerConfiguration(
            slidingWindow: .countBased(size: 10), minimumNumberOfCalls: 5, failureRateThreshold: 50,
            waitDurationInOpenState: breakerWait, permittedNumberOfCallsInHalfOpenState: 2)
    }
}

extension CacheDiesLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "catalog": CacheDiesSettings.knobs + LabService.redisKnobs,
        "db": ProductDatabase.knobs,
    ]
}
