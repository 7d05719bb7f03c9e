import XCTest

@testable import LabKit

/// Many tasks at once against each pattern's limits: the counts must hold exactly under contention,
/// not just when calls arrive one by one.
final class ConcurrencyStressTests: XCTestCase {
    func testHalfOpenAdmitsExactlyNOfManyConcurrentCallers() async throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(
            name: "stress",
            configuration: CircuitBreakerConfiguration(
                slidingWindow: .countBased(size: 5), minimumNumberOfCalls: 5, waitDurationInOpenState: .seconds(1),
                permittedNumberOfCallsInHalfOpenState: 7),
            clock: clock, metricsFactory: ResilienceTestMetrics()
        )
        for _ in 1...5 { breaker.recordFailure(try breaker.acquirePermission()) }
        clock.advance(by: .seconds(1))
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { (try? breaker.acquirePermission()) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(admitted, 7)
        XCTAssertEqual(breaker.currentState, .halfOpen)
    }

    func testBulkheadNeverExceedsItsLimitUnderContention() async throws {
        let bulkhead = Bulkhead(
            name: "stress", configuration: .init(maxConcurrentCalls: 3, maxWaitDuration: .seconds(3600)), clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        let running = ResilienceBox((now: 0, peak: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await bulkhead.execute {
                        running.update {
                            $0.now += 1
                            $0.peak = max($0.peak, $0.now)
                        }
                        await Task.yield()
                        running.update { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        XCTAssertLessThanOrEqual(running.value.peak, 3, "three at a time, never four")
        XCTAssertGreaterThan(running.value.peak, 1, "the calls did overlap")
        XCTAssertEqual(bulkhead.inUse, 0)
        XCTAssertEqual(bulkhead.waiting, 0)
    }

    func testTokenBucketAdmitsExactlyItsCapacityToConcurrentCallers() async {
        let clock = ManualClock()
        let bucket = TokenBucketRateLimiter(
            name: "stress", capacity: 25, permitsPerPeriod: 1, period: .seconds(60), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 { group.addTask { bucket.tryAcquire() } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(admitted, 25)
    }

    func testAdaptiveLimiterNeverAdmitsMoreThanItsLimit() async {
        let limiter = AdaptiveConcurrencyLimiter(
            name: "stress", algorithm: .aimd(AIMDLimit(initialLimit: 10)), clock: ManualClock(),
            metricsFactory: ResilienceTestMetrics())
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<300 { group.addTask { limiter.tryAcquire() != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(admitted, 10)
        XCTAssertEqual(limiter.inFlight, 10)
    }
}
