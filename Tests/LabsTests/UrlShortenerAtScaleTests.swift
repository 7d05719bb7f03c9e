import LabKit
import Synchronization
import XCTest

@testable import Labs

/// Week 50's own logic: the click batch message, the cache shards found in the environment and
/// placed on the ring, and the coalescer that batches clicks (and deliveries).
final class UrlShortenerAtScaleTests: XCTestCase {
    func testClickBatchRoundTripsAndCountsByCodeInCodeOrder() throws {
        let batch = ClickBatch(batch: "b-1", codes: ["7", "12", "7", "3", "7"])
        XCTAssertEqual(try ClickBatch.decode(try batch.encoded()), batch)
        let counts = batch.countsByCode
        XCTAssertEqual(counts.map(\.code), ["12", "3", "7"])
        XCTAssertEqual(counts.map(\.clicks), [1, 1, 3])
        XCTAssertEqual(counts.reduce(0) { $0 + $1.clicks }, batch.codes.count)
    }

    func testShardURLsAreTheNumberedCacheVariablesOnly() {
        let found = ShardedLinkCache.shardURLs([
            "CACHE_1_URL": "redis://127.0.0.1:1", "CACHE_2_URL": "redis://127.0.0.1:2", "CACHE_TTL_URL": "x",
            "CACHE__URL": "y", "LIMITS_URL": "redis://127.0.0.1:3", "CACHE_3_URL": "",
        ])
        XCTAssertEqual(found, ["cache-1": "redis://127.0.0.1:1", "cache-2": "redis://127.0.0.1:2"])
    }

    func testEveryReplicaPlacesACodeOnTheSameShardAndTheShardsShareTheCodes() {
        let names = ["cache-3", "cache-1", "cache-2"]
        let one = ConsistentHashRing<String>(virtualNodes: 150, nodes: names.sorted())
        let other = ConsistentHashRing<String>(virtualNodes: 150, nodes: names.sorted())
        var perShard: [String: Int] = [:]
        for code in (0...2_000).map({ String($0) }) {
            XCTAssertEqual(one.node(for: code), other.node(for: code))
            perShard[one.node(for: code)!, default: 0] += 1
        }
        XCTAssertEqual(Set(perShard.keys), Set(names))
        for count in perShard.values { XCTAssertGreaterThan(count, 2_001 / 3 / 2, "a shard holds far less than its share: \(perShard)") }
    }

    func testCoalescerFlushesWhatGatheredTogetherAndReleasesEachCallerAfterItsFlush() async throws {
        let flushed = Mutex<[[Int]]>([])
        let firstFlushStarted = Mutex(false)
        let gate = AsyncStream<Void>.makeStream()
        let coalescer = Coalescer<Int>(maxBatch: 10) { items in
            // The first flush waits until the other nine callers are queued behind it.
            let isFirst = firstFlushStarted.withLock { started in
                defer { started = true }
                return !started
            }
            if isFirst { for await _ in gate.stream { break } }
            flushed.withLock { $0.append(items) }
        }
        let runner = Task { try await coalescer.run() }
        defer { runner.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coalescer.submit(0) }
            while !firstFlushStarted.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            for item in 1...9 { group.addTask { try await coalescer.submit(item) } }
            while coalescer.waitingCount < 9 { try await Task.sleep(for: .milliseconds(2)) }
            gate.continuation.yield()
            try await group.waitForAll()
        }
        let batches = flushed.withLock { $0 }
        XCTAssertEqual(batches, [[0], batches.last!])
        XCTAssertEqual(batches.last!.sorted(), Array(1...9), "the nine that waited during the first flush form one batch")
    }

    func testCoalescerHandsTheFlushErrorToEveryCallerOfThatBatch() async throws {
        struct Refused: Error {}
        let coalescer = Coalescer<Int>(maxBatch: 5) { _ in throw Refused() }
        let runner = Task { try await coalescer.run() }
        defer { runner.cancel() }
        do {
            try await coalescer.submit(1)
            XCTFail("the flush failed: the caller must hear it")
        } catch is Refused {}
    }
}
