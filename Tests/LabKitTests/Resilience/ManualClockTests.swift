import XCTest

@testable import LabKit

final class ManualClockTests: XCTestCase {
    func testTimeOnlyMovesWhenAdvanced() {
        let clock = ManualClock()
        let start = clock.now
        XCTAssertEqual(clock.now, start)
        clock.advance(by: .seconds(3))
        XCTAssertEqual(start.duration(to: clock.now), .seconds(3))
        clock.advance(to: start.advanced(by: .seconds(1))) // the past: no-op
        XCTAssertEqual(start.duration(to: clock.now), .seconds(3))
    }

    func testSleeperWakesExactlyAtItsDeadline() async throws {
        let clock = ManualClock()
        let woke = ResilienceBox(false)
        let sleeper = Task {
            try await clock.sleep(for: .seconds(10))
            woke.update { $0 = true }
        }
        await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(9))
        XCTAssertEqual(clock.sleeperCount, 1, "9 s of a 10 s sleep: still asleep")
        XCTAssertFalse(woke.value)
        clock.advance(by: .seconds(1))
        try await boundedValue(sleeper)
        XCTAssertTrue(woke.value)
        XCTAssertEqual(clock.sleeperCount, 0)
    }

    func testSleepersWakeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let order = ResilienceBox<[Int]>([])
        let tasks = (1...3).reversed().map { seconds in
            Task {
                try await clock.sleep(for: .seconds(seconds))
                order.update { $0.append(seconds) }
            }
        }
        await clock.waitForSleepers(count: 3)
        clock.advance(by: .seconds(1))
        try await boundedValue(tasks[2])
        clock.advance(by: .seconds(1))
        try await boundedValue(tasks[1])
        clock.advance(by: .seconds(5))
        try await boundedValue(tasks[0])
        XCTAssertEqual(order.value, [1, 2, 3])
    }

    func testPastDeadlineReturnsAtOnce() async throws {
        let clock = ManualClock()
        try await clock.sleep(until: clock.now)
        try await clock.sleep(for: .zero)
        XCTAssertEqual(clock.sleeperCount, 0)
    }

    func testCancellationWakesASleeperWithCancellationError() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(count: 1)
        sleeper.cancel()
        do {
            try await boundedValue(sleeper)
            XCTFail("a cancelled sleep must throw")
        } catch {
            XCTAssertTrue(error is CancellationError)
        }
        XCTAssertEqual(clock.sleeperCount, 0)
    }

    func testAlreadyCancelledTaskDoesNotSleep() async {
        let clock = ManualClock()
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(60))
        }
        let result = await boundedResult(sleeper)
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError) }
        XCTAssertEqual(clock.sleeperCount, 0)
    }
}
