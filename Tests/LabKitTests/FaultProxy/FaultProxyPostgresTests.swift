import Foundation
import LabControl
import XCTest

@testable import LabKit

/// pgbench (a real PostgreSQL client) through the proxy against a real PostgreSQL server.
final class FaultProxyPostgresTests: XCTestCase {
    func testPgbenchThroughTheProxy() async throws {
        let scratch = try makeScratchDirectory("pg-proxy-test")
        addTeardownBlock { try? FileManager.default.removeItem(at: scratch) }
        let postgres = try await PostgresServer.start(directory: scratch.appendingPathComponent("pg"))
        addTeardownBlock { await postgres.stop() }
        let proxy = FaultProxy(name: "postgres", upstreamHost: "127.0.0.1", upstreamPort: postgres.port)
        try await proxy.start()
        addTeardownBlock { await proxy.shutdown() }

        let pgbench = try ProgramLocator.standard.find("pgbench")
        let through = ["-h", "127.0.0.1", "-p", "\(proxy.listenPort)", "-U", postgres.user]
        try await ChildProcess.run(
            name: "pgbench -i", executable: pgbench, arguments: ["-i", "-s", "1"] + through + [postgres.database],
            directory: scratch, logFile: scratch.appendingPathComponent("pgbench-init.log"))
        let runLog = scratch.appendingPathComponent("pgbench-run.log")
        try await ChildProcess.run(
            name: "pgbench -T 3", executable: pgbench,
            arguments: ["-T", "3", "-c", "4", "-j", "2"] + through + [postgres.database],
            directory: scratch, logFile: runLog, timeout: .seconds(60))
        let report = try String(contentsOf: runLog, encoding: .utf8)
        let processed = report.split(separator: "\n")
            .first { $0.hasPrefix("number of transactions actually processed:") }
            .flatMap { Int($0.split(separator: ":")[1].split(separator: "/")[0].trimmingCharacters(in: .whitespaces)) }
        XCTAssertGreaterThan(processed ?? 0, 0, report)
        XCTAssertTrue(report.contains("number of failed transactions: 0"), report)

        // What pgbench wrote through the proxy is there when read directly.
        let psql = try ProgramLocator.standard.find("psql")
        let countLog = scratch.appendingPathComponent("count.log")
        try await ChildProcess.run(
            name: "psql", executable: psql,
            arguments: [
                "-h", "127.0.0.1", "-p", "\(postgres.port)", "-U", postgres.user, "-d", postgres.database, "-tAc",
                "SELECT count(*) FROM pgbench_accounts; SELECT count(*) > 0 FROM pgbench_history;",
            ],
            directory: scratch, logFile: countLog)
        let counts = try String(contentsOf: countLog, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(counts, ["100000", "t"])
    }
}
