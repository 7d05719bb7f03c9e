import LabControl
import XCTest

@testable import LabKit

/// Failures are typed `RedisError`s and leave the client usable.
final class RedisErrorTests: RedisServerTestCase {
    func testWrongTypeIsAServerErrorAndTheConnectionStaysUsable() async throws {
        let redis = try makeClient(poolSize: 1)
        let connectionBefore = try await redis.send("CLIENT", "ID")
        try await redis.send("LPUSH", "list", "a")
        await assertThrowsRedisError(try await redis.get("list")) { error in
            guard case .server(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("WRONGTYPE"), message)
            XCTAssertEqual(error.serverErrorCode, "WRONGTYPE")
        }
        await assertThrowsRedisError(try await redis.send("NOSUCHCOMMAND")) { error in
            XCTAssertEqual(error.serverErrorCode, "ERR")
        }
        // A server error is a normal reply: the (single) connection is still in step.
        let pong = try await redis.ping()
        XCTAssertEqual(pong, "PONG")
        let connectionAfter = try await redis.send("CLIENT", "ID")
        XCTAssertEqual(connectionAfter, connectionBefore, "the same connection served every command")
    }

    func testConnectionRefused() async throws {
        let port = try FreePort.next()
        let redis = try RedisClient(url: "redis://127.0.0.1:\(port)", connectTimeout: .seconds(1))
        await assertThrowsRedisError(try await redis.ping()) { error in
            guard case .connection(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("refused"), message)
        }
        await redis.shutdown()
    }

    func testCommandTimeoutThenRecovery() async throws {
        let redis = try makeClient(poolSize: 1, commandTimeout: .milliseconds(300))
        // BLPOP with timeout 0 blocks forever on an empty list; our socket timeout fires first.
        let start = ContinuousClock.now
        await assertThrowsRedisError(try await redis.send("BLPOP", "nothing-here", 0)) { error in
            XCTAssertEqual(error, .timeout)
        }
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(250))
        XCTAssertLessThan(elapsed, .seconds(5))
        // The timed-out connection was discarded (its late reply must never answer another
        // command); the next command gets a fresh one.
        try await redis.send("RPUSH", "nothing-here", "late")
        let value = try await redis.send("LPOP", "nothing-here")
        XCTAssertEqual(value.string, "late")
    }

    func testEmptyCommandIsRejected() async throws {
        let redis = try makeClient()
        await assertThrowsRedisError(try await redis.send([])) { error in
            guard case .protocolError = error else { return XCTFail("\(error)") }
        }
    }

    func testUnexpectedReplyTypeIsAProtocolError() async throws {
        let redis = try makeClient()
        // A bulk string where a helper expects an integer reply.
        try await redis.send("SET", "k", "v")
        let reply = try await redis.send("GET", "k")
        XCTAssertThrowsError(try reply.expectInteger("GET")) { error in
            guard case RedisError.protocolError(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("expected an integer"), message)
        }
    }

    func testShutdownRejectsNewCommands() async throws {
        let redis = try makeClient()
        try await redis.ping()
        await redis.shutdown()
        await assertThrowsRedisError(try await redis.ping()) { error in
            XCTAssertEqual(error, .clientClosed)
        }
        await redis.shutdown() // idempotent
    }
}

/// `redis://` URL parsing (no server needed).
final class RedisConfigurationTests: XCTestCase {
    func testFullURL() throws {
        let config = try RedisConfiguration(url: "redis://alice:pw@cache.internal:6380/5", poolSize: 7)
        XCTAssertEqual(config.host, "cache.internal")
        XCTAssertEqual(config.port, 6380)
        XCTAssertEqual(config.database, 5)
        XCTAssertEqual(config.username, "alice")
        XCTAssertEqual(config.password, "pw")
        XCTAssertEqual(config.poolSize, 7)
    }

    func testDefaults() throws {
        let config = try RedisConfiguration(url: "redis://127.0.0.1")
        XCTAssertEqual(config.port, 6379)
        XCTAssertEqual(config.database, 0)
        XCTAssertNil(config.username)
        XCTAssertNil(config.password)
        let passwordOnly = try RedisConfiguration(url: "redis://:secret@h/")
        XCTAssertNil(passwordOnly.username)
        XCTAssertEqual(passwordOnly.password, "secret")
    }

    func testBadURLsNameTheProblem() {
        let cases: [(String, String)] = [
            ("http://h:1", "scheme"),
            ("redis://h:1/abc", "database 'abc'"),
            ("redis:///0", "no host"),
            ("redis://h:99999", "out of range"),
        ]
        for (url, fragment) in cases {
            XCTAssertThrowsError(try RedisConfiguration(url: url), url) { error in
                guard case RedisError.invalidURL(let message) = error else { return XCTFail("\(url): \(error)") }
                XCTAssertTrue(message.contains(fragment), "\(url): \(message)")
            }
        }
    }

    func testArgumentsEncodeLikeRedisExpects() {
        XCTAssertEqual(RedisArgument(Double.infinity).description, "+inf")
        XCTAssertEqual(RedisArgument(-Double.infinity).description, "-inf")
        XCTAssertEqual(RedisArgument(2.5).description, "2.5")
        XCTAssertEqual(RedisArgument(-7).description, "-7")
        XCTAssertEqual(RedisScoreBound.exclusive(3).argument.description, "(3.0")
        XCTAssertEqual(RedisClient.operationName(["script", "load", "x"]), "SCRIPT")
        XCTAssertEqual(RedisClient.operationName([.bytes([0xFF, 0x00])]), "UNKNOWN")
    }
}
