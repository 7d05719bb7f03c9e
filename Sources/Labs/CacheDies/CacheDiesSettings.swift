import LabKit

/// The catalog's knobs, all from the environment (the lab's variants set them; the README lists them).
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

    init(_ context: LabContext) throws {
        func flag(_ name: String) -> Bool {
            ["on", "true", "1", "yes"].contains((context.environment[name] ?? "off").lowercased())
        }
        func millis(_ name: String, _ fallback: Int) throws -> Duration {
            let value = try context.integer(name, default: fallback)
            guard value >= 0 else { throw LabStartupError("\(name)=\(value): expected milliseconds >= 0") }
            return .milliseconds(value)
        }
        redisTimeout = try millis("REDIS_TIMEOUT_MS", 2_000)
        reconnectWindow = try millis("CACHE_RECONNECT_MS", 5_000)
        ttl = try millis("CACHE_TTL_MS", 5_000)
        breakerEnabled = flag("CACHE_BREAKER")
        breakerWait = try millis("CB_WAIT_MS", 1_000)
        fallbackEnabled = flag("FALLBACK")
        databaseLimit = try context.integer("DB_LIMIT", default: 0)
        databaseLimitWait = try millis("DB_LIMIT_WAIT_MS", 1_000)
        databaseLimitQueue = try context.integer("DB_LIMIT_QUEUE", default: 64)
        databaseTimeout = try millis("DB_TIMEOUT_MS", 10_000)
        warmupEnabled = flag("WARMUP")
        guard redisTimeout > .zero, ttl > .zero, databaseTimeout > .zero, databaseLimit >= 0, databaseLimitQueue >= 0 else {
            throw LabStartupError("REDIS_TIMEOUT_MS, CACHE_TTL_MS and DB_TIMEOUT_MS must be positive; DB_LIMIT and DB_LIMIT_QUEUE >= 0")
        }
    }

    /// The breaker around cache reads: open when half of the last 10 reads failed, probe after
    /// `CB_WAIT_MS` with 2 reads.
    var breaker: CircuitBreakerConfiguration {
        CircuitBreakerConfiguration(
            slidingWindow: .countBased(size: 10), minimumNumberOfCalls: 5, failureRateThreshold: 50,
            waitDurationInOpenState: breakerWait, permittedNumberOfCallsInHalfOpenState: 2)
    }
}
