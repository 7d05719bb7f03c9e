import LabKit
import XCTest

@testable import Labs

/// Week 39's detector: Space-Saving's guarantees (a heavy key is always kept, `count - error` never
/// overstates it, memory is fixed) on a stream of many keys, and where the salted copies land.
final class HotPartitionSketchTests: XCTestCase {
    func testAHeavyKeyIsFoundAndItsGuaranteedCountIsALowerBound() {
        var sketch = HotPartitionSketch(capacity: 8)
        var generator = SeededRandomNumberGenerator(seed: 39)
        var truth: [String: Int] = [:]
        for _ in 0..<10_000 {
            let key =
                Double.random(in: 0..<1, using: &generator) < 0.3 ? "celebrity" : "user-\(Int.random(in: 1...2_000, using: &generator))"
            truth[key, default: 0] += 1
            sketch.record(key)
        }
        XCTAssertEqual(sketch.total, 10_000)
        let top = sketch.top(8)
        XCTAssertEqual(top.count, 8, "the memory is the capacity, whatever the 2,000 keys")
        XCTAssertEqual(top.first?.key, "celebrity")
        for counter in top {
            XCTAssertLessThanOrEqual(counter.guaranteed, truth[counter.key] ?? 0, "\(counter.key): the guaranteed count is a lower bound")
            XCTAssertGreaterThanOrEqual(counter.count, truth[counter.key] ?? 0, "\(counter.key): the count is an upper bound")
        }
        // The celebrity's share is about 0.3; no other key is certain to have even 1 %.
        XCTAssertGreaterThan(Double(top[0].guaranteed) / 10_000, 0.25)
        XCTAssertTrue(top.dropFirst().allSatisfy { Double($0.guaranteed) / 10_000 < 0.01 })
    }

    func testTheDetectorFlagsOnlyAKeyAboveTheThresholdInAClosedWindow() {
        let detector = HotKeyDetector(counters: 32, threshold: 0.2, minimumRequests: 20)
        for index in 0..<100 { detector.record(index % 2 == 0 ? "user-1" : "user-\(index)") }
        let window = detector.closeWindow()
        XCTAssertEqual(window.total, 100)
        XCTAssertEqual(window.hot, ["user-1"])
        XCTAssertEqual(detector.closeWindow().total, 0, "a closed window starts the next one empty")
        XCTAssertEqual(detector.lastWindow.hot, [], "too few requests to call anything hot")
    }

    func testSaltedCopiesLandOnDistinctShards() {
        let clients = (1...4).map { PeerClient(name: "shard", baseURL: "http://127.0.0.1:\(9_000 + $0)") }
        let table = ShardTable(clients: clients)
        let salting = HotKeySalting(table: table, copies: 4)
        for key in ["user-1", "user-2", "sku-42"] {
            let copies = salting.placement(of: key)
            XCTAssertEqual(copies.first?.key, key, "copy 0 is the key on its home shard")
            XCTAssertEqual(copies.first?.shard, table.shard(of: key))
            XCTAssertEqual(Set(copies.map(\.shard)).count, 4, "\(key): one copy per shard")
            XCTAssertEqual(copies.map(\.key), salting.placement(of: key).map(\.key), "the placement is deterministic")
        }
    }
}
