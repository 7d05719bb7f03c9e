import Foundation
import XCTest

@testable import LabControl

final class ChildProcessTests: XCTestCase {
    func testFreePortCanBeBoundAgain() throws {
        let port = try FreePort.next()
        XCTAssertGreaterThan(port, 1023)
        XCTAssertFalse(FreePort.isListening(port))
    }

    func testMissingProgramNamesTheDebianPackage() throws {
        let empty = ProgramLocator(searchDirectories: [URL(fileURLWithPath: "/nonexistent")])
        XCTAssertThrowsError(try empty.find("redis-server")) { error in
            XCTAssertEqual(
                "\(error)",
                "redis-server not found: install the Debian package 'redis-server' (apt-get install redis-server)")
        }
        XCTAssertThrowsError(try empty.find("psql")) { error in
            XCTAssertEqual("\(error)", "psql not found: install the Debian package 'postgresql-client' (apt-get install postgresql-client)")
        }
    }

    func testLocatorFindsPostgresServerBinariesOffPath() throws {
        // Debian keeps initdb and postgres in /usr/lib/postgresql/<version>/bin.
        let initdb = try ProgramLocator.standard.find("initdb")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: initdb.path))
    }

    func testExecFailureIsReportedWithItsStep() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        XCTAssertThrowsError(
            try ChildProcess.spawn(
                name: "ghost", executable: URL(fileURLWithPath: "/nonexistent/ghost"), arguments: [],
                environment: [:], directory: dir.url, logFile: dir.url.appendingPathComponent("ghost.log"))
        ) { error in
            XCTAssertEqual("\(error)", "could not start /nonexistent/ghost: exec failed: No such file or directory")
        }
    }

    /// A log appended to across starts: a start that fails quotes its own lines, not an earlier start's.
    func testAFailedStartQuotesOnlyItsOwnLogLines() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let log = dir.url.appendingPathComponent("server.log")
        let sh = URL(fileURLWithPath: "/bin/sh")
        let earlier = try ChildProcess.spawn(
            name: "server", executable: sh, arguments: ["-c", "echo earlier start: ready; echo earlier start: bye"],
            environment: [:], directory: dir.url, logFile: log)
        await earlier.waitForExit(timeout: .seconds(10))
        let failing = try ChildProcess.spawn(
            name: "server", executable: sh, arguments: ["-c", "echo this start: bad config >&2; exit 1"],
            environment: [:], directory: dir.url, logFile: log)
        do {
            try await Readiness.wait(for: failing, what: "server", timeout: .seconds(10)) { false }
            XCTFail("the start must fail")
        } catch let error as ServerStartError {
            XCTAssertEqual(error.logTail, "    this start: bad config")
            XCTAssertFalse("\(error)".contains("earlier start"), "\(error)")
        }
        let whole = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(whole.contains("earlier start: ready"), "the log itself keeps the history")
    }

    func testRunQuotesTheLogOfAFailedProgram() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        do {
            try await ChildProcess.run(
                name: "failing", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", "echo first line; echo boom >&2; exit 3"],
                directory: dir.url, logFile: dir.url.appendingPathComponent("failing.log"))
            XCTFail("a program exiting 3 must throw")
        } catch let error as ProgramFailedError {
            XCTAssertEqual(error.status, .exited(3))
            XCTAssertEqual("\(error)", "failing exited with status 3; last lines of its log:\n    first line\n    boom")
        }
    }

    func testChildGetsExactlyTheGivenEnvironmentAndDirectory() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let log = dir.url.appendingPathComponent("env.log")
        try await ChildProcess.run(
            name: "env", executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "pwd; env | sort"],
            environment: ["LAB_ONLY": "yes", "PATH": "/usr/bin:/bin"], directory: dir.url, logFile: log)
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, dir.url.path)
        XCTAssertTrue(lines.contains("LAB_ONLY=yes"))
        XCTAssertFalse(lines.contains { $0.hasPrefix("HOME=") }, "nothing is inherited: \(lines)")
    }

    func testStopEndsTheWholeProcessGroupAndReapsIt() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        // The shell ignores SIGTERM and has two children: stop must escalate to the group.
        let child = try ChildProcess.spawn(
            name: "stubborn", executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "trap '' TERM; sleep 300 & sleep 300 & wait"],
            environment: ChildProcess.minimalEnvironment(), directory: dir.url,
            logFile: dir.url.appendingPathComponent("stubborn.log"))
        try await waitUntil { ProcessTable.members(ofGroup: child.pgid).count == 3 }
        XCTAssertEqual(ProcessTable.entry(child.pid)?.processGroup, child.pid, "the child leads its own group")

        await child.stop(signal: SIGTERM, grace: .milliseconds(500))
        XCTAssertEqual(child.exitStatus, .signaled(SIGKILL))
        try await waitUntil { ProcessTable.members(ofGroup: child.pgid).isEmpty }
        XCTAssertNil(ProcessTable.entry(child.pid), "reaped: not even a zombie remains")
    }

    func testStopReturnsTheStatusOfAGracefulExit() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let child = try ChildProcess.spawn(
            name: "sleeper", executable: URL(fileURLWithPath: "/bin/sleep"), arguments: ["300"],
            environment: [:], directory: dir.url, logFile: dir.url.appendingPathComponent("sleep.log"))
        XCTAssertTrue(child.isRunning)
        await child.stop()
        XCTAssertEqual(child.exitStatus, .signaled(SIGTERM))
        XCTAssertNil(ProcessTable.entry(child.pid))
    }
}

/// Polls `condition` for up to `timeout` (wide: the machine is small and shared).
func waitUntil(
    timeout: Duration = .seconds(20), _ condition: () async throws -> Bool,
    file: StaticString = #filePath, line: UInt = #line
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now >= deadline {
            XCTFail("condition did not hold within \(timeout)", file: file, line: line)
            return
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
