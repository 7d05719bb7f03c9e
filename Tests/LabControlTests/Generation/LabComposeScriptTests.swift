import Foundation
import XCTest

@testable import LabControl

/// scripts/lab-compose.sh (the compose half of `make lab`) without a Docker engine: its syntax,
/// finding a lab's directory through `labctl list --paths`, and (DRY_RUN=1) the docker commands it
/// would run, in order.
final class LabComposeScriptTests: XCTestCase {
    static var root: URL { GeneratedStack.repositoryRoot }
    static var labctl: String { root.appendingPathComponent(".build/debug/labctl").path }

    func script(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.labctl) else {
            throw XCTSkip("labctl is not built at \(Self.labctl) (swift build --product labctl)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("scripts/lab-compose.sh").path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["LABCTL"] = Self.labctl
        env.merge(environment) { _, new in new }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testScriptsParse() throws {
        for name in ["lab-compose.sh", "lab.sh", "checks.sh"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-n", Self.root.appendingPathComponent("scripts/\(name)").path]
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "bash -n scripts/\(name)")
        }
    }

    func testFindsEveryLabOfTheCatalogByWeekSlugAndIdAndRejectsUnknownNames() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        XCTAssertFalse(catalog.labs.isEmpty)
        for entry in catalog.labs {
            let lab = entry.manifest
            var names = [lab.slug, lab.id, entry.directoryName]
            // Week 0 holds more than one lab; a week number names a lab only when it is alone in its week.
            if catalog.labs.filter({ $0.manifest.week == lab.week }).count == 1 {
                names += [String(lab.week), String(format: "%02d", lab.week), String(format: "week%02d", lab.week)]
            }
            for name in names {
                let (status, output) = try script(["--find", name])
                XCTAssertEqual(status, 0, "\(name): \(output)")
                XCTAssertEqual(output, "labs/\(entry.directoryName)\t\(lab.id)\n", name)
            }
        }
        let (status, output) = try script(["--find", "no-such-lab"])
        XCTAssertEqual(status, 2)
        XCTAssertTrue(output.contains("no lab 'no-such-lab'"), output)
    }

    func testDryRunStartsTheStackRunsEachVariantThenCompares() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        guard
            let entry = catalog.labs.first(where: {
                FileManager.default.fileExists(atPath: $0.directory.appendingPathComponent("compose.yaml").path)
            })
        else { throw XCTSkip("no lab has a generated compose.yaml yet (labctl gen)") }
        let id = entry.manifest.id
        let files = "-f compose.yaml -f labs/\(entry.directoryName)/compose.yaml"
        let (status, output) = try script([entry.manifest.slug], environment: ["DRY_RUN": "1"])
        XCTAssertEqual(status, 0, output)
        let commands = output.split(separator: "\n").filter { $0.hasPrefix("+ ") }.map { String($0.dropFirst(2)) }
        XCTAssertEqual(
            commands,
            [
                "rm -rf .lab/compose/\(id)",
                "mkdir -p .lab/compose/\(id)",
                "LAB_VARIANT=before docker compose \(files) up -d --build --wait",
                "LAB_VARIANT=before docker compose \(files) run --rm scenario",
                "LAB_VARIANT=after docker compose \(files) up -d --force-recreate --renew-anon-volumes --wait <lab services>",
                "LAB_VARIANT=after docker compose \(files) run --rm scenario",
                "\(Self.labctl) compare \(id) --from-results .lab/compose/\(id)",
            ])
        XCTAssertTrue(output.contains("http://localhost:3000/d/lab-\(id)"), output)
        XCTAssertTrue(output.contains("http://localhost:16686"), output)

        let (downStatus, down) = try script(["--down"], environment: ["DRY_RUN": "1"])
        XCTAssertEqual(downStatus, 0, down)
        XCTAssertEqual(down, "+ docker compose -f compose.yaml down --volumes --remove-orphans\n")
    }
}
