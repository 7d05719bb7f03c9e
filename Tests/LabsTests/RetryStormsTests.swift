import XCTest

/// Week 6: runs `labctl compare retry-storms` natively (before vs after) and requires every expectation
/// of labs/06-retry-storms/lab.yaml to hold, plus the shape of the storm itself.
final class RetryStormsTests: XCTestCase {
    func testRetriesAtOneLayerWithBudgetEndTheStorm() throws {
        let result = try LabCompare.assertLabHolds("retry-storms", durationScale: 1.0, variants: ["before", "after"])
        guard result.holds else { return }
        // The storm outlives its cause: the backend is still amplified after it is fast again.
        let beforeRecovery = try XCTUnwrap(result.value("amplification_recovery", "before"))
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
