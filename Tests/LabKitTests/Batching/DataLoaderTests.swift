import Synchronization
import XCTest

@testable import LabKit

final class DataLoaderTests: XCTestCase {
    /// What a batch function saw: every batch's keys, in order.
    final class Batches: Sendable {
        private let seen = Mutex<[[Int]]>([])
        func record(_ keys: [Int]) { seen.withLock { $0.append(keys) } }
        var all: [[Int]] { seen.withLock { $0 } }
    }

    struct Boom: Error, Equatable {}

    /// A quiet window generous enough for a busy machine: the test is about batching, not timing.
    func makeLoader(_ batches: Batches, maxBatchSize: Int = 1_000, fail: Bool = false) -> DataLoader<Int, String> {
        DataLoader(name: "test", quiet: .milliseconds(200), maxWait: .seconds(5), maxBatchSize: maxBatchSize) { keys in
            batches.record(keys)
            if fail { throw Boom() }
            // Odd keys exist, even keys do not.
            return Dictionary(uniqueKeysWithValues: keys.filter { $0 % 2 == 1 }.map { ($0, "value \($0)") })
        }
    }

    func testConcurrentLoadsBecomeOneBatchWithEachKeyOnce() async throws {
        let batches = Batches()
        let loader = makeLoader(batches)
        // 100 loads of 50 keys (each asked twice), as 100 list items' resolvers would.
        let values = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for item in 0..<100 { group.addTask { (item, try await loader.load(item % 50)) } }
            var values: [Int: String?] = [:]
            for try await (item, value) in group { values[item] = value }
            return values
        }
        XCTAssertEqual(batches.all.count, 1, "one batch for all of them: \(batches.all)")
        XCTAssertEqual(batches.all.first.map { Set($0) }, Set(0..<50))
        XCTAssertEqual(batches.all.first?.count, 50, "a key asked for twice is sent once")
        XCTAssertEqual(values[7] ?? nil, "value 7")
        XCTAssertEqual(values[57] ?? nil, "value 7", "the second ask of a key gets the same value")
        XCTAssertNil(values[8] ?? nil, "a key the batch has no value for is nil")
        XCTAssertEqual(loader.batchCount, 1)

        // The loader caches: asking again sends nothing.
        let again = try await loader.load(7)
        XCTAssertEqual(again, "value 7")
        XCTAssertEqual(batches.all.count, 1)
    }

    func testAFailedBatchFailsEveryWaiterAndIsNotRetriedWithinTheLoader() async throws {
        let batches = Batches()
        let loader = makeLoader(batches, fail: true)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for key in 0..<10 {
                group.addTask {
                    do {
                        _ = try await loader.load(key)
                        return false
                    } catch {
                        return error is Boom
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes, Array(repeating: true, count: 10), "every waiter gets the batch's error")
        XCTAssertEqual(batches.all.count, 1)
        do {
            _ = try await loader.load(3)
            XCTFail("the failure is cached for the request")
        } catch {
            XCTAssertTrue(error is Boom)
        }
        XCTAssertEqual(batches.all.count, 1)
    }

    func testPrefetchSendsAListsKeysAsOneBatch() async throws {
        let batches = Batches()
        let loader = makeLoader(batches)
        loader.prefetch(Array(1...30))
        var values: [String?] = []
        for key in [1, 2, 29] { values.append(try await loader.load(key)) } // one by one, as slow resolvers ask
        XCTAssertEqual(values, ["value 1", nil, "value 29"])
        XCTAssertEqual(batches.all, [Array(1...30)])
    }

    func testMaxBatchSizeSplitsABatch() async throws {
        let batches = Batches()
        let loader = makeLoader(batches, maxBatchSize: 10)
        loader.prefetch(Array(0..<25))
        let values = try await loader.loadMany([0, 11, 24])
        XCTAssertEqual(values, [nil, "value 11", nil])
        XCTAssertEqual(batches.all.map(\.count), [10, 10, 5])
        XCTAssertEqual(batches.all.flatMap { $0 }, Array(0..<25), "in the order asked")
    }
}
