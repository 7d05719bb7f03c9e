import XCTest

@testable import LabKit

/// Sets, hashes, lists and the sorted-set rank commands against a real redis-server; each effect is
/// checked through a second command.
final class RedisCollectionTests: RedisServerTestCase {
    func testSets() async throws {
        let redis = try makeClient()
        let added = try await redis.sadd("monday", ["ann", "bob", "cy", "ann"])
        XCTAssertEqual(added, 3, "a member added twice counts once")
        try await redis.sadd("tuesday", ["cy", "di"])
        let size = try await redis.scard("monday")
        XCTAssertEqual(size, 3)
        let isMember = try await redis.sismember("monday", "bob")
        XCTAssertTrue(isMember)
        let several = try await redis.smismember("monday", ["ann", "zed", "cy"])
        XCTAssertEqual(several, [true, false, true])
        let union = try await redis.sunionstore(into: "week", from: ["monday", "tuesday"])
        XCTAssertEqual(union, 4)
        let members = try await redis.smembers("week")
        XCTAssertEqual(Set(members), ["ann", "bob", "cy", "di"])
        let removed = try await redis.srem("week", ["ann", "nobody"])
        XCTAssertEqual(removed, 1)
        let missing = try await redis.scard("never")
        XCTAssertEqual(missing, 0)
        await assertThrowsRedisError(try await redis.sunionstore(into: "x", from: [])) {
            guard case .invalidArgument = $0 else { return XCTFail("\($0)") }
        }
    }

    func testHashes() async throws {
        let redis = try makeClient()
        let new = try await redis.hset("bucket:a", [("tokens", "10"), ("updated_ms", 1_700_000_000_000)])
        XCTAssertEqual(new, 2)
        let updated = try await redis.hset("bucket:a", [("tokens", "9")])
        XCTAssertEqual(updated, 0, "an existing field is not new")
        let tokens = try await redis.hget("bucket:a", "tokens")
        XCTAssertEqual(tokens, "9")
        let missingField = try await redis.hget("bucket:a", "nope")
        XCTAssertNil(missingField)
        let some = try await redis.hmget("bucket:a", ["updated_ms", "nope"])
        XCTAssertEqual(some, ["1700000000000", nil])
        let eight = try await redis.hincrBy("bucket:a", "tokens", -1)
        XCTAssertEqual(eight, 8)
        let all = try await redis.hgetall("bucket:a")
        XCTAssertEqual(all, ["tokens": "8", "updated_ms": "1700000000000"])
        let length = try await redis.hlen("bucket:a")
        XCTAssertEqual(length, 2)
        let deleted = try await redis.hdel("bucket:a", ["tokens", "nope"])
        XCTAssertEqual(deleted, 1)
        let empty = try await redis.hgetall("no-such-hash")
        XCTAssertEqual(empty, [:])
    }

    func testListsAsQueues() async throws {
        let redis = try makeClient(commandTimeout: .seconds(2))
        let length = try await redis.lpush("queue", ["a", "b", "c"])
        XCTAssertEqual(length, 3)
        try await redis.rpush("queue", ["z"])
        let all = try await redis.lrange("queue", start: 0, stop: -1)
        XCTAssertEqual(all, ["c", "b", "a", "z"])
        let right = try await redis.rpop("queue")
        XCTAssertEqual(right, ["z"])
        let left = try await redis.lpop("queue", count: 2)
        XCTAssertEqual(left, ["c", "b"])
        let fromEmpty = try await redis.rpop("no-such-list")
        XCTAssertEqual(fromEmpty, [])

        // The reliable form: move to a processing list, remove from it once done.
        let moved = try await redis.lmove(from: "queue", .right, to: "processing", .left)
        XCTAssertEqual(moved, "a")
        let inProcessing = try await redis.llen("processing")
        XCTAssertEqual(inProcessing, 1)
        let done = try await redis.lrem("processing", "a")
        XCTAssertEqual(done, 1)
        let nothing = try await redis.lmove(from: "queue", .right, to: "processing", .left)
        XCTAssertNil(nothing)

        let start = ContinuousClock.now
        let timedOut = try await redis.blmove(from: "queue", .right, to: "processing", .left, timeout: .milliseconds(300))
        XCTAssertNil(timedOut)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(250))
        async let woken = redis.blmove(from: "queue", .right, to: "processing", .left, timeout: .milliseconds(1500))
        try await Task.sleep(for: .milliseconds(200))
        try await redis.lpush("queue", ["late"])
        let late = try await woken
        XCTAssertEqual(late, "late")
        await assertThrowsRedisError(try await redis.blmove(from: "q", .right, to: "p", .left, timeout: .seconds(5))) {
            guard case .invalidArgument = $0 else { return XCTFail("\($0)") }
        }
    }

    func testSortedSetRanksAndTopN() async throws {
        let redis = try makeClient()
        try await redis.zadd("board", [.init("ann", score: 10), .init("bob", score: 20), .init("cy", score: 30), .init("di", score: 40)])
        let score = try await redis.zscore("board", member: "cy")
        XCTAssertEqual(score, 30)
        let noScore = try await redis.zscore("board", member: "zed")
        XCTAssertNil(noScore)
        let rank = try await redis.zrank("board", member: "bob")
        XCTAssertEqual(rank, 1)
        let place = try await redis.zrevrank("board", member: "bob")
        XCTAssertEqual(place, 2, "third from the top")
        let unranked = try await redis.zrevrank("board", member: "zed")
        XCTAssertNil(unranked)
        let top = try await redis.zrevrangeWithScores("board", start: 0, stop: 1)
        XCTAssertEqual(top, [.init("di", score: 40), .init("cy", score: 30)])
        let between = try await redis.zcount("board", min: .exclusive(10), max: .inclusive(30))
        XCTAssertEqual(between, 2)
        let dropped = try await redis.zremRangeByScore("board", min: .negativeInfinity, max: .exclusive(30))
        XCTAssertEqual(dropped, 2)
        let left = try await redis.zrange("board", start: 0, stop: -1)
        XCTAssertEqual(left, ["cy", "di"])
    }
}

/// Several scripts in one round trip, and what happens when the server forgot them.
final class RedisPipelinedScriptTests: RedisServerTestCase {
    func testScriptsRunPipelinedAndOnlyForgottenOnesAreSentAgain() async throws {
        let redis = try makeClient()
        let increment = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let fail = RedisScript("return redis.error_reply('ERR nope')")
        let first = try await redis.run([
            RedisScriptCall(increment, keys: ["a"], args: [1]), RedisScriptCall(fail), RedisScriptCall(increment, keys: ["b"], args: [5]),
        ])
        XCTAssertEqual(first[0], .integer(1))
        XCTAssertEqual(first[1], .error("ERR nope"), "a script error stays in place")
        XCTAssertEqual(first[2], .integer(5))

        // The server forgets every script: each call answers NOSCRIPT once, is loaded, and runs once.
        try await redis.send("SCRIPT", "FLUSH")
        let second = try await redis.run([
            RedisScriptCall(increment, keys: ["a"], args: [1]), RedisScriptCall(increment, keys: ["b"], args: [1]),
        ])
        XCTAssertEqual(second, [.integer(2), .integer(6)])
        let a = try await redis.get("a")
        XCTAssertEqual(a, "2", "never applied twice")
        let none = try await redis.run([])
        XCTAssertEqual(none, [])
    }
}
