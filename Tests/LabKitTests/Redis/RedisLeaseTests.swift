import XCTest

@testable import LabKit

/// Leases against a real redis-server: one holder at a time, only the holder renews or releases, and
/// an expired lease goes to the next owner.
final class RedisLeaseTests: RedisServerTestCase {
    func testOneHolderRenewsAndReleases() async throws {
        let redis = try makeClient()
        let a = RedisLease(redis: redis, key: "worker:0", owner: "a", ttl: .seconds(10))
        let b = RedisLease(redis: redis, key: "worker:0", owner: "b", ttl: .seconds(10))
        let aTook = try await a.acquire()
        XCTAssertTrue(aTook)
        let bTook = try await b.acquire()
        XCTAssertFalse(bTook, "taken")
        let holder = try await a.holder()
        XCTAssertEqual(holder, "a")
        let bRenewed = try await b.renew()
        XCTAssertFalse(bRenewed, "only the holder renews")
        let bReleased = try await b.release()
        XCTAssertFalse(bReleased, "only the holder releases")
        try await redis.pexpire("worker:0", milliseconds: 500)
        let aRenewed = try await a.renew()
        XCTAssertTrue(aRenewed)
        let ttl = try await redis.pttl("worker:0")
        XCTAssertGreaterThan(ttl, 5_000, "a renewal restores the full TTL")
        let aReleased = try await a.release()
        XCTAssertTrue(aReleased)
        let bTookNow = try await b.acquire()
        XCTAssertTrue(bTookNow)
    }

    func testAnExpiredLeaseGoesToTheNextOwnerAndTheOldOneCannotRenewIt() async throws {
        let redis = try makeClient()
        let old = RedisLease(redis: redis, key: "leader", owner: "old", ttl: .milliseconds(200))
        let new = RedisLease(redis: redis, key: "leader", owner: "new", ttl: .seconds(10))
        let oldTook = try await old.acquire()
        XCTAssertTrue(oldTook)
        try await Task.sleep(for: .milliseconds(400)) // the old owner missed its renewals
        let newTook = try await new.acquire()
        XCTAssertTrue(newTook)
        let oldRenewed = try await old.renew()
        XCTAssertFalse(oldRenewed, "the old owner learns it lost the lease")
        let oldReleased = try await old.release()
        XCTAssertFalse(oldReleased, "and cannot delete the new owner's")
        let holder = try await new.holder()
        XCTAssertEqual(holder, "new")
    }
}
