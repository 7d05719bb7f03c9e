import LabKit
import Metrics
import Synchronization

/// The per-client configuration of the limiter service: requests per window for each client, kept in
/// memory for the decisions and written to Redis (hash `ratelimit:config`) so that a restarted limiter,
/// or a second replica, reads the same. `set` takes effect on the next decision: no restart, no
/// redeploy of the callers (they learn the new limit from the next answer).
///
/// Metrics: the gauge `ratelimit_client_limit{client}` (configured clients only: the label stays
/// bounded).
final class ClientLimits: Sendable {
    static let redisKey = "ratelimit:config"
    static let allowedLimits = 1...100_000
    static let maximumClients = 64

    let defaultLimit: Int
    private let redis: RedisClient
    private let state: Mutex<State>

    private struct State {
        var limits: [String: Int]
        /// Whatever an earlier run wrote to Redis has been read (once, on the first use).
        var loadedFromRedis = false
    }

    init(initial: [String: Int], defaultLimit: Int, redis: RedisClient) {
        self.defaultLimit = defaultLimit
        self.redis = redis
        state = Mutex(State(limits: initial))
        for (client, limit) in initial { Self.gauge(client).record(limit) }
    }

    static func isValidClient(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 || $0 == 95 }
    }

    /// The client's limit and whether it is configured (false: DEFAULT_LIMIT).
    func limit(for client: String) async -> (limit: Int, configured: Bool) {
        await loadOnce()
        return state.withLock { state in
            state.limits[client].map { ($0, true) } ?? (defaultLimit, false)
        }
    }

    func all() async -> [String: Int] {
        await loadOnce()
        return state.withLock { $0.limits }
    }

    enum SetError: Error { case tooManyClients }

    /// Changes one client's limit at run time; returns the previous one. Written to Redis first: a
    /// change that cannot be stored is refused rather than kept only here.
    func set(_ client: String, to limit: Int) async throws -> Int? {
        await loadOnce()
        let known = state.withLock { $0.limits[client] != nil || $0.limits.count < Self.maximumClients }
        guard known else { throw SetError.tooManyClients }
        _ = try await redis.hset(Self.redisKey, [(client, RedisArgument(limit))])
        let previous = state.withLock { state in
            defer { state.limits[client] = limit }
            return state.limits[client]
        }
        Self.gauge(client).record(limit)
        return previous
    }

    /// Reads the limits an earlier run stored in Redis over the CLIENT_LIMITS ones (a PUT is newer
    /// than the environment). Tried again on the next use when Redis does not answer.
    private func loadOnce() async {
        guard !state.withLock({ $0.loadedFromRedis }) else { return }
        guard let stored = try? await redis.hgetall(Self.redisKey) else { return }
        state.withLock { state in
            guard !state.loadedFromRedis else { return }
            state.loadedFromRedis = true
            for (client, text) in stored {
                guard Self.isValidClient(client), let limit = Int(text), Self.allowedLimits.contains(limit),
                    state.limits[client] != nil || state.limits.count < Self.maximumClients
                else { continue }
                state.limits[client] = limit
            }
        }
        for (client, limit) in state.withLock({ $0.limits }) { Self.gauge(client).record(limit) }
    }

    private static func gauge(_ client: String) -> Gauge { Gauge(label: "ratelimit_client_limit", dimensions: [("client", client)]) }
}
