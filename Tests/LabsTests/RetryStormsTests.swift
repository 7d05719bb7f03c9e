import XCTest

/// Week 6: runs `labctl compare retry-storms` natively (before vs after) and requires every expectation
/// of labs/06-retry-storms/lab.yaml to hold, plus the shape of the storm itself.
final class RetryStormsTests: XCTestCase {
    func testRetriesAtOneLayerWithBudgetEndTheStorm() throws {
        // 0.75: a 25.5 s scenario per variant (6 s fault, 13.5 s recovery); about 75 s in all.
        let result = try LabCompare.assertLabHolds("retry-storms", durationScale: 0.75, variants: ["before", "after"])
        guard result.holds else { return }
        // Metastable: before never recovers in the whole recovery window (13.5 s, 1 s steps); after does at once.
        let beforeUnhealthy = try XCTUnwrap(result.value("seconds_unhealthy_after_fault", "before"))
        XCTAssertGreaterThanOrEqual(beforeUnhealthy, 11, "the storm should keep the api failing for (nearly) the whole recovery phase")
        // The storm outlives its cause: the callers still offer the backend several requests per client
        // request after it is fast again (what it completes is capped by its capacity, 160/s = 2.7 × 60/s).
        let beforeRecovery = try XCTUnwrap(result.value("offered_amplification_recovery", "before"))
        XCTAssertGreaterThanOrEqual(beforeRecovery, 3, "immediate retries should keep multiplying load after the fault")
        let afterRecovery = try XCTUnwrap(result.value("amplification_recovery", "after"))
        XCTAssertLessThanOrEqual(afterRecovery, 1.3)
        // Retries really happened, and the budget really capped them.
        let retriesBefore = try XCTUnwrap(result.value("retries_fault", "before"))
        let retriesAfter = try XCTUnwrap(result.value("retries_fault", "after"))
        XCTAssertGreaterThan(retriesAfter, 0, "the api should still retry a little")
        XCTAssertLessThan(retriesAfter * 10, retriesBefore)
    }
}
