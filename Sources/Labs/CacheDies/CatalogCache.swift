import LabKit

/// The catalog's view of Redis: one read, one best-effort write, and the two ways of behaving when
/// Redis is gone that this lab compares.
///
/// - Patient (before): a read that finds the connection lost waits for a reconnect for up to
///   `CACHE_RECONNECT_MS` (``ReconnectingRedis``), as many client libraries do by default, so while
///   Redis is down every request waits that long. When Redis comes back, all the waiting reads go
///   through at the same moment.
/// - Guarded (after): short Redis timeouts, no reconnect loop, and a circuit breaker: after a few
///   failures reads are not even attempted (`skipped`) until a probe finds Redis back.
///
/// Every read is counted in `cache_lookups_total{result="hit|miss|error|skipped"}`.
final class CatalogCache: Sendable {
    enum Lookup {
        case hit(JSONValue)
        case miss
        case unavailable(any Error)
    }

    let redis: RedisClient
    let ttl: Duration
    let breaker: CircuitBreaker<ContinuousClock>?
    /// The patient client's offline queue (`CACHE_RECONNECT_MS` > 0), nil for the guarded one.
    private let reconnecting: ReconnectingRedis?
    private let lookups: [String: Counter]

    init(redis: RedisClient, settings: CacheDiesSettings, breaker: CircuitBreaker<ContinuousClock>?) {
        self.redis = redis
        self.ttl = settings.ttl
        self.breaker = breaker
        reconnecting = settings.reconnectWindow > .zero ? ReconnectingRedis(redis: redis, window: settings.reconnectWindow) : nil
        var lookups: [String: Counter] = [:]
        for result in ["hit", "miss", "error", "skipped"] {
            lookups[result] = Counter(label: "cache_lookups_total", dimensions: [("result", result)])
        }
        self.lookups = lookups
    }

    func read(_ key: String) async -> Lookup {
        do {
            let text: String?
            if let breaker {
                text = try await breaker.execute { try await get(key) } // rejected at once while open
            } else {
                text = try await get(key)
            }
            guard let text, let value = try? JSONValue.parse(Array(text.utf8)) else {
                lookups["miss"]?.increment()
                return .miss
            }
            lookups["hit"]?.increment()
            return .hit(value)
        } catch {
            lookups[error is CircuitBreakerOpenError ? "skipped" : "error"]?.increment()
            return .unavailable(error)
        }
    }

    /// Stores a product for `ttl`. Best effort: a failed write only means a later miss. Skipped while
    /// the breaker is not closed (a write to a Redis we believe down would only wait for its timeout).
    func write(_ key: String, _ value: JSONValue) async {
        if let breaker, breaker.currentState != .closed { return }
        _ = try? await redis.set(key, to: RedisArgument(value.encodedString()), expiration: .after(ttl))
    }

    /// Stores many products in one round trip (`SET key value PX ttl` each, pipelined).
    func writeAll(_ entries: [String: JSONValue]) async throws {
        let milliseconds = Int(ttl / .milliseconds(1))
        _ = try await redis.pipeline(
            entries.map { key, value in
                [
                    RedisArgument("SET"), RedisArgument(key), RedisArgument(value.encodedString()), RedisArgument("PX"),
                    RedisArgument(milliseconds),
                ]
            })
    }

    private func get(_ key: String) async throws -> String? {
        guard let reconnecting else { return try await redis.get(key) }
        return try await reconnecting.get(key)
    }
}
