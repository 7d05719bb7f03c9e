import Foundation
import XCTest

@testable import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// What `labctl verify` runs, in which order, on which ports; and how it reads a comparison's outcome.
final class VerificationPlanTests: XCTestCase {
    func testJobsRunAtTheTestScaleLongestFirstAndAtFullLengthOnRequest() throws {
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/compare-labs"))
        let plan = VerificationPlan(entries: catalog.labs, full: false)
        XCTAssertEqual(plan.jobs.count, catalog.labs.count)
        XCTAssertEqual(plan.jobs.map(\.estimatedSeconds), plan.jobs.map(\.estimatedSeconds).sorted(by: >))
        for job in plan.jobs {
            XCTAssertEqual(job.durationScale, job.entry.manifest.test.durationScale)
            let scenario = job.entry.manifest.scenario!.totalSeconds * job.durationScale
            XCTAssertEqual(
                job.estimatedSeconds, Double(job.variants.count) * (scenario + VerificationPlan.fixedSecondsPerVariant), accuracy: 1e-9)
        }
        let full = VerificationPlan(entries: catalog.labs, full: true)
        XCTAssertTrue(full.jobs.allSatisfy { $0.durationScale == 1 && $0.variants == $0.entry.manifest.variantNames })
    }

    func testLabsRunningTogetherGetDisjointPortRangesBelowTheEphemeralPorts() {
        let ranges = (0..<45).map { VerificationPlan.portRange(forJob: $0, offset: 0) }
        for (i, a) in ranges.enumerated() {
            XCTAssertGreaterThanOrEqual(a.lowerBound, 1024)
            XCTAssertLessThan(a.upperBound, 32768, "the kernel's ephemeral ports start at 32768")
            for b in ranges[(i + 1)...] { XCTAssertFalse(a.overlaps(b)) }
        }
    }

    func testAResultSaysWhatFailedWithItsValues() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/compare-labs"))
        let job = VerificationPlan(entries: [catalog.labs[0]], full: false).jobs[0]
        let results = directory.url.appendingPathComponent("results.json")
        let log = directory.url.appendingPathComponent("compare.log")
        try "starting…\nthe end\n".write(to: log, atomically: true, encoding: .utf8)
        let json: [String: Any] = [
            "holds": false,
            "expectations": [
                [
                    "measurement": "p50", "check": "after < before", "holds": false, "skipped": false,
                    "explanation": "after = 3 < before = 2 does not hold",
                ],
                ["measurement": "p99", "check": "after < 1", "holds": true, "skipped": false, "explanation": "ok"],
                ["measurement": "x", "check": "extra > 1", "holds": false, "skipped": true, "explanation": "skipped"],
            ],
            "runs": [
                ["variant": "before", "timings": [["step": "up", "seconds": 1.5], ["step": "scenario", "seconds": 10.0]]],
                ["variant": "after", "timings": [["step": "up", "seconds": 0.5], ["step": "scenario", "seconds": 10.0]]],
            ],
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: results)
        let failed = VerificationResult.read(job: job, status: .exited(1), wallSeconds: 30, log: log, results: results)
        XCTAssertEqual(failed.verdict, .fails)
        XCTAssertEqual(failed.failures, ["p50: after < before — after = 3 < before = 2 does not hold"])
        XCTAssertEqual(failed.timings.map(\.step), ["up", "scenario"])
        XCTAssertEqual(failed.timings.map(\.seconds), [2.0, 20.0])

        let crashed = VerificationResult.read(
            job: job, status: .signaled(9), wallSeconds: 3, log: log, results: directory.url.appendingPathComponent("none.json"))
        XCTAssertEqual(crashed.verdict, .broken)
        XCTAssertTrue(crashed.failures[0].contains("killed by signal 9") && crashed.failures[0].contains("the end"), crashed.failures[0])
        XCTAssertEqual(VerificationResult.read(job: job, status: nil, wallSeconds: 3, log: log, results: results).verdict, .timedOut)
    }

    func testPortsComeInTurnFromTheRangeAndSkipTakenOnes() throws {
        let range = 24_000...24_009
        let taken = try XCTUnwrap(Self.listen(on: 24_001))
        defer { close(taken) }
        var seen: [Int] = []
        for _ in 0..<12 { seen.append(try FreePort.nextInRange(range)) }
        XCTAssertFalse(seen.contains(24_001), "a port something listens on is skipped")
        XCTAssertTrue(seen.allSatisfy(range.contains))
        XCTAssertEqual(Set(seen.prefix(9)).count, 9, "each port in turn before any repeats")
    }

    static func listen(on port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 1) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}
