import Foundation
import XCTest

@testable import LabKit

final class BlockingExecutorTests: XCTestCase {
    func testBlockingWorkRunsOffTheCooperativePoolAndAFullExecutorRejectsAtOnce() async throws {
        let metrics = ResilienceTestMetrics()
        let executor = BlockingExecutor(name: "legacy", threads: 1, metricsFactory: metrics)
        addTeardownBlock { try? await executor.shutdown() }
        let blocked = Task {
            try await executor.run { () -> String in
                usleep(400_000) // a blocking call: the thread can do nothing else meanwhile
                return "done"
            }
        }
        try await eventually { executor.inUseForTests == 1 }
        // Every cooperative thread is free: many tasks can still sleep and wake on time.
        let (_, seconds) = await timed {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<(ProcessInfo.processInfo.activeProcessorCount * 4) {
                    group.addTask { try? await Task.sleep(for: .milliseconds(20)) }
                }
            }
        }
        XCTAssertLessThan(seconds, 0.3, "the cooperative pool was not blocked")
        do {
            _ = try await executor.run { "second" }
            XCTFail("the only thread is busy and nothing may wait")
        } catch let error as BulkheadFullError {
            XCTAssertEqual(error.reason, .queueFull)
        }
        XCTAssertEqual(metrics.counter("bulkhead_rejected_total", ["name": "legacy", "reason": "queue_full"]), 1)
        let first = try await blocked.value
        XCTAssertEqual(first, "done")
        let again = try await executor.run { "again" }
        XCTAssertEqual(again, "again")
    }

    func testCallsMayQueueForAThread() async throws {
        let executor = BlockingExecutor(name: "q", threads: 1, maxQueue: 1, maxWait: .seconds(5), metricsFactory: ResilienceTestMetrics())
        addTeardownBlock { try? await executor.shutdown() }
        async let first = executor.run { () -> Int in
            usleep(100_000)
            return 1
        }
        try await Task.sleep(for: .milliseconds(20))
        async let second = executor.run { 2 }
        let results = try await [first, second]
        XCTAssertEqual(results, [1, 2])
    }
}
