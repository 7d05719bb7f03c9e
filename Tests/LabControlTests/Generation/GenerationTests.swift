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
        XCTAssertEqual(
            first.changed.filter { $0.hasPrefix("prometheus/") },
            ["prometheus/targets/00-selftest.json", "prometheus/targets/12-message-queues.json"])
        for path in [
            "labs/00-selftest/compose.yaml", "labs/00-selftest/compose/before/backend.env", "labs/00-selftest/compose/after/frontend.env",
            "grafana/dashboards/00-selftest/00-selftest.json", "grafana/dashboards/12-message-queues/12-message-queues.json",
            "grafana/dashboards/home.json", "labs/12-message-queues/compose.yaml",
        ] {
            XCTAssertTrue(first.changed.contains(path), "\(path) is generated")
        }
        XCTAssertFalse(first.isUpToDate)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("prometheus").path), "check writes nothing")

        _ = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: false)
        let written = try String(contentsOf: repo.url.appendingPathComponent("prometheus/targets/00-selftest.json"), encoding: .utf8)
        XCTAssertEqual(
            written,
            """
            [
              {
                "targets": ["frontend:8080"],
                "labels": {"job": "frontend", "lab": "selftest"}
              },
              {
                "targets": ["backend:8080"],
                "labels": {"job": "backend", "lab": "selftest"}
              },
              {
                "targets": ["redis-proxy:8474"],
                "labels": {"job": "redis-proxy", "lab": "selftest"}
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

        // Nested owned directories: a dashboard folder and an env file of a variant that are gone.
        let goneDashboard = repo.url.appendingPathComponent("grafana/dashboards/99-gone")
        try FileManager.default.createDirectory(at: goneDashboard, withIntermediateDirectories: true)
        try "{}\n".write(to: goneDashboard.appendingPathComponent("99-gone.json"), atomically: true, encoding: .utf8)
        let goneVariant = repo.url.appendingPathComponent("labs/00-selftest/compose/gone")
        try FileManager.default.createDirectory(at: goneVariant, withIntermediateDirectories: true)
        try "A=1\n".write(to: goneVariant.appendingPathComponent("backend.env"), atomically: true, encoding: .utf8)
        let nested = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true)
        XCTAssertEqual(nested.removed, ["grafana/dashboards/99-gone/99-gone.json", "labs/00-selftest/compose/gone/backend.env"])
        _ = try generation.run(catalog: catalog, repositoryRoot: repo.url, check: false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: goneDashboard.path), "the emptied folder goes too")
        XCTAssertFalse(FileManager.default.fileExists(atPath: goneVariant.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("grafana/dashboards/home.json").path))
        XCTAssertTrue(try generation.run(catalog: catalog, repositoryRoot: repo.url, check: true).isUpToDate)
    }

    func testEveryGeneratorIsDeterministic() throws {
        let catalog = try LabCatalog.load(root: Fixtures.labsDirectory)
        let first = try Generation.standard.generators.flatMap { try $0.files(for: catalog) }
        for _ in 0..<3 {
            XCTAssertEqual(try Generation.standard.generators.flatMap { try $0.files(for: catalog) }, first)
        }
        XCTAssertEqual(Set(first.map(\.path)).count, first.count, "no two generators write the same file")
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
