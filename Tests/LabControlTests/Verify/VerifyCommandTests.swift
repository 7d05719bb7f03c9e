import Foundation
import XCTest

/// `labctl verify` end to end on the two fixture labs: both comparisons run at once (real servers,
/// real Prometheus each), one holds and one fails, and the run says which and why.
final class VerifyCommandTests: XCTestCase {
    func testVerifyRunsLabsSideBySideAndFailsNamingTheExpectation() throws {
        let state = try temporaryStateDirectory("verify")
        let result = try LabctlRunner.labctl(["verify", "--all", "--jobs", "2", "--labs-dir", CompareCommandTests.fixtures], state: state)
        XCTAssertEqual(result.status, 1, "one fixture lab fails, so verify must:\n\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("90-latency-fault") && $0.contains("PASS") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("91-false-expectation") && $0.contains("FAIL") }, result.stdout)
        XCTAssertTrue(result.stdout.contains("1/2 hold"), result.stdout)
        XCTAssertTrue(result.stdout.contains("p50_steady: before > 1.0"), "the failed expectation, with its values:\n\(result.stdout)")
        // Not a terminal: one plain line per lab event on stderr.
        XCTAssertTrue(result.stderr.contains("verify: start 90-latency-fault (scale 0.5"), result.stderr)
        XCTAssertTrue(result.stderr.contains("PASS 90-latency-fault in"), result.stderr)
        // Each lab kept its own log and results.
        for lab in ["90-latency-fault", "91-false-expectation"] {
            let directory = state.appendingPathComponent("verify/\(lab)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("results.json").path), lab)
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("compare.log").path), lab)
        }
    }

    func testJSONAndArgumentErrors() throws {
        let state = try temporaryStateDirectory("verify")
        let none = try LabctlRunner.labctl(["verify", "--labs-dir", CompareCommandTests.fixtures], state: state)
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("name the labs to verify, or pass --all"), none.stderr)
        let unknown = try LabctlRunner.labctl(["verify", "nosuch", "--labs-dir", CompareCommandTests.fixtures], state: state)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("no lab named 'nosuch'"), unknown.stderr)

        let one = try LabctlRunner.labctl(["verify", "latency-fault", "--json", "--labs-dir", CompareCommandTests.fixtures], state: state)
        XCTAssertEqual(one.status, 0, one.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any], one.stdout)
        XCTAssertEqual(object["holds"] as? Bool, true)
        let labs = try XCTUnwrap(object["labs"] as? [[String: Any]])
        XCTAssertEqual(labs.map { $0["lab"] as? String }, ["90-latency-fault"])
        XCTAssertEqual(labs[0]["verdict"] as? String, "PASS")
        let steps = (labs[0]["timings"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? String }
        XCTAssertTrue(steps.contains("scenario") && steps.contains("first scrape"), "\(steps)")
    }

    func testCompareRefusesToRunBelowTheLabsShortestScale() throws {
        let state = try temporaryStateDirectory("verify")
        let result = try LabctlRunner.labctl(
            ["compare", "latency-fault", "--duration-scale", "0.05", "--labs-dir", CompareCommandTests.fixtures], state: state)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("90-latency-fault needs --duration-scale 0.1 or more"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--force"), result.stderr)
    }
}
