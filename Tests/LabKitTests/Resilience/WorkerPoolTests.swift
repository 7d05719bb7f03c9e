import XCTest

@testable import LabKit

final class WorkerPoolTests: XCTestCase {
    /// Queues `count` tasks one after another (each is in the queue before the next starts); each
    /// appends its tag to `served` when it gets a worker and gives the worker back at once.
    private func queue(
        _ tags: [String], on pool: WorkerPool<ManualClock>, priority: (String) -> RequestPriority = { _ in .normal },
        served: ResilienceBox<[String]>
    ) async throws -> [Task<Void, any Error>] {
        var tasks: [Task<Void, any Error>] = []
        for tag in tags {
            let before = pool.queueLength
            let level = priority(tag)
            tasks.append(
                Task {
                    let permit = try await pool.acquire(priority: level)
                    served.update { $0.append(tag) }
                    pool.release(permit)
                })
            try await eventually { pool.queueLength == before + 1 }
        }
        return tasks
    }

    private func results(_ tasks: [Task<Void, any Error>]) async -> [Result<Void, any Error>] {
        var out: [Result<Void, any Error>] = []
        for task in tasks { out.append(await boundedResult(task)) }
        return out
    }

    func testUnboundedFIFOServesEveryoneInArrivalOrder() async throws {
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(name: "w", configuration: .init(workers: 1), clock: ManualClock(), metricsFactory: metrics)
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["a", "b", "c"], on: pool, served: served)
        XCTAssertEqual(metrics.value("worker_pool_queue_length", ["name": "w"]), 3)
        XCTAssertEqual(metrics.value("worker_pool_busy", ["name": "w"]), 1)
        pool.release(holder)
        for result in await results(tasks) { XCTAssertNoThrow(try result.get()) }
        XCTAssertEqual(served.value, ["a", "b", "c"])
        XCTAssertEqual(pool.busy, 0)
        XCTAssertEqual(metrics.counter("worker_pool_admitted_total", ["name": "w", "priority": "normal"]), 4)
    }

    func testBoundedQueueRejectsAtOnceWhenFull() async throws {
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, maxQueueLength: 1), clock: ManualClock(), metricsFactory: metrics)
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["queued"], on: pool, served: served)
        do {
            _ = try await pool.acquire()
            XCTFail("the queue is full")
        } catch let error as WorkerPoolRejectedError {
            XCTAssertEqual(error.reason, .queueFull)
        }
        XCTAssertEqual(metrics.counter("worker_pool_rejected_total", ["name": "w", "priority": "normal", "reason": "queue_full"]), 1)
        XCTAssertEqual(
            metrics.value("worker_pool_rejected_total", ["name": "w", "priority": "critical", "reason": "expired"]), 0,
            "every series exists from the start")
        pool.release(holder)
        _ = await results(tasks)
        XCTAssertEqual(served.value, ["queued"])
    }

    func testZeroLengthQueueNeverWaits() async throws {
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, maxQueueLength: 0), clock: ManualClock(), metricsFactory: ResilienceTestMetrics())
        _ = try await pool.acquire()
        await XCTAssertThrowsErrorAsync(try await pool.acquire())
    }

    func testLIFOServesTheNewestFirst() async throws {
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, order: .lifo), clock: ManualClock(), metricsFactory: ResilienceTestMetrics())
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["a", "b", "c"], on: pool, served: served)
        pool.release(holder)
        _ = await results(tasks)
        XCTAssertEqual(served.value, ["c", "b", "a"])
    }

    func testAdaptiveLIFOIsFIFOUntilTheQueueStands() async throws {
        for standing in [false, true] {
            let clock = ManualClock()
            let pool = WorkerPool(
                name: "w",
                configuration: .init(workers: 1, order: .adaptiveLIFO, codel: .init(target: .seconds(10), interval: .seconds(10))),
                clock: clock, metricsFactory: ResilienceTestMetrics())
            let holder = try await pool.acquire()
            let served = ResilienceBox<[String]>([])
            let tasks = try await queue(["a", "b", "c", "d"], on: pool, served: served)
            // A queue that has not been empty for a whole interval is standing.
            if standing { clock.advance(by: .seconds(10)) }
            pool.release(holder)
            _ = await results(tasks)
            XCTAssertEqual(
                served.value, standing ? ["d", "c", "b", "a"] : ["a", "b", "c", "d"], standing ? "newest first" : "oldest first")
        }
    }

    func testCoDelDropsRequestsThatWaitedPastTheTargetOnceTheQueueStands() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, codel: .init(target: .milliseconds(5), interval: .milliseconds(100))), clock: clock,
            metricsFactory: metrics)
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let old = try await queue(["old"], on: pool, served: served)
        clock.advance(by: .milliseconds(50))
        let young = try await queue(["young"], on: pool, served: served)
        clock.advance(by: .milliseconds(50)) // 100 ms non-empty: standing; "old" waited 100 ms, "young" 50 ms
        let fresh = Task { // the arrival reaps both, then queues
            let permit = try await pool.acquire()
            served.update { $0.append("fresh") }
            pool.release(permit)
        }
        let oldResult = await results(old)[0]
        let youngResult = await results(young)[0]
        XCTAssertThrowsError(try oldResult.get()) { XCTAssertEqual(($0 as? WorkerPoolRejectedError)?.reason, .expired) }
        XCTAssertThrowsError(try youngResult.get()) { XCTAssertEqual(($0 as? WorkerPoolRejectedError)?.reason, .expired) }
        XCTAssertEqual(metrics.counter("worker_pool_rejected_total", ["name": "w", "priority": "normal", "reason": "expired"]), 2)
        try await eventually { pool.queueLength == 1 }
        pool.release(holder)
        for result in await results([fresh]) { XCTAssertNoThrow(try result.get()) }
        XCTAssertEqual(served.value, ["fresh"], "the only request that had not waited too long")
    }

    func testEachPriorityHasItsOwnStandingQueue() async throws {
        let clock = ManualClock()
        let pool = WorkerPool(
            name: "w",
            configuration: .init(workers: 1, codel: .init(target: .milliseconds(5), interval: .milliseconds(100)), usesPriorities: true),
            clock: clock, metricsFactory: ResilienceTestMetrics())
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let sheddable = try await queue(["s"], on: pool, priority: { _ in .sheddable }, served: served)
        clock.advance(by: .milliseconds(99))
        let critical = try await queue(["c"], on: pool, priority: { _ in .critical }, served: served)
        // Now the sheddable queue has stood for more than an interval; the critical request waited 50 ms,
        // past the target but within the interval, and its own queue is young.
        clock.advance(by: .milliseconds(50))
        let arrival = Task { // an arrival makes the pool look for expired requests
            let permit = try await pool.acquire(priority: .critical)
            served.update { $0.append("c2") }
            pool.release(permit)
        }
        let sheddableResult = await results(sheddable)[0]
        XCTAssertThrowsError(try sheddableResult.get()) { XCTAssertEqual(($0 as? WorkerPoolRejectedError)?.reason, .expired) }
        try await eventually { pool.queueLength == 2 }
        XCTAssertEqual(served.value, [], "the critical one is still queued: its own queue has not stood for an interval")
        pool.release(holder)
        for result in await results(critical + [arrival]) { XCTAssertNoThrow(try result.get()) }
        XCTAssertEqual(Set(served.value), ["c", "c2"])
    }

    func testCoDelAllowsTheIntervalWhileTheQueueStillEmpties() async throws {
        let clock = ManualClock()
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, codel: .init(target: .milliseconds(5), interval: .milliseconds(100))), clock: clock,
            metricsFactory: ResilienceTestMetrics())
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["a"], on: pool, served: served)
        clock.advance(by: .milliseconds(99)) // waited far past the target, but the queue is not standing yet
        pool.release(holder)
        for result in await results(tasks) { XCTAssertNoThrow(try result.get()) }
        XCTAssertEqual(served.value, ["a"])
    }

    func testPrioritiesServeTheMostImportantFirstAndDisplaceTheLeastImportant() async throws {
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, maxQueueLength: 2, usesPriorities: true), clock: ManualClock(),
            metricsFactory: metrics)
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let levels: [String: RequestPriority] = ["s1": .sheddable, "n1": .normal, "c1": .critical]
        let low = try await queue(["s1", "n1"], on: pool, priority: { levels[$0]! }, served: served)
        // The queue is full; the critical arrival pushes out the sheddable one.
        let critical = Task {
            let permit = try await pool.acquire(priority: .critical)
            served.update { $0.append("c1") }
            pool.release(permit)
        }
        let lowResults = await results([low[0]])
        XCTAssertThrowsError(try lowResults[0].get()) { XCTAssertEqual(($0 as? WorkerPoolRejectedError)?.reason, .displaced) }
        XCTAssertEqual(metrics.counter("worker_pool_rejected_total", ["name": "w", "priority": "sheddable", "reason": "displaced"]), 1)
        try await eventually { pool.queueLength == 2 }
        // A normal arrival finds nothing less important to push out.
        await XCTAssertThrowsErrorAsync(try await pool.acquire(priority: .normal))
        pool.release(holder)
        _ = await results([low[1], critical])
        XCTAssertEqual(served.value, ["c1", "n1"])
    }

    func testWithoutPrioritiesEveryoneIsEqual() async throws {
        let pool = WorkerPool(
            name: "w", configuration: .init(workers: 1, maxQueueLength: 1), clock: ManualClock(), metricsFactory: ResilienceTestMetrics())
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["s"], on: pool, priority: { _ in .sheddable }, served: served)
        await XCTAssertThrowsErrorAsync(try await pool.acquire(priority: .critical), "a full queue is full for everyone")
        pool.release(holder)
        _ = await results(tasks)
    }

    func testCancellingAQueuedRequestRemovesIt() async throws {
        let pool = WorkerPool(name: "w", configuration: .init(workers: 1), clock: ManualClock(), metricsFactory: ResilienceTestMetrics())
        let holder = try await pool.acquire()
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["gone", "kept"], on: pool, served: served)
        tasks[0].cancel()
        let cancelled = await boundedResult(tasks[0])
        XCTAssertThrowsError(try cancelled.get()) { XCTAssertTrue($0 is CancellationError) }
        XCTAssertEqual(pool.queueLength, 1)
        pool.release(holder)
        _ = await results([tasks[1]])
        XCTAssertEqual(served.value, ["kept"])
        XCTAssertEqual(pool.busy, 0)
    }

    func testFewerWorkersLetRunningRequestsFinishAndMoreStartQueuedOnes() async throws {
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(name: "w", configuration: .init(workers: 2), clock: ManualClock(), metricsFactory: metrics)
        let first = try await pool.acquire()
        let second = try await pool.acquire()
        pool.setWorkers(1)
        XCTAssertEqual(metrics.value("worker_pool_workers", ["name": "w"]), 1)
        let served = ResilienceBox<[String]>([])
        let tasks = try await queue(["a", "b"], on: pool, served: served)
        pool.release(first)
        XCTAssertEqual(pool.busy, 1, "still one above the new count: nothing starts")
        XCTAssertEqual(served.value, [])
        pool.setWorkers(4)
        _ = await results(tasks)
        XCTAssertEqual(Set(served.value), ["a", "b"])
        pool.release(second)
        XCTAssertEqual(pool.busy, 0)
    }

    func testQueueWaitIsRecordedForAdmittedRequests() async throws {
        let clock = ManualClock()
        let metrics = ResilienceTestMetrics()
        let pool = WorkerPool(name: "w", configuration: .init(workers: 1), clock: clock, metricsFactory: metrics)
        let holder = try await pool.acquire()
        let waiter = Task { try await pool.acquire() }
        try await eventually { pool.queueLength == 1 }
        clock.advance(by: .milliseconds(250))
        pool.release(holder)
        let permit = try await boundedValue(waiter)
        XCTAssertEqual(permit.queued, .milliseconds(250))
        XCTAssertEqual(metrics.value("worker_pool_queue_wait_seconds", ["name": "w"]), 250_000_000, "the last sample, in ns")
    }

    func testPriorityLabels() {
        XCTAssertEqual(RequestPriority(label: "CRITICAL"), .critical)
        XCTAssertEqual(RequestPriority(label: "sheddable"), .sheddable)
        XCTAssertNil(RequestPriority(label: "vip"))
        XCTAssertEqual("\(RequestPriority.normal)", "normal")
    }
}

/// `XCTAssertThrowsError` for an async expression.
func XCTAssertThrowsErrorAsync<T>(
    _ expression: @autoclosure () async throws -> T, _ message: String = "expected an error", file: StaticString = #filePath,
    line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail(message, file: file, line: line)
    } catch {}
}
