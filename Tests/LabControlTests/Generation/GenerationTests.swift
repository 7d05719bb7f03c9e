import Foundation
import XCTest
@testable import LabControl

final class GenerationTests: XCTestCase {
    func testWritesThenChecksThenDetectsStaleAndOrphanedFiles() throws {
        let repo = try TestDirectory()
        defer { repo.remove() }
        let labs = repo.url.appendingPathComponent("labs")
        try FileManager.default.copyItem(at: Fixtures.labsDirectory, to: labs)
        let catalog = try LabCatalog.load(root: labs)
        let generation = Generation.standard

        let first = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true)
        XCTAssertEqual(first.changed, ["prometheus/targets/00-selftest.json", "prometheus/targets/12-message-queues.json"])
        XCTAssertFalse(first.isUpToDate)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("prometheus").path), "check writes nothing")

        _ = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: false)
        let written = try String(contentsOf: repo.url.appendingPathComponent("prometheus/targets/00-selftest.json"), encoding: .utf8)
        XCTAssertEqual(written, """
            [
              {
                "targets": ["frontend:8080"],
                "labels": {"job": "frontend", "lab": "selftest"}
              },
              {
                "targets": ["backend:8080"],
                "labels": {"job": "backend", "lab": "selftest"}
              }
            ]

            """)
        XCTAssertTrue(try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true).isUpToDate)

        // A hand edit is stale; a file for a lab that no longer exists is too.
        try "edited\n".write(to: repo.url.appendingPathComponent("prometheus/targets/00-selftest.json"), atomically: true, encoding: .utf8)
        try "old\n".write(to: repo.url.appendingPathComponent("prometheus/targets/99-gone.json"), atomically: true, encoding: .utf8)
        let stale = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true)
        XCTAssertEqual(stale.changed, ["prometheus/targets/00-selftest.json"])
        XCTAssertEqual(stale.removed, ["prometheus/targets/99-gone.json"])

        _ = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: false)
        XCTAssertTrue(try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true).isUpToDate)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("prometheus/targets/99-gone.json").path))
    }

    func testGeneratedTargetsAreValidForPromtool() async throws {
        let repo = try TestDirectory()
        defer { repo.remove() }
        let catalog = try LabCatalog.load(root: Fixtures.labsDirectory)
        _ = try Generation.standard.run(catalog: catalog, repositoryRoot: repo.url, check: false)
        // A config that reads the generated file through file_sd: promtool validates both.
        let config = repo.url.appendingPathComponent("prometheus/prometheus.yml")
        try """
            scrape_configs:
              - job_name: labs
                file_sd_configs:
                  - files: ["targets/*.json"]
            """.write(to: config, atomically: true, encoding: .utf8)
        try await ChildProcess.run(
            name: "promtool", executable: try ProgramLocator.standard.find("promtool"),
            arguments: ["check", "config", config.path], directory: repo.url.appendingPathComponent("prometheus"),
            logFile: repo.url.appendingPathComponent("promtool.log"))
    }
}
