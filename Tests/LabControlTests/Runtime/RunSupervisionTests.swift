import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `labctl run` supervises what it started, end to end with real processes and real signals: a
/// service or Prometheus killed from outside during the run is reported at once with its exit status
/// and log, and the run fails; the exits the scenario itself causes (kill, restart, abort fault) are not.
final class RunSupervisionTests: XCTestCase {
    static let compareLabs = LabctlRunner.packageRoot.appendingPathComponent("Tests/Fixtures/compare-labs").path
    static let supervisionLabs = LabctlRunner.packageRoot.appendingPathComponent("Tests/Fixtures/supervision-labs").path

    /// Starts `labctl run` in the background, kills `victim` (a name in state.json) once the lab is
    /// up and a few seconds into the run, and returns what labctl printed and how long it took after the kill.
    func runAndKill(_ victim: String) throws -> (result: LabctlRunner.Result, secondsAfterKill: Double, victimPid: Int32) {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("labctl-supervision-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        // The fixture's 12 s scenario at scale 3 runs 36 s: far longer than a prompt report needs.
        let arguments = ["run", "latency-fault", "--duration-scale", "3", "--otlp-port", "0", "--labs-dir", Self.compareLabs]
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        let labctl = Thread {
            outcome.result = try? LabctlRunner.labctl(arguments, state: state)
            finished.signal()
        }
        labctl.start()

        let endpoints = state.appendingPathComponent("endpoints.json")
        let deadline = Date().addingTimeInterval(180)
        while !FileManager.default.fileExists(atPath: endpoints.path) && Date() < deadline {
            if finished.wait(timeout: .now() + 0.2) == .success {
                XCTFail("labctl ended before the lab was up: \(outcome.result?.stderr ?? "")")
            }
        }
        Thread.sleep(forTimeInterval: 3)
        let stateFile =
            try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("state.json"))) as? [String: Any]
        let processes = try XCTUnwrap(stateFile?["processes"] as? [[String: Any]])
        let pid = try XCTUnwrap(processes.first { $0["name"] as? String == victim }?["pid"] as? Int, "\(processes)")
        let killedAt = Date()
        XCTAssertEqual(kill(pid_t(pid), SIGKILL), 0)
        XCTAssertEqual(finished.wait(timeout: .now() + 120), .success, "labctl did not end")
        return (try XCTUnwrap(outcome.result), Date().timeIntervalSince(killedAt), Int32(pid))
    }

    /// What the background labctl printed (written by its thread before the semaphore signals).
    final class Outcome: @unchecked Sendable {
        var result: LabctlRunner.Result?
    }

    func testAServiceKilledFromOutsideFailsTheRunAtOnce() throws {
        let (result, seconds, pid) = try runAndKill("backend")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopping the run: backend (pid \(pid)) killed by signal 9 on its own"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Error: backend (pid \(pid)) killed by signal 9 on its own"), result.stderr)
        XCTAssertTrue(result.stderr.contains("last lines of "), "the report quotes the service's log: \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("Usage:"), result.stderr)
        XCTAssertLessThan(seconds, 25, "reported while the 36 s scenario still had most of its time to run")
    }

    func testPrometheusKilledFromOutsideFailsTheRunAtOnce() throws {
        let (result, seconds, pid) = try runAndKill("prometheus")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("Error: prometheus (pid \(pid)) killed by signal 9 on its own"), result.stderr)
        XCTAssertLessThan(seconds, 25, "no query waits out its timeout against the dead Prometheus")
    }

    /// Kill, restart and the abort fault end the backend three times on purpose: none is reported.
    func testExitsTheScenarioCausesAreNotReported() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("labctl-supervision-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try LabctlRunner.labctl(
            ["run", "planned-exits", "--duration-scale", "0.3", "--otlp-port", "0", "--labs-dir", Self.supervisionLabs], state: state)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("on its own"), result.stderr)
        XCTAssertTrue(result.stderr.contains("kill backend"), result.stderr)
        XCTAssertTrue(result.stdout.contains("restart backend"), "the actions ran: \(result.stdout)")
        XCTAssertFalse(result.stdout.contains("FAILED"), result.stdout)
    }
}
