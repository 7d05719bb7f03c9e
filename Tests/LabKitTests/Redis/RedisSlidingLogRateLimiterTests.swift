import XCTest

@testable import LabKit

/// The atomic sliding-log limiter against a real redis-server: exactly `limit` per window whatever the
/// concurrency and however many clients share it, a retry time when refused, a window that slides,
/// independent keys, and a Redis error thrown (not swallowed) when Redis is gone.
final class RedisSlidingLogRateLimiterTests: RedisServerTestCase {
    func testThreeClientsFiringAtOnceAdmitExactlyTheLimit() async throws {
        // Three "instances", each with its own connections, 300 checks of one key at once.
        let limiters = try (0..<3).map { _ in
            RedisSlidingLogRateLimiter(redis: try makeClient(poolSize: 16), limit: 30, window: .seconds(60))
        }
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<300 {
                group.addTask { try await limiters[index % 3].check("burst").admitted }
            }
            var admitted = 0
            for try await answer in group where answer { admitted += 1 }
            return admitted
        }
        XCTAssertEqual(admitted, 30, "one script reads, decides and writes: never more than the limit")
        let logged = try await limiters[0].redis.zcard("ratelimit:burst")
        XCTAssertEqual(logged, 30, "one log member per admitted request")
    }

    func testARefusalSaysWhenToRetryAndTheWindowSlides() async throws {
        let limiter = RedisSlidingLogRateLimiter(redis: try makeClient(), limit: 2, window: .milliseconds(400), keyPrefix: "t")
        let first = try await limiter.check("k")
        XCTAssertEqual(first, .init(admitted: true, used: 1, retryAfter: .zero))
        let second = try await limiter.check("k")
        XCTAssertEqual(second, .init(admitted: true, used: 2, retryAfter: .zero))
        let third = try await limiter.check("k")
        XCTAssertFalse(third.admitted)
        XCTAssertEqual(third.used, 2)
        XCTAssertGreaterThan(third.retryAfter, .zero)
        XCTAssertLessThanOrEqual(third.retryAfter, .milliseconds(400))
        let ttl = try await limiter.redis.pttl("t:k")
        XCTAssertGreaterThan(ttl, 0, "the log expires with the window")
        try await Task.sleep(for: .milliseconds(450))
        let later = try await limiter.check("k")
        XCTAssertEqual(later.admitted, true, "the first two left the window")
        XCTAssertEqual(later.used, 1)
    }

    func testKeysHaveTheirOwnLimits() async throws {
        let limiter = RedisSlidingLogRateLimiter(redis: try makeClient(), limit: 1, window: .seconds(60))
        let a1 = try await limiter.check("a")
        let a2 = try await limiter.check("a")
        let b1 = try await limiter.check("b")
        XCTAssertTrue(a1.admitted)
        XCTAssertFalse(a2.admitted)
        XCTAssertTrue(b1.admitted, "another key is not limited by a's requests")
    }

    func testTheScriptIsLoadedAgainAfterAFlush() async throws {
        let redis = try makeClient()
        let limiter = RedisSlidingLogRateLimiter(redis: redis, limit: 5, window: .seconds(60))
        _ = try await limiter.check("k")
        try await redis.send("SCRIPT", "FLUSH")
        let again = try await limiter.check("k")
        XCTAssertEqual(again.used, 2, "NOSCRIPT: loaded again, the log kept")
    }

    func testARedisThatIsGoneIsAnErrorForTheCallerToHandle() async throws {
        let limiter = RedisSlidingLogRateLimiter(redis: try makeClient(commandTimeout: .milliseconds(300)), limit: 5, window: .seconds(60))
        _ = try await limiter.check("k")
        await redisServer.stop()
        await assertThrowsRedisError(try await limiter.check("k"))
    }
}
