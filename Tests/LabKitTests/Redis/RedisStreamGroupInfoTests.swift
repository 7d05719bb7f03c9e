import XCTest

@testable import LabKit

/// XINFO GROUPS, XINFO CONSUMERS and XGROUP DELCONSUMER against a real redis-server: the group's
/// pending count and lag as consumers read and acknowledge, and forgetting a dead consumer after its
/// pending entries were claimed.
final class RedisStreamGroupInfoTests: RedisServerTestCase {
    func testGroupInfoCountsPendingAndLag() async throws {
        let redis = try makeClient()
        try await redis.xgroupCreate("writes", group: "flushers")
        for n in 0..<5 { try await redis.xadd("writes", fields: [("n", RedisArgument(n))]) }

        let fresh = try await redis.xinfoGroups("writes")
        XCTAssertEqual(fresh.map(\.name), ["flushers"])
        XCTAssertEqual(fresh[0].consumers, 0)
        XCTAssertEqual(fresh[0].pending, 0)
        XCTAssertEqual(fresh[0].lag, 5, "nothing delivered yet")

        let read = try await redis.xreadgroup(group: "flushers", consumer: "a", from: "writes", count: 3)
        let afterRead = try await redis.xinfoGroups("writes")
        XCTAssertEqual(afterRead[0].consumers, 1)
        XCTAssertEqual(afterRead[0].pending, 3)
        XCTAssertEqual(afterRead[0].lag, 2)
        XCTAssertEqual(afterRead[0].lastDeliveredID, read.last?.id)

        try await redis.xack("writes", group: "flushers", read.map(\.id))
        let afterAck = try await redis.xinfoGroups("writes")
        XCTAssertEqual(afterAck[0].pending, 0, "acknowledged entries leave the pending list")
        XCTAssertEqual(afterAck[0].lag, 2, "acknowledging does not deliver anything")

        await assertThrowsRedisError(try await redis.xinfoGroups("no-such-stream")) {
            XCTAssertEqual($0.serverErrorCode, "ERR")
        }
    }

    func testDeadConsumerIsForgottenAfterItsWorkWasClaimed() async throws {
        let redis = try makeClient()
        try await redis.xgroupCreate("writes", group: "flushers")
        for n in 0..<4 { try await redis.xadd("writes", fields: [("n", RedisArgument(n))]) }
        _ = try await redis.xreadgroup(group: "flushers", consumer: "dead", from: "writes", count: 4)
        try await Task.sleep(for: .milliseconds(120))

        var consumers = try await redis.xinfoConsumers("writes", group: "flushers")
        XCTAssertEqual(consumers.map(\.name), ["dead"])
        XCTAssertEqual(consumers[0].pending, 4)
        XCTAssertGreaterThanOrEqual(consumers[0].idle, .milliseconds(100), "idle since its read")

        let claimed = try await redis.xautoclaim("writes", group: "flushers", consumer: "rescuer", minIdle: .milliseconds(100))
        XCTAssertEqual(claimed.claimed.count, 4)
        consumers = try await redis.xinfoConsumers("writes", group: "flushers")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: consumers.map { ($0.name, $0.pending) }), ["dead": 0, "rescuer": 4])

        let dropped = try await redis.xgroupDelConsumer("writes", group: "flushers", consumer: "dead")
        XCTAssertEqual(dropped, 0, "its work was claimed first: nothing is dropped with it")
        consumers = try await redis.xinfoConsumers("writes", group: "flushers")
        XCTAssertEqual(consumers.map(\.name), ["rescuer"])
        let group = try await redis.xinfoGroups("writes")
        XCTAssertEqual(group[0].consumers, 1)
        XCTAssertEqual(group[0].pending, 4)
    }

    func testDeletingAConsumerWithPendingEntriesDropsThem() async throws {
        let redis = try makeClient()
        try await redis.xgroupCreate("writes", group: "flushers")
        for n in 0..<3 { try await redis.xadd("writes", fields: [("n", RedisArgument(n))]) }
        _ = try await redis.xreadgroup(group: "flushers", consumer: "dead", from: "writes", count: 3)
        let dropped = try await redis.xgroupDelConsumer("writes", group: "flushers", consumer: "dead")
        XCTAssertEqual(dropped, 3, "the trap: its unacknowledged entries are gone from the pending list")
        let pending = try await redis.xpending("writes", group: "flushers")
        XCTAssertEqual(pending.count, 0)
        let reclaimed = try await redis.xautoclaim("writes", group: "flushers", consumer: "rescuer", minIdle: .zero)
        XCTAssertEqual(reclaimed.claimed, [], "nobody can claim them any more")
    }
}
