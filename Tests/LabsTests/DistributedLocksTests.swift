import Foundation
import LabControl
import LabKit
import Logging
import XCTest

@testable import Labs

/// Week 37's lock and storage against a real redis-server and a real PostgreSQL: grants carry rising
/// fencing tokens, an expired holder cannot release the next holder's lock, and the audit counts a
/// write applied after a newer one as stale — unless the storage fences it out.
final class DistributedLocksTests: XCTestCase {
    private var directory: URL!

    override func setUp() async throws {
        directory = URL(fileURLWithPath: "/tmp/distributed-locks-test-\(UUID().uuidString.prefix(8))")
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testGrantsCarryRisingTokensAndAnExpiredHolderCannotReleaseTheNextOne() async throws {
        let server = try await RedisServer.start(directory: directory.appendingPathComponent("redis"))
        addTeardownBlock { await server.stop() }
        let redis = try RedisClient(url: server.url)
        addTeardownBlock { await redis.shutdown() }
        let lock = FencedLock(redis: redis, key: "lock:test", ttl: .milliseconds(300))

        let first = try await lock.tryAcquire(owner: "a")
        XCTAssertEqual(first, .init(owner: "a", token: 1))
        let whileHeld = try await lock.tryAcquire(owner: "b")
        XCTAssertNil(whileHeld, "one holder at a time")
        let tokenAfterRefusal = try await redis.get("lock:test:token")
        XCTAssertEqual(tokenAfterRefusal, "1", "a refused grant takes no token")

        try await Task.sleep(for: .milliseconds(500)) // a's lock expires (a is "paused")
        let second = try await lock.acquire(owner: "b", retry: .milliseconds(10), timeout: .seconds(2))
        XCTAssertEqual(second, .init(owner: "b", token: 2), "the next grant has a higher token")

        let staleRelease = try await lock.release(try XCTUnwrap(first))
        XCTAssertFalse(staleRelease, "a learns only now that its lock was gone")
        let holder = try await lock.holder()
        XCTAssertEqual(holder, "b", "and it did not delete b's")
        let released = try await lock.release(try XCTUnwrap(second))
        XCTAssertTrue(released)
        let third = try await lock.tryAcquire(owner: "c")
        XCTAssertEqual(third?.token, 3)
    }

    func testTheAuditCountsAStaleWriteAndFencingRefusesIt() async throws {
        let initSQL = try String(
            contentsOf: PackageRoot.url.appendingPathComponent("labs/37-distributed-locks/init.sql"), encoding: .utf8)
        let server = try await PostgresServer.start(directory: directory.appendingPathComponent("postgres"), initSQL: initSQL)
        addTeardownBlock { await server.stop() }
        let logger = Logger(label: "distributed-locks-test")
        let db = LabPostgres(url: try DatabaseURL(server.url), poolSize: 2, logger: logger)
        let running = Task { try await db.run() }
        addTeardownBlock { running.cancel() }
        try await Task.sleep(for: .milliseconds(100)) // the pool's run loop starts before the first query
        let audit = SQLInvariantChecker(db: db, invariants: ResourceApi.invariants, logger: logger)

        // Without fencing: holder 1 (token 1) reads 0 and is paused; holders 2 and 3 write 1 and 2;
        // holder 1 wakes and writes 0 + 1 — applied, over the newer writes.
        let unfenced = SharedResource(db: db, fencing: .off)
        let read = try await unfenced.read().value
        let second = try await unfenced.write(value: read + 1, token: 2, holder: "worker-2")
        let third = try await unfenced.write(value: read + 2, token: 3, holder: "worker-3")
        let stale = try await unfenced.write(value: read + 1, token: 1, holder: "worker-1")
        XCTAssertEqual([second, third, stale], [true, true, true])
        let before = await audit.checkAll()
        XCTAssertEqual(before["stale_writes"], 1, "token 1 applied after token 3")
        XCTAssertEqual(before["lost_updates"], 2, "3 writes applied, the counter says 1")

        // With fencing the same late write is refused, and so is a stalled holder's write that would
        // still be in token order: holder 4 read, its lock expired, holder 5 read (registering token 5)
        // — holder 4's write must not land between holder 5's read and write.
        let fenced = SharedResource(db: db, fencing: .on)
        let stalled = try await fenced.read(holding: 4)
        let successor = try await fenced.read(holding: 5)
        let stalledWrite = try await fenced.write(value: stalled.value + 1, token: 4, holder: "worker-1")
        let successorWrite = try await fenced.write(value: successor.value + 1, token: 5, holder: "worker-2")
        let late = try await fenced.write(value: successor.value + 1, token: 3, holder: "worker-3")
        XCTAssertEqual(
            [stalledWrite, successorWrite, late], [false, true, false],
            "applied only with a token at least as high as any the storage has seen, on a read or a write")
        let after = await audit.checkAll()
        XCTAssertEqual(after["stale_writes"], 1, "no new stale write")
        XCTAssertEqual(after["lost_updates"], 2, "no new lost update: the successor's write counted from what it read")
        let counts = try await WriteAudit(db: db).counts()
        XCTAssertEqual(counts["writes_applied"], 4)
        XCTAssertEqual(counts["writes_rejected"], 2)
        XCTAssertEqual(counts["version"], 4)
    }
}
