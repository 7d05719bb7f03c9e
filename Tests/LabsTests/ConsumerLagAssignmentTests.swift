import XCTest

@testable import Labs

/// Week 45's group assignment: every member computes the same owners from the same heartbeats,
/// each partition has exactly one owner, and members beyond the partition count own nothing.
final class ConsumerLagAssignmentTests: XCTestCase {
    func testRoundRobinGivesEveryPartitionOneOwner() {
        let members = ["consumer-1", "consumer-2", "consumer-3"]
        let owned = PartitionAssignment.assign(partitions: 4, members: members)
        XCTAssertEqual(owned["consumer-1"], [0, 3])
        XCTAssertEqual(owned["consumer-2"], [1])
        XCTAssertEqual(owned["consumer-3"], [2])
        XCTAssertEqual(owned.values.flatMap { $0 }.sorted(), [0, 1, 2, 3])
    }

    func testOneMemberOwnsEverything() {
        XCTAssertEqual(PartitionAssignment.assign(partitions: 4, members: ["consumer-1"])["consumer-1"], [0, 1, 2, 3])
        XCTAssertEqual(PartitionAssignment.idleMembers(partitions: 4, members: ["consumer-1"]), [])
    }

    func testMembersBeyondThePartitionCountIdle() {
        let members = (1...8).map { "consumer-\($0)" }
        XCTAssertEqual(
            PartitionAssignment.idleMembers(partitions: 4, members: members), ["consumer-5", "consumer-6", "consumer-7", "consumer-8"])
        XCTAssertEqual(PartitionAssignment.idleMembers(partitions: 4, members: Array(members.prefix(4))), [])
    }

    func testNoMembersNoOwners() {
        XCTAssertTrue(PartitionAssignment.assign(partitions: 4, members: []).isEmpty)
    }

    func testLiveMembersDropExpiredHeartbeatsAndSortNaturally() {
        let heartbeats = ["consumer-10": 9_000.0, "consumer-2": 9_500, "consumer-1": 7_000, "consumer-3": 10_000]
        // consumer-1's last heartbeat is 3 s old: out of a group with a 1.5 s session timeout.
        XCTAssertEqual(
            PartitionAssignment.liveMembers(heartbeats: heartbeats, now: 10_000, sessionTimeoutMs: 1_500),
            ["consumer-2", "consumer-3", "consumer-10"])
    }

    func testEveryMemberComputesTheSameAssignmentWhateverTheOrderItReadsIn() {
        let forward = PartitionAssignment.assign(partitions: 4, members: ["consumer-1", "consumer-2"])
        let live = PartitionAssignment.liveMembers(heartbeats: ["consumer-2": 1, "consumer-1": 1], now: 1, sessionTimeoutMs: 10)
        XCTAssertEqual(PartitionAssignment.assign(partitions: 4, members: live), forward)
    }

    func testMessagesSpreadEvenlyOverPartitions() {
        let counts = Dictionary(grouping: 1...400, by: { Topic.partition(of: $0, partitions: 4) }).mapValues(\.count)
        XCTAssertEqual(counts, [0: 100, 1: 100, 2: 100, 3: 100])
    }
}
