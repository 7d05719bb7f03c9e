import LabKit
import Synchronization

/// What many Redis client libraries do by default when the connection drops: commands are held in
/// an offline queue while ONE background loop reconnects, and fail only after a long timeout
/// (`CACHE_RECONNECT_MS`). It looks kind — nothing fails at once — but while Redis is down every
/// request waits the whole timeout, and the moment the connection is back every held command is sent
/// together: a burst that goes straight on to the database if the cache came back empty.
final class ReconnectingRedis: Sendable {
    let redis: RedisClient
    let window: Duration
    private let connected = Atomic<Bool>(true)
    private let reconnecting = Atomic<Bool>(false)
    /// The reconnect loop: one PING at a time, with capped exponential backoff (LabKit's retrier),
    /// until Redis answers.
    private let reconnector = Retrier(
        name: "redis_reconnect",
        policy: RetryPolicy(
            maxAttempts: .max, backoff: Backoff(base: .milliseconds(100), cap: .seconds(1), jitter: .full),
            isRetryable: { ($0 as? RedisError)?.isConnectionLoss ?? false }))

    init(redis: RedisClient, window: Duration) {
        self.redis = redis
        self.window = window
    }

    func get(_ key: String) async throws -> String? {
        let deadline = ContinuousClock.now + window
        while true {
            if connected.load(ordering: .acquiring) {
                do {
                    return try await redis.get(key)
                } catch let error as RedisError where error.isConnectionLoss {
                    connectionLost()
                }
            }
            // Held in the "offline queue": check again shortly, until the connection is back or the
            // timeout is over.
            guard ContinuousClock.now < deadline else {
                throw RedisError.connection("no connection to Redis after waiting \(window) for a reconnect")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    private func connectionLost() {
        connected.store(false, ordering: .releasing)
        guard reconnecting.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        // Detached: the loop belongs to the client, not to the request that happened to notice the
        // loss (a plain Task would inherit that request's trace and hang every PING under it).
        Task.detached { [self] in
            _ = try? await reconnector.execute { _ in try await redis.ping() }
            connected.store(true, ordering: .releasing)
            reconnecting.store(false, ordering: .releasing)
        }
    }
}

extension RedisError {
    /// Refused, reset, closed or timed out: the connection is gone (a server error reply is not).
    var isConnectionLoss: Bool {
        switch self {
        case .connection, .timeout: true
        default: false
        }
    }
}
