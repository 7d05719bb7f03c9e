import XCTest

/// Week 0: runs `labctl compare basics` natively (real PostgreSQL behind the fault proxy, real
/// Prometheus, the worker really SIGSTOPped and restarted) and requires every expectation of
/// labs/00-basics/lab.yaml to hold.
final class BasicsTests: XCTestCase {
    func testResilientApiAnswersEveryOutageFastAndRecoversWithoutRestart() throws {
        // 0.8: a 28 s scenario per variant. The mechanisms are not scaled (2 s of work, 3 s worker
        // timeout, 1 s acquire timeout, the load generator's 10 s timeout), so the pauses (2.4 s
        // and 1.6 s scaled) still let in-flight requests finish before the next fault.
        let result = try LabCompare.assertLabHolds("basics", durationScale: 0.8)

        // Beyond the manifest: the naive api really hangs (it does not fail fast) and really stays
        // broken - both variants see the same outages, only the code differs.
        let beforeHung = try XCTUnwrap(result.value("p99_worker_hung", "before"))
        let afterHung = try XCTUnwrap(result.value("p99_worker_hung", "after"))
        XCTAssertGreaterThan(beforeHung, afterHung * 1.5, "no timeout: requests wait for the frozen worker")
        XCTAssertEqual(result.value("success_rate_steady", "before"), 1, "the naive api works while nothing fails")
        XCTAssertEqual(result.value("api_up_min", "before"), 1, "the naive api does not crash either: it hangs")
    }
}
