import XCTest

@testable import LabKit

/// Every typed helper against a real redis-server: the effect is checked through a second path
/// (another command, or the generic `send`) wherever the helper's own return value could lie.
final class RedisCommandTests: RedisServerTestCase {
    func testPingGetSetDel() async throws {
        let redis = try makeClient()
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
        let missing = try await redis.get("greeting")
        XCTAssertNil(missing)
        let written = try await redis.set("greeting", to: "hello")
        XCTAssertTrue(written)
        let value = try await redis.get("greeting")
        XCTAssertEqual(value, "hello")
        let removed = try await redis.del("greeting", "never-existed")
        XCTAssertEqual(removed, 1)
        let exists = try await redis.send("EXISTS", "greeting")
        XCTAssertEqual(exists, .integer(0))
    }

    func testBinarySafeValues() async throws {
        let redis = try makeClient()
        let blob: [UInt8] = [0, 255, 13, 10, 36, 42, 0, 128]
        try await redis.set("blob", to: .bytes(blob))
        let back = try await redis.getBytes("blob")
        XCTAssertEqual(back, blob)
        let length = try await redis.send("STRLEN", "blob")
        XCTAssertEqual(length, .integer(8))
    }

    func testSetExpirationOptions() async throws {
        let redis = try makeClient()
        try await redis.set("ex", to: "1", expiration: .seconds(100))
        let ttl = try await redis.ttl("ex")
        XCTAssertTrue((90...100).contains(ttl), "TTL \(ttl)")

        try await redis.set("px", to: "1", expiration: .milliseconds(50_000))
        let pttl = try await redis.pttl("px")
        XCTAssertTrue((40_000...50_000).contains(pttl), "PTTL \(pttl)")

        try await redis.set("after", to: "1", expiration: .after(.seconds(30)))
        let afterTTL = try await redis.pttl("after")
        XCTAssertTrue((20_000...30_000).contains(afterTTL), "PTTL \(afterTTL)")

        // KEEPTTL overwrites the value and keeps the expiry; a plain SET clears it.
        try await redis.set("ex", to: "2", expiration: .keepTTL)
        let keptTTL = try await redis.ttl("ex")
        XCTAssertGreaterThan(keptTTL, 0)
        let keptValue = try await redis.get("ex")
        XCTAssertEqual(keptValue, "2")
        try await redis.set("ex", to: "3")
        let clearedTTL = try await redis.ttl("ex")
        XCTAssertEqual(clearedTTL, -1)
    }

    func testSetConditionsAndGet() async throws {
        let redis = try makeClient()
        let firstLock = try await redis.set("lock", to: "owner-a", expiration: .seconds(10), condition: .ifNotExists)
        XCTAssertTrue(firstLock)
        let secondLock = try await redis.set("lock", to: "owner-b", condition: .ifNotExists)
        XCTAssertFalse(secondLock)
        let holder = try await redis.get("lock")
        XCTAssertEqual(holder, "owner-a")

        let missingXX = try await redis.set("absent", to: "x", condition: .ifExists)
        XCTAssertFalse(missingXX)
        let stillAbsent = try await redis.get("absent")
        XCTAssertNil(stillAbsent)
        let presentXX = try await redis.set("lock", to: "owner-c", condition: .ifExists)
        XCTAssertTrue(presentXX)

        let previous = try await redis.setReturningPrevious("lock", to: "owner-d")
        XCTAssertEqual(previous, "owner-c")
        let none = try await redis.setReturningPrevious("fresh", to: "v")
        XCTAssertNil(none)
        let now = try await redis.get("lock")
        XCTAssertEqual(now, "owner-d")
    }

    func testIncrAndIncrBy() async throws {
        let redis = try makeClient()
        let one = try await redis.incr("counter")
        XCTAssertEqual(one, 1)
        let six = try await redis.incrBy("counter", 5)
        XCTAssertEqual(six, 6)
        let four = try await redis.incrBy("counter", -2)
        XCTAssertEqual(four, 4)
        let stored = try await redis.get("counter")
        XCTAssertEqual(stored, "4")
    }

    func testExpireFamily() async throws {
        let redis = try makeClient()
        try await redis.set("k", to: "v")
        let noExpiry = try await redis.ttl("k")
        XCTAssertEqual(noExpiry, -1)
        let missing = try await redis.ttl("missing")
        XCTAssertEqual(missing, -2)
        let missingP = try await redis.pttl("missing")
        XCTAssertEqual(missingP, -2)
        let expiredMissing = try await redis.expire("missing", seconds: 10)
        XCTAssertFalse(expiredMissing)

        let set = try await redis.expire("k", seconds: 40)
        XCTAssertTrue(set)
        let ttl = try await redis.ttl("k")
        XCTAssertTrue((30...40).contains(ttl), "TTL \(ttl)")
        let pset = try await redis.pexpire("k", milliseconds: 200)
        XCTAssertTrue(pset)
        let pttl = try await redis.pttl("k")
        XCTAssertTrue((1...200).contains(pttl), "PTTL \(pttl)")
        // Well past the expiry, the key is gone.
        try await Task.sleep(for: .milliseconds(600))
        let gone = try await redis.get("k")
        XCTAssertNil(gone)
    }

