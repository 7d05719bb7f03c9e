import XCTest

/// `labsvc` and knobs as a user meets them: a bad value stops a service with one line, and
/// `labsvc knobs` lists what a service reads without starting it.
final class LabsvcKnobsCommandTests: XCTestCase {
    func testAMisspelledFlagStopsTheServiceWithOneLine() throws {
        let (status, stdout, stderr) = try LabsvcProcess.run(
            ["week07", "client"],
            environment: ["BREAKER": "onn", "PORT": "0", "BACKEND_URL": "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER": "none"])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(stdout, "")
        XCTAssertEqual(stderr, "labsvc week07 client: BREAKER=onn: expected one of on, off (also true/false, 1/0, yes/no)\n")
    }

    func testAKnobTheRunDoesNotReadIsCheckedToo() throws {
        // POOLS=shared reads only the DB_* pool knobs; a typo in the split layout's knobs still stops it.
        let (status, _, stderr) = try LabsvcProcess.run(
            ["connection-pool-exhaustion", "app"],
            environment: ["POOLS": "shared", "FAST_POOL_SIZE": "5x", "PORT": "0", "DATABASE_URL": "postgres://lab@127.0.0.1:1/lab"])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(stderr, "labsvc connection-pool-exhaustion app: FAST_POOL_SIZE=5x: expected a whole number in 1...1000\n")
    }

    func testKnobsListsAServiceWithoutStartingIt() throws {
        let (status, stdout, _) = try LabsvcProcess.run(["knobs", "week07", "client"])
        XCTAssertEqual(status, 0)
        let lines = stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first?.split(separator: " "), ["variable", "kind", "default", "allowed", "meaning"])
        let breaker = lines.first { $0.hasPrefix("BREAKER ") } ?? ""
        XCTAssertTrue(breaker.contains(" flag ") && breaker.contains(" off ") && breaker.contains("on, off"), stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("CB_WAIT_MS ") && $0.contains(" 3000 ") && $0.contains("1...3600000") }, stdout)
    }

    func testKnobsMarkdownIsTheLabTable() throws {
        let (status, stdout, _) = try LabsvcProcess.run(["knobs", "12", "--markdown"])
        XCTAssertEqual(status, 0)
        XCTAssertTrue(stdout.hasPrefix("| variable | service | kind | default | allowed | meaning |\n|---|"), stdout)
        XCTAssertTrue(stdout.contains("| `STRATEGY` | api | choice | `naive` | naive, coalesce |"), stdout)
    }

    func testKnobsOfAnUnknownLabIsAnError() throws {
        let (status, _, stderr) = try LabsvcProcess.run(["knobs", "week99"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("unknown lab 'week99'"), stderr)
    }
}
