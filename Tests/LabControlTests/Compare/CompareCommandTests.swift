import Foundation
import XCTest

/// `labctl compare` end to end, natively: a fixture lab whose effect is large and certain (300 ms
/// injected into the backend for one phase), run through the real binaries with real Prometheus,
/// then its HTML report opened in a real headless Chromium.
final class CompareCommandTests: XCTestCase {
    static let packageRoot = LabctlRunner.packageRoot
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/compare-labs").path

    func testExpectationsHoldAndReportRendersInABrowser() throws {
        let state = try temporaryDirectory()
        let result = try labctl(["compare", "latency-fault", "--duration-scale", "0.5", "--labs-dir", Self.fixtures], state: state)
        XCTAssertEqual(result.status, 0, "compare failed:\n\(result.stdout)\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("every expectation holds"), result.stdout)
        XCTAssertTrue(result.stdout.contains("PASS  p50_fault: before >= 0.25"), result.stdout)
        // The progress line and the action log went to stderr.
        XCTAssertTrue(result.stderr.contains("fault on backend"), result.stderr)

        let reportLine = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
        let report = String(reportLine.dropFirst("report: ".count))
        XCTAssertTrue(FileManager.default.fileExists(atPath: report))
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("Every expectation holds."))
        XCTAssertTrue(html.contains("Slowest trace"), "the report shows a trace waterfall")

        // A real browser renders it: the page's script runs to its end (it marks the number of
        // charts on <body>) and nothing is reported as an uncaught error.
        let chromium = try run(
            "/usr/bin/env",
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--enable-logging=stderr", "--v=0", "--dump-dom", "file://\(report)",
            ])
        XCTAssertEqual(chromium.status, 0, chromium.stderr)
        let ready = try XCTUnwrap(
            chromium.stdout.firstMatch(of: /data-report-ready="(\d+)"/), "the report's script did not run:\n\(chromium.stderr)")
        XCTAssertGreaterThanOrEqual(Int(ready.1)!, 6, "three load charts per variant")
        XCTAssertFalse(chromium.stderr.contains("Uncaught"), chromium.stderr)
        XCTAssertEqual(chromium.stdout.components(separatedBy: "<svg class=\"chart\"").count - 1, Int(ready.1)!)
    }

    func testAFalseExpectationFailsAndSaysByHowMuch() throws {
        let state = try temporaryDirectory()
        let result = try labctl(
            [
                "compare", "false-expectation", "--duration-scale", "0.4", "--variants", "before",
                "--labs-dir", Self.fixtures,
            ], state: state)
        XCTAssertEqual(result.status, 1, "compare must fail:\n\(result.stdout)\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("FAIL  p50_steady: before > 1.0"), result.stdout)
        XCTAssertTrue(result.stdout.contains("does not hold (off by"), result.stdout)
        XCTAssertTrue(
            result.stdout.contains("1 of 4 expectations do not hold") || result.stdout.contains("expectations do not hold"), result.stdout)
        // An expectation about a variant left out with --variants is skipped (not failed), and says so.
        XCTAssertTrue(result.stdout.contains("SKIP  "), result.stdout)
        XCTAssertTrue(result.stdout.contains("after not run (--variants)"), result.stdout)
    }

    func testJSONOutput() throws {
        let state = try temporaryDirectory()
        let result = try labctl(
            [
                "compare", "latency-fault", "--duration-scale", "0.4", "--variants", "before", "--json",
                "--labs-dir", Self.fixtures,
            ], state: state)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(object["lab"] as? String, "latency-fault")
        XCTAssertEqual(object["variants"] as? [String], ["before"])
        let measurements = try XCTUnwrap(object["measurements"] as? [[String: Any]])
        let fault = try XCTUnwrap(measurements.first { $0["name"] as? String == "p50_fault" })
        let value = try XCTUnwrap((fault["values"] as? [String: Any])?["before"] as? Double)
        XCTAssertGreaterThan(value, 0.25)
        XCTAssertNotNil(object["report"] as? String)
    }

    func testUnknownVariantIsAClearError() throws {
        let state = try temporaryDirectory()
        let result = try labctl(["compare", "latency-fault", "--variants", "nope", "--labs-dir", Self.fixtures], state: state)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("has no variant 'nope'"), result.stderr)
    }

    // MARK: helpers

    typealias Result = LabctlRunner.Result

    func labctl(_ arguments: [String], state: URL) throws -> Result { try LabctlRunner.labctl(arguments, state: state) }

    func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        try LabctlRunner.run(executable, arguments, environment: environment)
    }

    func temporaryDirectory() throws -> URL { try temporaryStateDirectory("compare") }
}
