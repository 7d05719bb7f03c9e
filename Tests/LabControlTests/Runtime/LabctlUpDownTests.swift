import Foundation
import XCTest

@testable import LabControl

/// `labctl up` as a real process: `labctl down` from another process, SIGTERM, and SIGKILL of
/// labctl itself (the parent-death signal) all leave no process behind.
final class LabctlUpDownTests: XCTestCase {
    var state: TestDirectory!
    var labctl: URL!

    override func setUp() async throws {
        state = try TestDirectory()
        labctl = try RuntimeOptions(stateDirectory: state.url).resolveLabsvc().deletingLastPathComponent().appendingPathComponent("labctl")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: labctl.path), "labctl is not built next to labsvc")
    }

    override func tearDown() async throws {
        await LabRuntime.down(stateDirectory: state.url)
        state.remove()
    }

    func startUp() async throws -> ChildProcess {
        let up = try ChildProcess.spawn(
            name: "labctl up", executable: labctl,
            arguments: ["up", "selftest", "--labs-dir", Fixtures.labsDirectory.path, "--state-dir", state.url.path, "--otlp-port", "0"],
            environment: ChildProcess.minimalEnvironment(), directory: state.url,
            logFile: state.url.appendingPathComponent("up.log"))
        try await waitUntil(timeout: .seconds(120)) {
            XCTAssertTrue(up.isRunning, "labctl up exited: \(up.logTail())")
            return !up.isRunning || LabEndpoints.read(from: self.state.url) != nil
        }
        return up
    }

    func labctl(_ arguments: [String]) async throws -> String {
        let log = state.url.appendingPathComponent("labctl-\(UUID().uuidString.prefix(6)).log")
        try await ChildProcess.run(
            name: "labctl \(arguments[0])", executable: labctl, arguments: arguments + ["--state-dir", state.url.path],
            directory: state.url, logFile: log, timeout: .seconds(120))
        return try String(contentsOf: log, encoding: .utf8)
    }

    func testDownFromAnotherProcessStopsEverything() async throws {
        let up = try await startUp()
        let recorded = try XCTUnwrap(LabState.read(from: state.url)).processes
        XCTAssertEqual(recorded.count, 6, "redis, its fault proxy, postgres, prometheus, frontend, backend")
        let endpoints = try XCTUnwrap(LabEndpoints.read(from: state.url))
        let frontend = try XCTUnwrap(URL(string: try XCTUnwrap(endpoints.instances["frontend"]))?.port)
        XCTAssertEqual(Probe.httpGet(port: frontend, path: "/hello", timeout: .seconds(10))?.status, 200)

        let backendLog = try await labctl(["logs", "backend"])
        XCTAssertTrue(backendLog.contains("listening"), backendLog)
        let upOutput = try String(contentsOf: state.url.appendingPathComponent("up.log"), encoding: .utf8)
        let frontendURL = try XCTUnwrap(endpoints.instances["frontend"])
        XCTAssertTrue(upOutput.contains("frontend") && upOutput.contains(frontendURL), upOutput)

        // Process control goes through the supervising labctl.
        let restarted = try await labctl(["restart", "backend"])
        XCTAssertTrue(restarted.contains("restart: backend"), restarted)
        XCTAssertNotEqual(
            LabState.read(from: state.url)?.processes.first { $0.name == "backend" }?.pid,
            recorded.first { $0.name == "backend" }?.pid)

        let output = try await labctl(["down"])
        XCTAssertTrue(output.contains("stopped selftest (before)"), output)
        let status = await up.waitForExit(timeout: .seconds(60))
        XCTAssertEqual(status, .exited(0), up.logTail())
        XCTAssertTrue(up.logTail(40).contains("selftest is down"), up.logTail(40))
        assertNothingRemains(recorded)
    }

    func testSIGTERMStopsTheLab() async throws {
        let up = try await startUp()
        let recorded = try XCTUnwrap(LabState.read(from: state.url)).processes
        up.send(SIGTERM)
        let status = await up.waitForExit(timeout: .seconds(60))
        XCTAssertEqual(status, .exited(0), up.logTail())
        assertNothingRemains(recorded)
        XCTAssertNil(LabState.read(from: state.url))
    }

    func testKillingLabctlTakesItsChildrenAlong() async throws {
        let up = try await startUp()
        let recorded = try XCTUnwrap(LabState.read(from: state.url)).processes
        up.send(SIGKILL) // no cleanup code runs: only the parent-death signal can end the children
        let status = await up.waitForExit(timeout: .seconds(10))
        XCTAssertEqual(status, .signaled(SIGKILL))
        try await waitUntil(timeout: .seconds(30)) { self.survivors(recorded).isEmpty }
        assertNothingRemains(recorded)

        // The state file is stale now: `down` says what it cleaned, a new `up` would start.
        let state = try XCTUnwrap(LabState.read(from: self.state.url))
        XCTAssertFalse(state.controllerIsAlive)
    }

    func survivors(_ recorded: [LabState.Process]) -> [ProcessTable.Entry] {
        recorded.compactMap { ProcessTable.entry($0.pid) }.filter { $0.state != "Z" }
            + ProcessTable.processes(referencing: state.url.path)
    }

    func assertNothingRemains(_ recorded: [LabState.Process], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(survivors(recorded), [], file: file, line: line)
    }
}
