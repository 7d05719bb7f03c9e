import LabKit
import XCTest

final class ConsistentHashRingTests: XCTestCase {
    private let keys = (1...20_000).map { "item:\($0)" }

    func testAnEmptyRingOwnsNothing() {
        let ring = ConsistentHashRing<String>()
        XCTAssertNil(ring.node(for: "item:1"))
        XCTAssertEqual(ring.ownership(), [:])
    }

    func testOneNodeOwnsEveryKeyAndTheWholeCircle() {
        let ring = ConsistentHashRing(virtualNodes: 1, nodes: ["cache-1"])
        XCTAssertTrue(keys.prefix(100).allSatisfy { ring.node(for: $0) == "cache-1" })
        XCTAssertEqual(ring.ownership(), ["cache-1": 1])
    }

    /// Two rings with the same members agree on every owner, whatever order the members came in.
    func testOwnersDependOnlyOnTheMembers() {
        let one = ConsistentHashRing(virtualNodes: 50, nodes: ["a", "b", "c"])
        let other = ConsistentHashRing(virtualNodes: 50, nodes: ["c", "a", "b"])
        XCTAssertEqual(keys.map { one.node(for: $0) }, keys.map { other.node(for: $0) })
        XCTAssertEqual(one.tokens.count, 150)
        XCTAssertEqual(one.tokens.map(\.point), one.tokens.map(\.point).sorted())
    }

    /// A key belongs to the first token at or after its point, and past the last token to the first.
    func testLookupIsClockwiseAndWraps() {
        let ring = ConsistentHashRing(virtualNodes: 3, nodes: ["a", "b"])
        let tokens = ring.tokens
        XCTAssertEqual(ring.node(atPoint: tokens[2].point), tokens[2].node)
        XCTAssertEqual(ring.node(atPoint: tokens[2].point + 1), tokens[3].node)
        XCTAssertEqual(ring.node(atPoint: tokens[5].point &+ 1), tokens[0].node)
        XCTAssertEqual(ring.node(atPoint: 0), tokens[0].node)
    }

    /// Adding a fourth node moves only keys to the new node, about a quarter of them.
    func testAddingANodeMovesAboutOneNthOfTheKeysAllToTheNewNode() {
        let before = ConsistentHashRing(virtualNodes: 150, nodes: ["cache-1", "cache-2", "cache-3"])
        var after = before
        XCTAssertTrue(after.add("cache-new"))
        XCTAssertFalse(after.add("cache-new"))
        var moved = 0
        for key in keys where before.node(for: key) != after.node(for: key) {
            moved += 1
            XCTAssertEqual(after.node(for: key), "cache-new")
        }
        let share = Double(moved) / Double(keys.count)
        XCTAssertEqual(share, after.ownership()["cache-new"]!, accuracy: 0.02)
        XCTAssertEqual(share, 0.25, accuracy: 0.06)
    }

    func testRemovingANodeHandsOnlyItsKeysOn() {
        let ring = ConsistentHashRing(virtualNodes: 150, nodes: ["a", "b", "c", "d"])
        var smaller = ring
        XCTAssertTrue(smaller.remove("d"))
        XCTAssertFalse(smaller.remove("d"))
        XCTAssertEqual(smaller.nodes, ["a", "b", "c"])
        for key in keys.prefix(2_000) where ring.node(for: key) != "d" {
            XCTAssertEqual(smaller.node(for: key), ring.node(for: key))
        }
    }

    /// Shares sum to one; many tokens per node even them out, one token per node does not.
    func testVirtualNodesEvenOutTheShares() {
        let names = ["cache-1", "cache-2", "cache-3", "cache-new"]
        let many = ConsistentHashRing(virtualNodes: 150, nodes: names)
        let one = ConsistentHashRing(virtualNodes: 1, nodes: names)
        XCTAssertEqual(many.ownership().values.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(one.ownership().values.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertLessThan(many.imbalance(), 1.2)
        XCTAssertGreaterThan(one.imbalance(), many.imbalance())
        // The keys a node owns follow its share.
        var counts: [String: Int] = [:]
        for key in keys { counts[many.node(for: key)!, default: 0] += 1 }
        for name in names { XCTAssertEqual(Double(counts[name]!) / Double(keys.count), many.ownership()[name]!, accuracy: 0.02) }
    }
}
