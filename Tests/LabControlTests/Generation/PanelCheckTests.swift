import Foundation
import XCTest

@testable import LabControl

/// The dashboard panel check: after a run, every panel query is evaluated against the lab's real
/// Prometheus, the panels without data are recorded in the run's JSON, and a panel without data in
/// every variant's run fails the comparison (what `labctl verify` fails on).
final class PanelCheckTests: XCTestCase {
    func testPanelsWithoutDataAreThoseWithNoSeriesOrOnlyNaN() {
        func series(_ values: [Double]) -> PrometheusClient.Series {
            .init(labels: [:], points: values.enumerated().map { (time: Double($0.offset), value: $0.element) })
        }
        let panels: [ReportData.PanelSeries] = [
            .init(title: "data", unit: "s", series: [series([.nan, 0.2])]),
            .init(title: "no series", unit: "s", series: []),
            .init(title: "only NaN", unit: "s", series: [series([.nan, .nan]), series([])]),
            .init(title: "zero is data", unit: "short", series: [series([0])]),
        ]
        XCTAssertEqual(ScenarioRun.panelsWithoutData(panels), ["no series", "only NaN"])
    }

    /// A real native run of the self-test lab with one panel nothing exports.
    func testANativeRunRecordsThePanelsThatReturnedNoData() throws {
        let root = GeneratedStack.repositoryRoot
        let labctl = root.appendingPathComponent(".build/debug/labctl").path
        guard FileManager.default.isExecutableFile(atPath: labctl) else { throw XCTSkip("labctl is not built") }
        let directory = try TestDirectory()
        defer { directory.remove() }
        let labs = directory.url.appendingPathComponent("labs")
        try FileManager.default.createDirectory(at: labs, withIntermediateDirectories: true)
        let lab = labs.appendingPathComponent("00-selftest")
        try FileManager.default.copyItem(at: Fixtures.labsDirectory.appendingPathComponent("00-selftest"), to: lab)
        let manifest = lab.appendingPathComponent("lab.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(
            of: "\nmeasurements:",
            with: "\n" + """
                    - title: Nothing exports this
                      promql: sum(rate(no_such_metric_total[30s]))
                      unit: reqps

                measurements:
                """)
        try text.write(to: manifest, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: labctl)
        process.arguments = ["run", "selftest", "--json", "--labs-dir", labs.path]
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = directory.url.appendingPathComponent("state").path
        environment.removeValue(forKey: "OTEL_EXPORTER_OTLP_ENDPOINT")
        process.environment = environment
        let out = directory.url.appendingPathComponent("stdout")
        let err = directory.url.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        let json = try XCTUnwrap(
            try? JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any],
            "labctl run printed no JSON (exit \(process.terminationStatus)):\n\(stderr.suffix(3000))")
        let run = try XCTUnwrap((json["runs"] as? [[String: Any]])?.first)
        XCTAssertEqual(
            run["panels_without_data"] as? [String], ["Nothing exports this"],
            "the two real panels have data, the bogus one none\n\(stderr.suffix(2000))")
        // The platform check beside the lab's expectations fails, naming the panel.
        let dashboard = try XCTUnwrap((json["expectations"] as? [[String: Any]])?.first { $0["measurement"] as? String == "dashboard" })
        XCTAssertEqual(dashboard["holds"] as? Bool, false)
        XCTAssertTrue((dashboard["explanation"] as? String ?? "").contains("'Nothing exports this'"), "\(dashboard)")
        XCTAssertEqual(json["holds"] as? Bool, false)
    }

    func testThePanelCheckFailsOnlyForAPanelEmptyInEveryRun() {
        let manifest = try! ManifestParser.load(Fixtures.labsDirectory.appendingPathComponent("00-selftest/lab.yaml"))
        let titles = manifest.dashboard.map(\.title)
        XCTAssertGreaterThanOrEqual(titles.count, 2)
        func run(_ variant: String, empty: [String]) -> ScenarioRun {
            var run = ScenarioRun(variant: variant, startTime: 0, phases: [], load: LoadReport(phases: []), actions: [], timeline: [])
            run.panelsWithoutData = empty
            return run
        }
        // Empty in one variant only: a panel that shows what happens in the other one holds.
        XCTAssertEqual(Comparison.panelVerdict(manifest, [run("before", empty: [titles[0]]), run("after", empty: [])])?.holds, true)
        let failing = Comparison.panelVerdict(manifest, [run("before", empty: [titles[1]]), run("after", empty: [titles[1]])])
        XCTAssertEqual(failing?.holds, false)
        XCTAssertTrue(failing?.explanation.contains(titles[1]) == true)
        XCTAssertNil(Comparison.panelVerdict(manifest, []))
    }
}
