import Foundation
import XCTest

/// Runs `labctl compare <lab>` natively — the real binaries, real infrastructure, real Prometheus —
/// exactly as a learner would, and hands the test the parsed `--json` results. Every lab's test
/// is one call to `assertLabHolds`, plus any lab-specific checks on the returned values.
enum LabCompare {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result {
        var status: Int32
        var json: [String: Any]
        var stdout: String
        var stderr: String

        var holds: Bool { json["holds"] as? Bool ?? false }

        /// A measurement's value for a variant, or nil when it was missing.
        func value(_ measurement: String, _ variant: String) -> Double? {
            let measurements = json["measurements"] as? [[String: Any]] ?? []
            let entry = measurements.first { $0["name"] as? String == measurement }
            return (entry?["values"] as? [String: Any])?[variant] as? Double
        }

        /// Dashboard panels (titles) that returned no data in every variant's run; nil when the JSON
        /// carries no panel check (a run without `panels_without_data`, or no runs at all).
        var panelsWithoutDataInEveryVariant: [String]? {
            guard let runs = json["runs"] as? [[String: Any]], !runs.isEmpty else { return nil }
            let lists = runs.map { $0["panels_without_data"] as? [String] }
            guard lists.allSatisfy({ $0 != nil }) else { return nil }
            let first = lists[0]!
            return first.filter { title in lists.allSatisfy { $0!.contains(title) } }
        }

        /// The expectations that did not hold, with their explanations.
        var failures: [String] {
            (json["expectations"] as? [[String: Any]] ?? []).filter { $0["holds"] as? Bool != true && $0["skipped"] as? Bool != true }.map {
                "\($0["measurement"] ?? ""): \($0["check"] ?? "") — \($0["explanation"] ?? "")"
            }
        }
    }

    /// Runs the comparison with phases scaled by `durationScale` and fails the test, listing every
    /// expectation that did not hold and the run's log, unless all of them hold.
    @discardableResult
    static func assertLabHolds(
        _ lab: String, durationScale: Double, variants: [String]? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Result {
        let result = try compare(lab, durationScale: durationScale, variants: variants)
        if !result.holds {
            XCTFail("""
                labctl compare \(lab): expectations do not hold (exit \(result.status)):
                \(result.failures.joined(separator: "\n"))
                --- stderr (last 60 lines) ---
                \(result.stderr.split(separator: "\n").suffix(60).joined(separator: "\n"))
                """, file: file, line: line)
        }
        // Every dashboard panel must show data in at least one variant (a panel that is empty in
        // every run has a wrong query, or shows a metric nothing exports).
        if !result.json.isEmpty {
            if let empty = result.panelsWithoutDataInEveryVariant {
                if !empty.isEmpty {
                    XCTFail("""
                        labctl compare \(lab): dashboard panels returned no data in any variant (fix their PromQL in lab.yaml):
                        \(empty.map { "  - " + $0 }.joined(separator: "\n"))
                        """, file: file, line: line)
                }
            } else {
                XCTFail("labctl compare \(lab): the JSON has no dashboard panel check (runs[].panels_without_data); rebuild labctl", file: file, line: line)
            }
        }
        // Dashboard latency quantiles must agree with the load generator's percentiles (PanelTruth).
        if let findings = result.json["panel_truth"] as? [String], !findings.isEmpty {
            XCTFail("""
                labctl compare \(lab): dashboard panels disagree with the load generator by more than 10 % (and 2 ms):
                \(findings.map { "  - " + $0 }.joined(separator: "\n"))
                """, file: file, line: line)
        }
        return result
    }

    static func compare(_ lab: String, durationScale: Double, variants: [String]? = nil) throws -> Result {
        let labctl = packageRoot.appendingPathComponent(".build/debug/labctl").path
        guard FileManager.default.isExecutableFile(atPath: labctl) else {
            XCTFail("labctl is not built at \(labctl): run `swift build` (make test does)")
            return Result(status: -1, json: [:], stdout: "", stderr: "")
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("lab-\(lab)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }

        var arguments = ["compare", lab, "--duration-scale", String(durationScale), "--json",
                         "--labs-dir", packageRoot.appendingPathComponent("labs").path]
        if let variants { arguments += ["--variants", variants.joined(separator: ",")] }
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = state.path
        environment.removeValue(forKey: "OTEL_EXPORTER_OTLP_ENDPOINT")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: labctl)
        process.arguments = arguments
        process.environment = environment
        let out = state.appendingPathComponent("stdout"), err = state.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        guard let json else {
            XCTFail("labctl compare \(lab) printed no JSON (exit \(process.terminationStatus)):\n\(stdout)\n\(stderr.suffix(4000))")
            return Result(status: process.terminationStatus, json: [:], stdout: stdout, stderr: stderr)
        }
        return Result(status: process.terminationStatus, json: json, stdout: stdout, stderr: stderr)
    }
}
