import Foundation
import LabControl
import LabKit
import XCTest

/// `EtcdClient` and `EtcdLeaderLease` against a real etcd (the `etcd-server` Debian package).
final class EtcdClientTests: XCTestCase {
    private var directory: URL!
    private var server: EtcdServer!
    private var etcd: EtcdClient!

    override func setUp() async throws {
        guard ProgramLocator.standard.locate("etcd") != nil else { throw XCTSkip("etcd is not installed (apt-get install etcd-server)") }
        directory = URL(fileURLWithPath: "/tmp/labkit-etcd-\(UUID().uuidString.prefix(8))")
        server = try await EtcdServer.start(directory: directory)
        etcd = EtcdClient(baseURL: server.url)
    }

    override func tearDown() async throws {
        await server?.stop()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func testPutGetDelete() async throws {
        let missing = try await etcd.get("/a")
        XCTAssertNil(missing)
        let revision = try await etcd.put("/a", value: "one")
        let kv = try await etcd.get("/a")
        XCTAssertEqual(kv?.value, "one")
        XCTAssertEqual(kv?.modRevision, revision)
        XCTAssertEqual(kv?.createRevision, revision)
        try await etcd.put("/a", value: "two")
        let changed = try await etcd.get("/a")
        XCTAssertEqual(changed?.value, "two")
        XCTAssertGreaterThan(changed!.modRevision, revision)
        XCTAssertEqual(changed?.createRevision, revision)
        let deleted = try await etcd.delete("/a")
        XCTAssertEqual(deleted, 1)
        let gone = try await etcd.get("/a")
        XCTAssertNil(gone)
    }

    func testCreateIfAbsentHasExactlyOneWinner() async throws {
        let etcd = self.etcd!
        let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for name in ["n1", "n2", "n3", "n4"] {
                group.addTask { (name, try await etcd.createIfAbsent("/leader", value: name).won) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let winners = results.filter(\.value).map(\.key)
        XCTAssertEqual(winners.count, 1, "\(results)")
        let loser = try await etcd.createIfAbsent("/leader", value: "late")
        XCTAssertFalse(loser.won)
        XCTAssertEqual(loser.current?.value, winners.first)

        let swappedWrong = try await etcd.compareAndSwap("/leader", expected: "nobody", newValue: "x")
        XCTAssertFalse(swappedWrong)
        let swapped = try await etcd.compareAndSwap("/leader", expected: winners[0], newValue: "x")
        XCTAssertTrue(swapped)
        let deletedWrong = try await etcd.deleteIf("/leader", value: "y")
        XCTAssertFalse(deletedWrong)
        let deleted = try await etcd.deleteIf("/leader", value: "x")
        XCTAssertTrue(deleted)
    }

    func testALeasedKeyVanishesWhenTheLeaseIsRevokedOrExpires() async throws {
        let lease = try await etcd.grantLease(ttl: .seconds(2))
        try await etcd.put("/session", value: "alive", lease: lease)
        let ttl = try await etcd.keepAlive(lease)
        XCTAssertGreaterThan(ttl, 0)
        let attached = try await etcd.get("/session")
        XCTAssertEqual(attached?.lease, lease)
        try await etcd.revoke(lease)
        let afterRevoke = try await etcd.get("/session")
        XCTAssertNil(afterRevoke)
        let expiredTTL = try await etcd.keepAlive(lease)
        XCTAssertEqual(expiredTTL, 0, "a revoked lease cannot be renewed")

        let short = try await etcd.grantLease(ttl: .seconds(2))
        try await etcd.put("/ephemeral", value: "x", lease: short)
        try await Task.sleep(for: .seconds(4))
        let expired = try await etcd.get("/ephemeral")
        XCTAssertNil(expired, "the key goes with its expired lease")
    }

    func testLeaderLeaseFailsOverOnlyAfterTheLeaseExpires() async throws {
        let a = EtcdLeaderLease(etcd: etcd, key: "/scheduler", identity: "a", ttl: .seconds(2))
        let b = EtcdLeaderLease(etcd: etcd, key: "/scheduler", identity: "b", ttl: .seconds(2))
        let aLeads = await a.renew()
        let bLeads = await b.renew()
        XCTAssertTrue(aLeads)
        XCTAssertFalse(bLeads)
        let firstToken = a.fencingToken
        XCTAssertGreaterThan(firstToken, 0)

        // a stops renewing (it froze): b takes over only once a's lease has expired.
        let stopped = ContinuousClock.now
        var bTookOver = false
        while ContinuousClock.now - stopped < .seconds(8) {
            if await b.renew() {
                bTookOver = true
                break
            }
            XCTAssertTrue(ContinuousClock.now - stopped < .seconds(2) || !a.isLeader, "two leaders at once")
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTAssertTrue(bTookOver)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - stopped, .milliseconds(1_500), "not before the lease could expire")
        XCTAssertFalse(a.isLeader, "a stopped believing it leads before its lease could expire")
        XCTAssertGreaterThan(b.fencingToken, firstToken, "the fencing token grows from one leader to the next")
        let aAgain = await a.renew()
        XCTAssertFalse(aAgain)

        await b.resign()
        let aAfterResign = await a.renew()
        XCTAssertTrue(aAfterResign, "a resigned leader's key is free at once")
    }
}
