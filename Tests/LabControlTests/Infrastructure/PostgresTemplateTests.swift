import Foundation
import XCTest

@testable import LabControl

/// A cluster template per init.sql: made once (the init.sql applied by psql), then every start is a copy
/// that already holds the data; another init.sql gets a template of its own.
final class PostgresTemplateTests: XCTestCase {
    func testInitSQLIsAppliedOnceAndCopiedAfterwards() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let template = PostgresClusterTemplate(cache: dir.url.appendingPathComponent("cache"))
        let initSQL = "CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 5000) g;"

        let first = try await PostgresServer.start(directory: dir.url.appendingPathComponent("first"), initSQL: initSQL, template: template)
        let firstCount = try await dir.output(of: "psql", ["-X", "-At", first.url, "-c", "SELECT count(*) FROM numbers"])
        XCTAssertEqual(firstCount.trimmingCharacters(in: .whitespacesAndNewlines), "5000")
        // A write to one copy stays in that copy.
        _ = try await dir.output(of: "psql", ["-X", "-At", first.url, "-c", "DELETE FROM numbers WHERE n > 10"])
        await first.stop()

        let second = try await PostgresServer.start(
            directory: dir.url.appendingPathComponent("second"), initSQL: initSQL, template: template)
        let secondCount = try await dir.output(of: "psql", ["-X", "-At", second.url, "-c", "SELECT count(*) FROM numbers"])
        XCTAssertEqual(secondCount.trimmingCharacters(in: .whitespacesAndNewlines), "5000", "a fresh copy of the template")
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("second/init-sql.log").path),
            "the copy already holds init.sql's data: psql did not run again")
        await second.stop()

        let other = try await PostgresServer.start(
            directory: dir.url.appendingPathComponent("other"), initSQL: "CREATE TABLE letters (c text);", template: template)
        let query = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
        let tables = try await dir.output(of: "psql", ["-X", "-At", other.url, "-c", query])
        XCTAssertEqual(tables.trimmingCharacters(in: .whitespacesAndNewlines), "letters", "another init.sql, another template")
        await other.stop()

        let templates = try FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("cache/postgres").path)
            .filter { $0.contains("-init-") }
        XCTAssertEqual(templates.count, 2, "\(templates)")
        XCTAssertNotEqual(PostgresClusterTemplate.fingerprint("a"), PostgresClusterTemplate.fingerprint("b"))
    }
}

extension TestDirectory {
    /// Runs a client program (psql) and returns what it printed.
    func output(of program: String, _ arguments: [String]) async throws -> String {
        let log = url.appendingPathComponent("\(program)-\(UUID().uuidString.prefix(6)).out")
        try await ChildProcess.run(
            name: program, executable: try ProgramLocator.standard.find(program), arguments: arguments,
            directory: url, logFile: log, timeout: .seconds(30))
        return try String(contentsOf: log, encoding: .utf8)
    }
}
