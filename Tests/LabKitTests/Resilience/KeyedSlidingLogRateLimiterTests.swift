import XCTest

@testable import LabKit

/// The in-process, per-key sliding log: each key its own limit, a window that slides by the clock,
/// and keys idle for a window forgotten.
final class KeyedSlidingLogRateLimiterTests: XCTestCase {
    func testEachKeyGetsTheLimitPerWindow() {
        let clock = ManualClock()
        let limiter = KeyedSlidingLogRateLimiter(limit: 3, window: .seconds(10), clock: clock)
        XCTAssertEqual((0..<5).map { _ in limiter.tryAcquire("a") }, [true, true, true, false, false])
        XCTAssertTrue(limiter.tryAcquire("b"), "b has its own limit")
        clock.advance(by: .seconds(10))
        XCTAssertEqual((0..<4).map { _ in limiter.tryAcquire("a") }, [true, true, true, false], "a's window slid past its first three")
    }

    func testIdleKeysAreForgotten() {
        let clock = ManualClock()
        let limiter = KeyedSlidingLogRateLimiter(limit: 1, window: .seconds(1), clock: clock)
        for index in 0..<500 { _ = limiter.tryAcquire("old-\(index)") }
        XCTAssertEqual(limiter.keyCount, 500)
        clock.advance(by: .seconds(2))
        for _ in 0..<1_000 { _ = limiter.tryAcquire("new") }
        XCTAssertEqual(limiter.keyCount, 1, "keys idle for a whole window are dropped")
    }
}
