import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The lab console during a real native run of week 7 (`labctl up circuit-breakers`, real services and
/// Prometheus), checked from outside our Swift code:
/// - in a real browser (Debian's chromium, headless, driven by selenium through chromium-driver):
///   every panel gets data points after a scenario run started from the page, an exemplar click opens
///   the trace's waterfall with its span count, a latency fault set from the page raises the latency
///   panel, and a comparison started from the page shows its verdicts (console_browser_check.py);
/// - Jaeger's query API read by Python as Grafana's data source reads it, and compared with
///   `labctl traces --trace` for the same trace (jaeger_api_check.py).
/// Screenshots and the page's HTML are saved under .build/console-test-artifacts/ when a check fails.
final class ConsoleLiveTests: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let root = scripts.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTheConsoleInAChromiumBrowserAndItsJaegerAPIFromPython() throws {
        let labctl = Self.root.appendingPathComponent(".build/debug/labctl").path
        let python =
            ProcessInfo.processInfo.environment["LAB_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: labctl) else { return XCTFail("labctl is not built: run `swift build`") }
        guard FileManager.default.isExecutableFile(atPath: python) else { return XCTFail("\(python) is missing: run `make setup`") }

        let state = URL(fileURLWithPath: "/tmp/lab-console-test-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let artifacts = Self.root.appendingPathComponent(".build/console-test-artifacts", isDirectory: true)

        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = state.path
        environment.removeValue(forKey: "OTEL_EXPORTER_OTLP_ENDPOINT")
        let up = try Self.start(
            labctl,
            [
                "up", "circuit-breakers", "--variant", "after", "--console-port", "0",
                "--labs-dir", Self.root.appendingPathComponent("labs").path,
            ],
            environment: environment, log: state.appendingPathComponent("up.log"))
        defer {
            up.terminate() // SIGTERM: labctl brings the lab down and exits
            let deadline = Date().addingTimeInterval(60)
            while up.isRunning && Date() < deadline { usleep(100_000) }
            if up.isRunning { kill(up.processIdentifier, SIGKILL) }
        }

        // The console's URL, as `labctl up` writes it to endpoints.json.
        var console: String?
        let deadline = Date().addingTimeInterval(180)
        while console == nil && Date() < deadline && up.isRunning {
            if let data = try? Data(contentsOf: state.appendingPathComponent("endpoints.json")),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                console = object["console"] as? String
            }
            if console == nil { usleep(250_000) }
        }
        let upLog = { (try? String(contentsOf: state.appendingPathComponent("up.log"), encoding: .utf8)) ?? "" }
        guard let console else { return XCTFail("labctl up wrote no console URL to endpoints.json:\n\(upLog().suffix(3000))") }
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: state.appendingPathComponent("grafana/provisioning/datasources/labctl.yaml").path))

        let browser = try Self.run(
            python, [Self.scripts.appendingPathComponent("console_browser_check.py").path, console, "week07", artifacts.path],
            environment: environment, timeout: 1200)
        print(browser.output)
        XCTAssertEqual(browser.status, 0, "browser check failed:\n\(browser.output)\n--- labctl up ---\n\(upLog().suffix(4000))")

        let jaeger = try Self.run(
            python,
            [
                Self.scripts.appendingPathComponent("jaeger_api_check.py").path, console, labctl,
                state.appendingPathComponent("traces").path, "client",
            ],
            environment: environment, timeout: 120)
        print(jaeger.output)
        XCTAssertEqual(jaeger.status, 0, "Jaeger API check failed:\n\(jaeger.output)")

        // `labctl stop|cont` from another terminal: the console marks them on its charts (source cli).
        for verb in ["stop", "cont"] {
            let control = try Self.run(labctl, [verb, "backend"], environment: environment, timeout: 60)
            XCTAssertEqual(control.status, 0, "labctl \(verb) backend: \(control.output)")
        }
        let stateData = try Data(contentsOf: URL(string: console)!.appendingPathComponent("console/api/state"))
        let consoleState = try JSONSerialization.jsonObject(with: stateData) as? [String: Any]
        let actions = ((consoleState?["timeline"] as? [String: Any])?["actions"] as? [[String: Any]]) ?? []
        let fromCLI = actions.filter { $0["source"] as? String == "cli" }.compactMap { $0["description"] as? String }
        XCTAssertEqual(fromCLI, ["stop backend", "cont backend"], "the console's timeline: \(actions)")
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String], log: URL) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs to completion (or `timeout` seconds, then SIGKILL); output and errors together.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], timeout: Double
    ) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("console-check-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try start(executable, arguments, environment: environment, log: log)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(200_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
