import XCTest

@testable import LabKit

/// Streams and consumer groups against a real redis-server: delivery, acknowledgement, what stays
/// pending when a consumer dies, and how another consumer claims it.
final class RedisStreamTests: RedisServerTestCase {
    func testStreamIDsOrderAsNumbersNotText() {
        let nine = RedisStreamID("9-0")!
        let ten = RedisStreamID("10-0")!
        XCTAssertLessThan(nine, ten)
        XCTAssertLessThan(RedisStreamID("10-1")!, RedisStreamID("10-2")!)
        XCTAssertEqual(RedisStreamID("1700000000000"), RedisStreamID(milliseconds: 1_700_000_000_000, sequence: 0))
        XCTAssertEqual(RedisStreamID("5-3")?.description, "5-3")
        XCTAssertNil(RedisStreamID("x-1"))
        XCTAssertNil(RedisStreamID("1-2-3"))
        XCTAssertNil(RedisStreamID(""))
    }

    func testAddRangeLengthAndTrim() async throws {
        let redis = try makeClient()
        var ids: [RedisStreamID] = []
        for n in 0..<5 {
            ids.append(try await redis.xadd("events", fields: [("n", RedisArgument(n)), ("kind", "view")]))
        }
        XCTAssertEqual(ids, ids.sorted(), "ids grow")
        let length = try await redis.xlen("events")
        XCTAssertEqual(length, 5)
        let all = try await redis.xrange("events")
        XCTAssertEqual(all.map(\.id), ids)
        XCTAssertEqual(all[2]["n"], "2")
        XCTAssertEqual(all[2].fields, [.init("n", "2"), .init("kind", "view")], "fields keep their order")
        let middle = try await redis.xrange("events", from: ids[1], to: ids[3], count: 2)
        XCTAssertEqual(middle.map(\.id), [ids[1], ids[2]])

        let explicit = try await redis.xadd("manual", id: .explicit(RedisStreamID(milliseconds: 42, sequence: 7)), fields: [("a", "b")])
        XCTAssertEqual(explicit.description, "42-7")
        await assertThrowsRedisError(try await redis.xadd("manual", id: .explicit(RedisStreamID(milliseconds: 1)), fields: [("a", "b")])) {
            XCTAssertEqual($0.serverErrorCode, "ERR", "an id not above the last one is refused")
        }
        await assertThrowsRedisError(try await redis.xadd("manual", fields: [])) {
            guard case .invalidArgument = $0 else { return XCTFail("\($0)") }
        }

        let trimmed = try await redis.xtrim("events", .maxLength(2, approximate: false))
        XCTAssertEqual(trimmed, 3)
        let capped = try await redis.xadd("events", fields: [("n", "5")], trim: .maxLength(2, approximate: false))
        let left = try await redis.xrange("events")
        XCTAssertEqual(left.map(\.id), [ids[4], capped])
        let deleted = try await redis.xdel("events", [ids[4], RedisStreamID(milliseconds: 1)])
        XCTAssertEqual(deleted, 1)
    }

    func testGroupDeliversEachEntryOnceAndKeepsItPendingUntilAcked() async throws {
        let redis = try makeClient()
        let created = try await redis.xgroupCreate("jobs", group: "workers")
        XCTAssertTrue(created, "MKSTREAM creates the stream with the group")
        let again = try await redis.xgroupCreate("jobs", group: "workers")
        XCTAssertFalse(again, "BUSYGROUP: every consumer may call it at start")
        for n in 0..<6 { try await redis.xadd("jobs", fields: [("job", RedisArgument(n))]) }

        let forA = try await redis.xreadgroup(group: "workers", consumer: "a", from: "jobs", count: 4)
        let forB = try await redis.xreadgroup(group: "workers", consumer: "b", from: "jobs", count: 4)
        XCTAssertEqual(forA.map { $0["job"] }, ["0", "1", "2", "3"])
        XCTAssertEqual(forB.map { $0["job"] }, ["4", "5"], "each entry goes to one consumer of the group")
        let nothingNew = try await redis.xreadgroup(group: "workers", consumer: "a", from: "jobs")
        XCTAssertEqual(nothingNew, [])

        let summary = try await redis.xpending("jobs", group: "workers")
        XCTAssertEqual(summary.count, 6)
        XCTAssertEqual(summary.consumers, ["a": 4, "b": 2])
        XCTAssertEqual(summary.smallestID, forA.first?.id)
        XCTAssertEqual(summary.greatestID, forB.last?.id)

        let acked = try await redis.xack("jobs", group: "workers", forA.map(\.id) + [forA[0].id])
        XCTAssertEqual(acked, 4, "an id acknowledged twice counts once")
        let afterAck = try await redis.xpending("jobs", group: "workers")
        XCTAssertEqual(afterAck.count, 2)
        XCTAssertEqual(afterAck.consumers, ["b": 2])

        // What b re-reads after a restart: its own pending entries, from id 0.
        let bAgain = try await redis.xreadgroup(group: "workers", consumer: "b", from: "jobs", position: .allPending)
        XCTAssertEqual(bAgain.map(\.id), forB.map(\.id))
        let detail = try await redis.xpendingEntries("jobs", group: "workers", count: 10)
        XCTAssertEqual(detail.map(\.id), forB.map(\.id))
        XCTAssertEqual(detail.map(\.consumer), ["b", "b"])
        XCTAssertEqual(detail.map(\.deliveries), [2, 2], "the re-read delivered them a second time")
        let onlyA = try await redis.xpendingEntries("jobs", group: "workers", count: 10, consumer: "a")
        XCTAssertEqual(onlyA, [])
    }

