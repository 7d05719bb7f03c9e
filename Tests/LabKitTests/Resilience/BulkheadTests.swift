import XCTest

@testable import LabKit

final class BulkheadTests: XCTestCase {
    func testRejectsAtOnceWhenFullAndWaitingIsNotAllowed() async throws {
        let metrics = ResilienceTestMetrics()
        let bulkhead = Bulkhead(
            name: "db", configuration: .init(maxConcurrentCalls: 2), clock: ManualClock(), metricsFactory: metrics)
        let first = try await bulkhead.acquire()
        _ = try await bulkhead.acquire()
        XCTAssertEqual(bulkhead.inUse, 2)
        XCTAssertEqual(metrics.value("bulkhead_in_use", ["name": "db"]), 2)
        do {
            _ = try await bulkhead.acquire()
            XCTFail("a third call must be rejected")
        } catch let error as BulkheadFullError {
            XCTAssertEqual(error.reason, .queueFull)
        }
        XCTAssertEqual(metrics.counter("bulkhead_rejected_total", ["name": "db", "reason": "queue_full"]), 1)
        bulkhead.release(first)
        _ = try await bulkhead.acquire()
        XCTAssertEqual(bulkhead.inUse, 2)
    }

    func testWaiterIsRejectedAfterMaxWaitDuration() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let bulkhead = Bulkhead(
            name: "db", configuration: .init(maxConcurrentCalls: 1, maxWaitDuration: .seconds(2)), clock: clock,
            metricsFactory: metrics)
        _ = try await bulkhead.acquire()
        let waiter = Task { try await bulkhead.acquire() }
        try await awaitSleepers(clock) // the waiter's timeout timer
        XCTAssertEqual(bulkhead.waiting, 1)
        XCTAssertEqual(metrics.value("bulkhead_waiting", ["name": "db"]), 1)
        clock.advance(by: .milliseconds(1999))
        XCTAssertEqual(bulkhead.waiting, 1, "still within its wait")
        clock.advance(by: .milliseconds(1))
        let result = await boundedResult(waiter)
        XCTAssertThrowsError(try result.get()) { XCTAssertEqual(($0 as? BulkheadFullError)?.reason, .waitTimedOut) }
        XCTAssertEqual(bulkhead.waiting, 0)
        XCTAssertEqual(bulkhead.inUse, 1)
        XCTAssertEqual(metrics.counter("bulkhead_rejected_total", ["name": "db", "reason": "wait_timeout"]), 1)
    }

    func testReleaseHandsTheSlotToTheLongestWaiter() async throws {
        let clock = ManualClock()
        let bulkhead = Bulkhead(
            name: "db", configuration: .init(maxConcurrentCalls: 1, maxWaitDuration: .seconds(60)), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let holder = try await bulkhead.acquire()
        let order = ResilienceBox<[Int]>([])
        var waiters: [Task<Void, any Error>] = []
        for index in 1...3 {
            waiters.append(
                Task {
                    let permit = try await bulkhead.acquire()
                    order.update { $0.append(index) }
                    bulkhead.release(permit)
                })
            try await eventually { bulkhead.waiting == index } // queue them in a known order
        }
        bulkhead.release(holder)
        for waiter in waiters { try await boundedValue(waiter) }
        XCTAssertEqual(order.value, [1, 2, 3], "FIFO")
        XCTAssertEqual(bulkhead.inUse, 0)
        XCTAssertEqual(bulkhead.waiting, 0)
        XCTAssertEqual(clock.sleeperCount, 0, "granted waiters cancel their timeout timers")
    }

    func testQueueLengthIsBounded() async throws {
        let clock = ManualClock()
        let bulkhead = Bulkhead(
            name: "q", configuration: .init(maxConcurrentCalls: 1, maxWaitDuration: .seconds(5), maxQueueLength: 1), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let holder = try await bulkhead.acquire()
        let queued = Task { try await bulkhead.acquire() }
        try await eventually { bulkhead.waiting == 1 }
        do {
            _ = try await bulkhead.acquire()
            XCTFail("the queue holds one")
        } catch let error as BulkheadFullError {
            XCTAssertEqual(error.reason, .queueFull)
        }
        bulkhead.release(holder)
        _ = try await boundedValue(queued)
        XCTAssertEqual(bulkhead.inUse, 1)
    }

    func testExecuteLimitsConcurrencyAndReleasesOnError() async throws {
        let clock = ManualClock()
        let bulkhead = Bulkhead(
            name: "x", configuration: .init(maxConcurrentCalls: 2), clock: clock, metricsFactory: ResilienceTestMetrics())
        // Two calls park on the clock inside the bulkhead; a third is rejected.
        let running = (1...2).map { _ in Task { try await bulkhead.execute { try await clock.sleep(for: .seconds(1)) } } }
        try await awaitSleepers(clock, 2)
        do {
            try await bulkhead.execute {}
            XCTFail("expected rejection")
        } catch is BulkheadFullError {}
        clock.advance(by: .seconds(1))
        for task in running { try await boundedValue(task) }
        do { try await bulkhead.execute { throw ResilienceTestError() } } catch is ResilienceTestError {}
        XCTAssertEqual(bulkhead.inUse, 0, "the failed call gave its slot back")
    }

    func testCancelledWaiterLeavesTheQueue() async throws {
        let clock = ManualClock()
        let bulkhead = Bulkhead(
            name: "c", configuration: .init(maxConcurrentCalls: 1, maxWaitDuration: .seconds(5)), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let holder = try await bulkhead.acquire()
        let waiter = Task { try await bulkhead.acquire() }
        try await eventually { bulkhead.waiting == 1 }
        waiter.cancel()
        let result = await boundedResult(waiter)
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError) }
        XCTAssertEqual(bulkhead.waiting, 0)
        bulkhead.release(holder)
        XCTAssertEqual(bulkhead.inUse, 0, "the slot was not handed to the cancelled waiter")
    }
}
