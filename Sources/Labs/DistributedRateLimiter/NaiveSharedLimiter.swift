import Foundation
import LabKit

/// The shared limit as it is often first written: the same sliding log in Redis as the atomic
/// limiter (`ratelimit:<key>`, one member per admitted request), but CHECK and INCREMENT are two round
/// trips. Between them, every other request of the key that has also checked sees the same count and
/// is admitted too: under a synchronised burst from three instances, the limit overshoots by about
/// the number of checks in flight at the moment the log fills up.
///
/// It is here to be wrong on purpose; LabKit's `RedisSlidingLogRateLimiter` is the fix.
struct NaiveSharedLimiter: Sendable {
    let redis: RedisClient
    let limit: Int
    let window: Duration
    let keyPrefix = "ratelimit"

    func check(_ key: String) async throws -> Bool {
        let log = RedisArgument("\(keyPrefix):\(key)")
        let windowMilliseconds = Int(window / .milliseconds(1))
        let now = Int(Date().timeIntervalSince1970 * 1000)
        // 1. CHECK: forget what left the window, count the rest.
        let counted = try await redis.pipeline([
            ["ZREMRANGEBYSCORE", log, "-inf", RedisArgument(now - windowMilliseconds)] as [RedisArgument],
            ["ZCARD", log] as [RedisArgument],
        ])
        guard let used = counted[1].int else { throw RedisError.protocolError("ZCARD answered \(counted[1])") }
        guard used < limit else { return false }
        // 2. INCREMENT: log this request. Other requests have checked in the meantime and saw `used` too.
        let added = try await redis.pipeline([
            ["ZADD", log, RedisArgument(now), RedisArgument(UUID().uuidString)] as [RedisArgument],
            ["PEXPIRE", log, RedisArgument(windowMilliseconds)],
        ])
        if case .error(let message) = added[0] { throw RedisError.server(message) }
        return true
    }
}
