import Foundation
import LabControl
import Labs
import XCTest

/// `labsvc` as a program: listing, argument errors, graceful shutdown, the abort fault.
final class LabsvcCommandTests: XCTestCase {
    func testListPrintsEveryLabAndItsRoles() throws {
        let (status, stdout, _) = try LabsvcProcess.run(["--list"])
        XCTAssertEqual(status, 0)
        for lab in Labs.registry.labs {
            XCTAssertTrue(stdout.contains(lab.id), "missing \(lab.id)")
            for role in lab.roles { XCTAssertTrue(stdout.contains("    \(role.name): "), "missing \(lab.id)/\(role.name)") }
        }
        XCTAssertTrue(stdout.contains("selftest"))
    }

    func testUnknownRoleIsOneLineListingTheValidOnesWithExit2() throws {
        let (status, stdout, stderr) = try LabsvcProcess.run(["selftest", "database"])
        XCTAssertEqual(status, 2)
        XCTAssertEqual(stdout, "")
        XCTAssertEqual(stderr, "labsvc: lab selftest has no role 'database'; valid roles: frontend, backend\n")
    }

    func testUnknownLabIsOneLineListingTheValidOnesWithExit2() throws {
        let (status, _, stderr) = try LabsvcProcess.run(["week99", "client"])
        XCTAssertEqual(status, 2)
        XCTAssertTrue(stderr.hasPrefix("labsvc: unknown lab 'week99'; valid labs: "), stderr)
        XCTAssertTrue(stderr.contains("selftest"))
        XCTAssertEqual(stderr.filter { $0 == "\n" }.count, 1, "one line")
    }

    func testMissingPeerURLIsAOneLineStartupError() throws {
        let (status, _, stderr) = try LabsvcProcess.run(["self-test", "frontend"])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(stderr, "labsvc self-test frontend: backend: BACKEND_URL is not set\n")
    }

    func testSIGTERMLetsTheInFlightRequestComplete() async throws {
        let backend = try await LabsvcProcess.start("selftest", "backend", port: try FreePort.next())
        addTeardownBlock { await backend.stop() }
        let put = try await backend.send("PUT", "/admin/faults", body: #"{"latency":{"fixed_ms":1500,"route":"/work"}}"#)
        XCTAssertEqual(put.status, 200)

        let inFlight = Task { try await backend.get("/work", timeout: 20) }
        try await Task.sleep(for: .milliseconds(400))
        backend.sigterm()
        let answer = try await inFlight.value
        XCTAssertEqual(answer.status, 200, "the request in flight at SIGTERM completes")
        XCTAssertTrue(answer.body.contains("selftest-backend"))
        let exit = await backend.waitForExit()
        XCTAssertEqual(exit.reason, .exit)
        XCTAssertEqual(exit.status, 0, "a graceful shutdown exits 0")
    }

    func testAbortFaultAnswers202ThenKillsTheProcess() async throws {
        let backend = try await LabsvcProcess.start("selftest", "backend", port: try FreePort.next())
        addTeardownBlock { await backend.stop() }
        let answer = try await backend.send("PUT", "/admin/faults", body: #"{"abort":{}}"#)
        XCTAssertEqual(answer.status, 202)
        let exit = await backend.waitForExit(timeout: 10)
        XCTAssertEqual(exit.reason, .uncaughtSignal)
        XCTAssertEqual(exit.status, SIGKILL, "dies abruptly, like an OOM kill")
    }
}
