import Foundation
import XCTest

@testable import LabControl

/// The runner against the real self-test lab (labsvc processes, Prometheus scraping them): a
/// hypothesis that a stopped frontend breaks is aborted and rolled back (SIGCONT); one the fault
/// does not touch holds for the whole duration. Needs labsvc built, like NativeRuntimeTests.
final class ChaosRunnerTests: XCTestCase {
    var state: TestDirectory!

    override func setUp() async throws { state = try TestDirectory() }

    override func tearDown() async throws {
        await LabRuntime.down(stateDirectory: state.url)
        state.remove()
    }

    /// The state letter (T: stopped) of a service's process, from state.json and /proc.
    func processState(_ name: String) -> Character? {
        LabState.read(from: state.url)?.processes.first { $0.name == name }.flatMap { ProcessTable.entry($0.pid)?.state }
    }

    func testAbortsAndRollsBackWhenTheHypothesisBreaksAndHoldsOtherwise() async throws {
        let entry = try LabCatalog.load(root: Fixtures.labsDirectory).resolve("selftest")
        let lab = try await LabRuntime.up(
            entry, options: RuntimeOptions(stateDirectory: state.url, variant: "before", otlp: .embedded(port: 0)))
        defer { Task { [lab] in await lab.down() } }
        let prometheus = PrometheusClient(baseURL: try XCTUnwrap(lab.prometheusURL))
        let frontendUp = #"sum(up{job="frontend"})"#
        try await waitUntil(timeout: .seconds(30)) { (try? await prometheus.instant(frontendUp).first?.value) == 1 }

        let targets = ChaosTargets(entry.manifest)
        func experiment(_ fault: String, duration: String) throws -> ChaosExperiment {
            try ChaosExperimentParser.parse(
                yaml: """
                    steady_state:
                      - {name: frontend_up, promql: '\(frontendUp)', at_least: 1}
                    fault: {\(fault)}
                    duration: \(duration)
                    poll: 250ms
                    """, file: "test.yaml", defaultName: "test", targets: targets)
        }
        let runner = ChaosRunner(lab: lab, prometheus: prometheus)

        // A stopped frontend fails its scrapes: up = 0, the hypothesis breaks, the abort continues it.
        let aborted = try await runner.run(try experiment("stop: frontend", duration: "20s"))
        XCTAssertEqual(aborted.outcome, .aborted, aborted.text)
        XCTAssertEqual(aborted.readings.first?.steady, 1)
        XCTAssertEqual(aborted.readings.first?.worst, 0)
        let abortSeconds = try XCTUnwrap(aborted.abortSeconds)
        XCTAssertLessThan(abortSeconds, 15, "rolled back before the 20 s were over")
        XCTAssertEqual(try aborted.value(of: "aborted").get(), 1)
        XCTAssertEqual(try aborted.value(of: "hypothesis_broken").get(), 1)
        let frontend = try XCTUnwrap(lab.instances.first { $0.role == "frontend" })
        XCTAssertNotEqual(processState("frontend"), "T", "SIGCONT sent: not stopped")
        XCTAssertEqual(Probe.httpGet(port: frontend.port, path: "/hello", timeout: .seconds(10))?.status, 200)

        // The hypothesis must hold again before the next experiment starts (else: not_steady).
        try await waitUntil(timeout: .seconds(30)) { (try? await prometheus.instant(frontendUp).first?.value) == 1 }
        let held = try await runner.run(try experiment("stop: backend", duration: "2s"))
        XCTAssertEqual(held.outcome, .held, held.text)
        XCTAssertGreaterThanOrEqual(held.polls, 6)
        XCTAssertNil(held.abortSeconds)
        XCTAssertEqual(try held.value(of: "hypothesis_broken").get(), 0)
        XCTAssertNotEqual(processState("backend"), "T", "rolled back at the end")
    }
}