    func testMGet() async throws {
        let redis = try makeClient()
        try await redis.set("a", to: "1")
        try await redis.set("c", to: "3")
        let values = try await redis.mget(["a", "b", "c"])
        XCTAssertEqual(values, ["1", nil, "3"])
        let empty = try await redis.mget([])
        XCTAssertEqual(empty, [])
    }

    func testSortedSets() async throws {
        let redis = try makeClient()
        let added = try await redis.zadd(
            "board", [.init("ann", score: 10), .init("bob", score: 20), .init("cy", score: 30), .init("di", score: 40)])
        XCTAssertEqual(added, 4)
        let readded = try await redis.zadd("board", score: 25, member: "bob")
        XCTAssertEqual(readded, 0, "updating a score adds nothing")
        let notOverwritten = try await redis.zadd("board", [.init("bob", score: 99)], condition: .ifNotExists)
        XCTAssertEqual(notOverwritten, 0)
        let card = try await redis.zcard("board")
        XCTAssertEqual(card, 4)

        let all = try await redis.zrange("board", start: 0, stop: -1)
        XCTAssertEqual(all, ["ann", "bob", "cy", "di"])
        let scored = try await redis.zrangeWithScores("board", start: 0, stop: 1)
        XCTAssertEqual(scored, [.init("ann", score: 10), .init("bob", score: 25)])

        let closed = try await redis.zrangeByScore("board", min: .inclusive(25), max: .inclusive(40))
        XCTAssertEqual(closed, ["bob", "cy", "di"])
        let open = try await redis.zrangeByScore("board", min: .exclusive(25), max: .exclusive(40))
        XCTAssertEqual(open, ["cy"])
        let limited = try await redis.zrangeByScore(
            "board", min: .negativeInfinity, max: .positiveInfinity, limit: (offset: 1, count: 2))
        XCTAssertEqual(limited, ["bob", "cy"])
        let limitedScores = try await redis.zrangeByScoreWithScores(
            "board", min: .negativeInfinity, max: .inclusive(10))
        XCTAssertEqual(limitedScores, [.init("ann", score: 10)])

        let newScore = try await redis.zincrBy("board", 2.5, member: "ann")
        XCTAssertEqual(newScore, 12.5)
        let fromServer = try await redis.send("ZSCORE", "board", "ann")
        XCTAssertEqual(fromServer.double, 12.5)

        let removed = try await redis.zrem("board", ["ann", "nobody"])
        XCTAssertEqual(removed, 1)
        let remaining = try await redis.zcard("board")
        XCTAssertEqual(remaining, 3)
    }

    func testHyperLogLog() async throws {
        let redis = try makeClient()
        let elements = (0..<5000).map { "user-\($0)" }
        for chunk in stride(from: 0, to: elements.count, by: 500) {
            try await redis.pfadd("visitors", Array(elements[chunk..<chunk + 500]))
        }
        let changed = try await redis.pfadd("visitors", ["user-1", "user-2"])
        XCTAssertFalse(changed, "elements already counted do not change the estimate")
        let estimate = try await redis.pfcount("visitors")
        // Redis's HyperLogLog has a 0.81% standard error; 5% is a very wide margin.
        XCTAssertEqual(Double(estimate), 5000, accuracy: 250)
        try await redis.pfadd("others", ["user-1", "x", "y"])
        let union = try await redis.pfcount("visitors", "others")
        XCTAssertEqual(Double(union), 5002, accuracy: 250)
    }

    func testBitmapsAndBitfield() async throws {
        let redis = try makeClient()
        let before = try await redis.setbit("bits", offset: 7, to: true)
        XCTAssertFalse(before)
        let again = try await redis.setbit("bits", offset: 7, to: true)
        XCTAssertTrue(again)
        let seven = try await redis.getbit("bits", offset: 7)
        XCTAssertTrue(seven)
        let six = try await redis.getbit("bits", offset: 6)
        XCTAssertFalse(six)
        let beyond = try await redis.getbit("bits", offset: 10_000)
        XCTAssertFalse(beyond)
        // Bit 7 is the lowest bit of the first byte (Redis numbers bits from the most significant).
        let raw = try await redis.getBytes("bits")
        XCTAssertEqual(raw, [1])

        let results = try await redis.bitfield(
            "counters",
            [
                .set(.unsigned(8), at: .index(0), value: 250),
                .incrBy(.unsigned(8), at: .index(0), increment: 3),
                .get(.unsigned(8), at: .bit(0)),
                .overflow(.fail),
                .incrBy(.unsigned(8), at: .index(0), increment: 10),
                .overflow(.saturate),
                .incrBy(.unsigned(8), at: .index(1), increment: 1000),
                .incrBy(.signed(4), at: .bit(100), increment: -3),
            ])
        XCTAssertEqual(results, [0, 253, 253, nil, 255, -3])
    }

