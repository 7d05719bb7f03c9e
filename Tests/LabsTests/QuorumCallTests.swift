import Synchronization
import XCTest

@testable import Labs

/// Week 46's quorum: ask replicas until R (or W) answered, another replica for each one that fails,
/// and the overlap R + W > N that makes every read see the newest acknowledged write.
final class QuorumCallTests: XCTestCase {
    func testAnswersFromTheFirstReplicasWhenAllAnswer() async {
        let asked = Mutex<[Int]>([])
        let outcome = await QuorumCall.gather(needed: 3, order: [4, 0, 2, 1, 3]) { replica in
            asked.withLock { $0.append(replica) }
            return replica
        }
        XCTAssertEqual(Set(outcome.answers.map(\.replica)), [4, 0, 2])
        XCTAssertEqual(outcome.failed, [])
        XCTAssertEqual(Set(asked.withLock { $0 }), [4, 0, 2], "no more replicas are asked than the quorum needs")
    }

    func testAsksAnotherReplicaForEachOneThatFails() async {
        let down: Set<Int> = [3, 4]
        let outcome = await QuorumCall.gather(needed: 3, order: [3, 0, 4, 1, 2]) { replica in
            down.contains(replica) ? nil : replica
        }
        XCTAssertEqual(Set(outcome.answers.map(\.replica)), [0, 1, 2])
        XCTAssertEqual(Set(outcome.failed), down)
    }

    func testQuorumNotReachedWhenTooFewAnswer() async {
        let outcome = await QuorumCall.gather(needed: 4, order: [0, 1, 2, 3, 4]) { replica in
            replica >= 3 ? nil : replica
        }
        XCTAssertEqual(outcome.answers.count, 3)
        XCTAssertEqual(Set(outcome.failed), [3, 4])
    }

    /// Every write quorum of size W and every read quorum of size R of 5 replicas share a replica
    /// exactly when R + W > 5 (checked over every pair of subsets).
    func testQuorumsOverlapExactlyWhenRPlusWExceedsN() {
        let n = 5
        let subsets = (0..<(1 << n)).map { mask in Set((0..<n).filter { mask & (1 << $0) != 0 }) }
        for r in 1...n {
            for w in 1...n {
                let overlapAlways = subsets.filter { $0.count == r }.allSatisfy { read in
                    subsets.filter { $0.count == w }.allSatisfy { !read.isDisjoint(with: $0) }
                }
                XCTAssertEqual(overlapAlways, r + w > n, "R=\(r) W=\(w)")
            }
        }
    }

    func testAReplicaKeepsTheNewestVersion() {
        let store = QuorumStore()
        XCTAssertEqual(store.write("k", version: 2, value: "two", source: "quorum"), 2)
        XCTAssertEqual(store.write("k", version: 1, value: "one", source: "propagation"), 2, "a late, older write is superseded")
        XCTAssertEqual(store.read("k").value, "two")
        XCTAssertEqual(store.read("missing").version, 0)
    }
}
