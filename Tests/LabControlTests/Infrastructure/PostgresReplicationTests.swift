import Foundation
import LabKit
import XCTest

@testable import LabControl

/// A real primary and hot standby: replication with a replay delay, a cut link, synchronous commit,
/// promotion and a killed primary — and nothing left behind.
final class PostgresReplicationTests: XCTestCase {
    private func labsvc() throws -> URL {
        let built = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/labsvc")
        guard FileManager.default.isExecutableFile(atPath: built.path) else { throw XCTSkip("build labsvc first (swift build)") }
        return built
    }

    private func count(_ server: PostgresServer, _ table: String = "t") async throws -> Int {
        Int(try await server.execute("SELECT count(*) FROM \(table)", database: "lab")) ?? -1
    }

    private func proxy(_ set: PostgresReplicaSet, _ action: String) throws {
        let port = set.links[0].adminPort
        XCTAssertEqual(Probe.http(method: "POST", port: port, path: "/proxy/\(action)")?.status, 200)
    }

    func testStandbyReplaysAfterTheDelayAndACutLinkHoldsItBack() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let set = try await PostgresReplicaSet.start(
            name: "db", directory: dir.url, standbys: 1, synchronous: false, replayDelay: 0.8,
            initSQL: "CREATE TABLE t (id int PRIMARY KEY);", labsvc: try labsvc())
        let standby = set.standbys[0]
        let inRecovery = try await standby.execute("SELECT pg_is_in_recovery()")
        XCTAssertEqual(inRecovery, "t")
        XCTAssertEqual(set.environment["DB_STANDBY_URL"], standby.url)
        XCTAssertEqual(set.environment["DB_NODE_URLS"], "\(set.primary.url),\(standby.url)")

        try await set.primary.execute("INSERT INTO t VALUES (1)", database: "lab")
        let inserted = ContinuousClock.now
        let seenAtOnce = try await count(standby)
        try await waitUntil(timeout: .seconds(10)) { try await self.count(standby) == 1 }
        XCTAssertEqual(seenAtOnce, 0, "the standby applies a commit only recovery_min_apply_delay after it")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - inserted, .milliseconds(700))

        // Cut the replication link: the standby stays up but receives nothing.
        try proxy(set, "down")
        try await set.primary.execute("INSERT INTO t VALUES (2)", database: "lab")
        try await Task.sleep(for: .seconds(2))
        let whileCut = try await count(standby)
        XCTAssertEqual(whileCut, 1, "nothing crosses a cut link")
        try proxy(set, "up")
        try await waitUntil(timeout: .seconds(15)) { try await self.count(standby) == 2 }

        await set.stop()
        for process in set.processes {
            XCTAssertNotNil(process.exitStatus, "\(process.name) still runs")
        }
        try await waitUntil { ProcessTable.processes(referencing: dir.url.path).isEmpty }
    }

    func testSynchronousCommitWaitsForTheStandbyThenPromotionAndKill() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let set = try await PostgresReplicaSet.start(
            name: "db", directory: dir.url, standbys: 1, synchronous: true, replayDelay: nil,
            initSQL: "CREATE TABLE t (id int PRIMARY KEY);", labsvc: try labsvc())
        let names = try await set.primary.execute("SHOW synchronous_standby_names")
        XCTAssertEqual(names, "ANY 1 (\"standby-1\")")

        // A commit waits while no standby can confirm it.
        try proxy(set, "down")
        let write = Task { try await set.primary.execute("INSERT INTO t VALUES (1)", database: "lab") }
        try await Task.sleep(for: .seconds(2))
        let waiting = try await set.primary.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
        XCTAssertEqual(waiting, "1", "the INSERT waits for a synchronous standby")
        try proxy(set, "up")
        _ = try await write.value
        let replicated = try await count(set.standbys[0])
        XCTAssertEqual(replicated, 1)

        // promote: the standby leaves recovery and takes writes.
        let promoted = try await set.command("promote", .object([:]))
        XCTAssertEqual(promoted, "standby-1 promoted")
        let stillInRecovery = try await set.standbys[0].execute("SELECT pg_is_in_recovery()")
        XCTAssertEqual(stillInRecovery, "f")
        try await set.standbys[0].execute("INSERT INTO t VALUES (2)", database: "lab")

        // kill: the primary and its backends are gone at once.
        _ = try await set.command("kill", ["node": "primary"])
        XCTAssertNotNil(set.primary.process.exitStatus)
        XCTAssertFalse(FreePort.isListening(set.primary.port))
        do {
            _ = try await set.command("kill", ["node": "standby-7"])
            XCTFail("an unknown node must be refused")
        } catch {
            XCTAssertTrue("\(error)".contains("no node 'standby-7'"), "\(error)")
        }

        await set.stop()
        try await waitUntil { ProcessTable.processes(referencing: dir.url.path).isEmpty }
    }
}