    func testEvalEvalSHAAndScriptCache() async throws {
        let redis = try makeClient()
        let echo = try await redis.eval("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}", keys: ["k"], args: ["a", 21])
        XCTAssertEqual(echo, .array([.bytes(Array("k".utf8)), .bytes(Array("a".utf8)), .integer(42)]))

        let source = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        let sha = try await redis.scriptLoad(source)
        XCTAssertEqual(sha.count, 40)
        let first = try await redis.evalSHA(sha, keys: ["n"], args: [5])
        XCTAssertEqual(first, .integer(5))

        let script = RedisScript(source)
        let second = try await redis.run(script, keys: ["n"], args: [1])
        XCTAssertEqual(second, .integer(6))
        XCTAssertEqual(script.cachedSHA1, sha)
        // The server forgets scripts (restart, SCRIPT FLUSH): EVALSHA says NOSCRIPT, `run` reloads.
        try await redis.send("SCRIPT", "FLUSH")
        await assertThrowsRedisError(try await redis.evalSHA(sha, keys: ["n"], args: [1])) { error in
            XCTAssertEqual(error.serverErrorCode, "NOSCRIPT")
        }
        let third = try await redis.run(script, keys: ["n"], args: [1])
        XCTAssertEqual(third, .integer(7))
        // A Lua runtime error is a server error, not a crash.
        await assertThrowsRedisError(try await redis.eval("return redis.call('NOPE')")) { error in
            guard case .server = error else { return XCTFail("\(error)") }
        }
    }

    func testPipelineIsOneRoundTripWithRepliesInOrder() async throws {
        let redis = try makeClient()
        let commands: [[RedisArgument]] = (0..<100).map { _ in ["INCR", "p"] }
        let replies = try await redis.pipeline(commands)
        XCTAssertEqual(replies, (1...100).map { .integer($0) })

        // One failing command does not hide the others: its error is in place.
        try await redis.send("LPUSH", "list", "x")
        let mixed = try await redis.pipeline([["SET", "s", "1"], ["INCR", "list"], ["GET", "s"]])
        XCTAssertEqual(mixed.count, 3)
        XCTAssertEqual(mixed[0], .status("OK"))
        guard case .error(let message) = mixed[1] else { return XCTFail("\(mixed[1])") }
        XCTAssertTrue(message.hasPrefix("WRONGTYPE"), message)
        XCTAssertEqual(mixed[2].string, "1")

        // MULTI/EXEC in a pipeline stays on one connection: a transaction.
        let transaction = try await redis.pipeline([["MULTI"], ["INCR", "t"], ["INCR", "t"], ["EXEC"]])
        XCTAssertEqual(transaction.last, .array([.integer(1), .integer(2)]))
        let empty = try await redis.pipeline([])
        XCTAssertEqual(empty, [])
    }

    func testGenericSendAndSelectedDatabase() async throws {
        let db3 = try makeClient(database: 3)
        let db0 = try makeClient(database: 0)
        try await db3.send(["HSET", "h", "field", "value", "n", 7])
        let field = try await db3.send("HGET", "h", "field")
        XCTAssertEqual(field.string, "value")
        let all = try await db3.send("HGETALL", "h")
        XCTAssertEqual(all.array?.count, 4)
        let inDB0 = try await db0.send("EXISTS", "h")
        XCTAssertEqual(inDB0, .integer(0), "SELECT 3 ran on connect, so db 0 does not see the hash")
    }

    func testPasswordFromURL() async throws {
        let admin = try makeClient()
        try await admin.send("CONFIG", "SET", "requirepass", "s3cret")

        let authed = try RedisClient(url: "redis://:s3cret@127.0.0.1:\(redisServer.port)/0")
        let pong = try await authed.ping()
        XCTAssertEqual(pong, "PONG")

        let anonymous = try RedisClient(url: "redis://127.0.0.1:\(redisServer.port)/0")
        await assertThrowsRedisError(try await anonymous.ping()) { error in
            XCTAssertEqual(error.serverErrorCode, "NOAUTH")
        }
        let wrong = try RedisClient(url: "redis://:nope@127.0.0.1:\(redisServer.port)/0")
        await assertThrowsRedisError(try await wrong.ping()) { error in
            guard case .server = error else { return XCTFail("\(error)") }
        }
        await authed.shutdown()
        await anonymous.shutdown()
        await wrong.shutdown()
    }
}