    func testAnotherConsumerClaimsTheWorkOfADeadOne() async throws {
        let redis = try makeClient()
        try await redis.xgroupCreate("writes", group: "flushers")
        var ids: [RedisStreamID] = []
        for n in 0..<5 { ids.append(try await redis.xadd("writes", fields: [("value", RedisArgument(n))])) }
        // "dead" reads everything and never acknowledges (killed mid-batch).
        let taken = try await redis.xreadgroup(group: "flushers", consumer: "dead", from: "writes", count: 10)
        XCTAssertEqual(taken.count, 5)

        // Too fresh: a claim with a long minimum idle time takes nothing from a consumer that may be alive.
        let tooSoon = try await redis.xautoclaim("writes", group: "flushers", consumer: "rescuer", minIdle: .seconds(60))
        XCTAssertEqual(tooSoon.claimed, [])
        try await Task.sleep(for: .milliseconds(150))

        let claimedTwo = try await redis.xclaim(
            "writes", group: "flushers", consumer: "rescuer", minIdle: .milliseconds(100), ids: [ids[0], ids[1]])
        XCTAssertEqual(claimedTwo.map(\.id), [ids[0], ids[1]])
        XCTAssertEqual(claimedTwo[1]["value"], "1")

        // One pending entry is deleted from the stream before anyone claims it.
        try await redis.xdel("writes", [ids[3]])
        let rest = try await redis.xautoclaim("writes", group: "flushers", consumer: "rescuer", minIdle: .milliseconds(100), count: 10)
        XCTAssertEqual(rest.claimed.map(\.id), [ids[2], ids[4]])
        XCTAssertEqual(rest.deletedIDs, [ids[3]], "a deleted pending entry is reported and dropped from the pending list")
        XCTAssertEqual(rest.nextStart, .zero, "the whole pending list was scanned")

        let pending = try await redis.xpending("writes", group: "flushers")
        XCTAssertEqual(pending.consumers, ["rescuer": 4])
        let deliveries = try await redis.xpendingEntries("writes", group: "flushers", count: 10, consumer: "rescuer")
        XCTAssertEqual(deliveries.map(\.deliveries), [2, 2, 2, 2])
        XCTAssertTrue(deliveries.allSatisfy { $0.idle < .seconds(5) }, "a claim resets the idle time")
        let onlyIdle = try await redis.xpendingEntries("writes", group: "flushers", count: 10, minIdle: .seconds(60))
        XCTAssertEqual(onlyIdle, [])
        let acked = try await redis.xack("writes", group: "flushers", claimedTwo.map(\.id) + rest.claimed.map(\.id))
        XCTAssertEqual(acked, 4)
        let none = try await redis.xpending("writes", group: "flushers")
        XCTAssertEqual(none.count, 0)
        XCTAssertNil(none.smallestID)
        XCTAssertEqual(none.consumers, [:])
    }

    func testBlockingReadWaitsForANewEntryOrReturnsEmpty() async throws {
        let redis = try makeClient(commandTimeout: .seconds(2))
        try await redis.xgroupCreate("inbox", group: "g")
        let start = ContinuousClock.now
        let empty = try await redis.xreadgroup(group: "g", consumer: "c", from: "inbox", block: .milliseconds(300))
        XCTAssertEqual(empty, [])
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(250), "it really waited")

        async let woken = redis.xreadgroup(group: "g", consumer: "c", from: "inbox", block: .milliseconds(1500))
        try await Task.sleep(for: .milliseconds(200))
        let id = try await redis.xadd("inbox", fields: [("hello", "world")])
        let delivered = try await woken
        XCTAssertEqual(delivered.map(\.id), [id])

        // A wait the socket timeout would cut short is refused before it is sent.
        await assertThrowsRedisError(
            try await redis.xreadgroup(group: "g", consumer: "c", from: "inbox", block: .milliseconds(1900))
        ) { error in
            guard case .invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("command timeout"), message)
        }
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
    }

    func testGroupStartingAtTheEndSkipsOlderEntries() async throws {
        let redis = try makeClient()
        try await redis.xadd("log", fields: [("old", "1")])
        try await redis.xgroupCreate("log", group: "late", startingAfter: nil)
        let new = try await redis.xadd("log", fields: [("new", "1")])
        let read = try await redis.xreadgroup(group: "late", consumer: "c", from: "log")
        XCTAssertEqual(read.map(\.id), [new])
        await assertThrowsRedisError(try await redis.xreadgroup(group: "missing", consumer: "c", from: "log")) {
            XCTAssertEqual($0.serverErrorCode, "NOGROUP")
        }
    }
}
