import Foundation
import XCTest

@testable import LabControl

/// labctl's exit statuses, end to end on the built binary: 64 with a usage block for a command line
/// that is wrong as written; 1 with the message alone for everything else; never a trap.
final class LabctlExitCodeTests: XCTestCase {
    var dir: TestDirectory!
    var labs: URL { Fixtures.repositoryRoot.appendingPathComponent("labs") }
    var state: URL { dir.url.appendingPathComponent("state") }

    override func setUpWithError() throws { dir = try TestDirectory("exitcodes") }
    override func tearDown() { dir.remove() }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var showsUsage: Bool { stderr.contains("Usage:") }
    }

    /// Runs `.build/debug/labctl` with its own state directory.
    func labctl(_ arguments: [String]) throws -> Outcome {
        let binary = Fixtures.repositoryRoot.appendingPathComponent(".build/debug/labctl")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("\(binary.path) is missing: build with `swift build --build-tests`")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = state.path
        process.environment = environment
        let out = dir.url.appendingPathComponent("out-\(UUID().uuidString)")
        let err = dir.url.appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
    }

    func testNotFoundAtRunTimeIsStatus1WithoutUsage() throws {
        let trace = try labctl([
            "traces", "--store", dir.url.appendingPathComponent("traces").path, "--trace", String(repeating: "deadbeef", count: 4),
        ])
        XCTAssertEqual(trace.status, 1, trace.stderr)
        XCTAssertEqual(trace.stderr, "Error: no stored trace has id deadbeefdeadbeefdeadbeefdeadbeef\n")

        let variant = try labctl(["run", "1", "--variant", "nosuch", "--labs-dir", labs.path, "--state-dir", state.path])
        XCTAssertEqual(variant.status, 1, variant.stderr)
        XCTAssertEqual(variant.stderr, "Error: week01 has no variant 'nosuch' (variants: before, after)\n")

        let compareVariant = try labctl(["compare", "1", "--variants", "before,nosuch", "--labs-dir", labs.path])
        XCTAssertEqual(compareVariant.status, 1, compareVariant.stderr)
        XCTAssertFalse(compareVariant.showsUsage, compareVariant.stderr)

        let lab = try labctl(["run", "nosuchlab", "--labs-dir", labs.path])
        XCTAssertEqual(lab.status, 1, lab.stderr)
        XCTAssertTrue(lab.stderr.hasPrefix("Error: no lab named 'nosuchlab'"), lab.stderr)
        XCTAssertFalse(lab.showsUsage, lab.stderr)
    }

    func testAnUnusableDurationScaleIsAUsageErrorAndStartsNothing() throws {
        for scale in ["1e30", "0", "inf", "nan"] {
            for command in ["run", "compare"] {
                let outcome = try labctl([command, "1", "--duration-scale", scale, "--labs-dir", labs.path])
                XCTAssertEqual(outcome.status, 64, "\(command) \(scale): \(outcome.stderr)")
                XCTAssertTrue(outcome.stderr.contains("--duration-scale must be a number from 0.01 to 100.0"), outcome.stderr)
                XCTAssertTrue(outcome.showsUsage, outcome.stderr)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: state.appendingPathComponent("week01").path), "no lab was started")
    }

    /// A phase of 400 nines: the catalog names the line, `run` refuses it before starting anything.
    func testAHugeDurationInAManifestIsReportedNotTrapped() throws {
        let copy = dir.url.appendingPathComponent("labs")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: labs.appendingPathComponent("01-finding-slow-service"), to: copy.appendingPathComponent("01-finding-slow-service"))
        let manifest = copy.appendingPathComponent("01-finding-slow-service/lab.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        XCTAssertTrue(text.contains("duration: 4s"))
        try text.replacingOccurrences(of: "duration: 4s", with: "duration: \(String(repeating: "9", count: 400))s")
            .write(to: manifest, atomically: true, encoding: .utf8)

        let list = try labctl(["list", "--labs-dir", copy.path])
        XCTAssertEqual(list.status, 1, list.stdout + list.stderr)
        XCTAssertTrue(
            list.stderr.contains("labs/01-finding-slow-service/lab.yaml:41: field 'scenario.phases[0].duration': '9999"), list.stderr)
        XCTAssertTrue(list.stderr.contains("is longer than the limit of 86400s"), list.stderr)

        let run = try labctl(["run", "1", "--labs-dir", copy.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("Error: labs/01-finding-slow-service/lab.yaml:41:"), run.stderr)
    }

    /// One lab's bytes that are not UTF-8 break that lab alone: the others list and run.
    func testANonUTF8ManifestBreaksOnlyItsLab() throws {
        let copy = dir.url.appendingPathComponent("labs")
        try FileManager.default.copyItem(at: labs, to: copy)
        let manifest = copy.appendingPathComponent("07-circuit-breakers/lab.yaml")
        var bytes = try Data(contentsOf: manifest)
        let title = try XCTUnwrap(bytes.firstRange(of: Data("title: \"".utf8)))
        bytes.insert(contentsOf: [0xFF, 0xFE], at: title.upperBound)
        try bytes.write(to: manifest)

        let list = try labctl(["list", "--labs-dir", copy.path])
        XCTAssertEqual(list.status, 1, "a broken lab makes list fail")
        XCTAssertTrue(list.stdout.contains("finding-slow-service"), "the other labs are listed: \(list.stdout)")
        XCTAssertTrue(
            list.stderr.contains("invalid: labs/07-circuit-breakers/lab.yaml:7: not valid UTF-8: byte 0xFF at offset"), list.stderr)

        let other = try labctl(["run", "1", "--variant", "nosuch", "--labs-dir", copy.path])
        XCTAssertEqual(other.stderr, "Error: week01 has no variant 'nosuch' (variants: before, after)\n", "lab 1 still resolves")
        let broken = try labctl(["run", "7", "--labs-dir", copy.path])
        XCTAssertTrue(broken.stderr.hasPrefix("Error: labs/07-circuit-breakers/lab.yaml:7: not valid UTF-8"), broken.stderr)
    }
}
