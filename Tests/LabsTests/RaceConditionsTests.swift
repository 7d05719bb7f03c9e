import XCTest

/// Week 21: runs `labctl compare race-conditions` natively (all four variants against a real
/// PostgreSQL) and requires every expectation of labs/21-race-conditions/lab.yaml to hold, plus the
/// bookkeeping that ties the SQL invariants to what the shop answered.
final class RaceConditionsTests: XCTestCase {
    func testOnlyTheNaiveReadComputeWriteOversellsAndLosesUpdates() throws {
        let result = try LabCompare.assertLabHolds("race-conditions", durationScale: 0.5)
        guard result.holds else { return }
        // Every unit sold beyond the stock is an order whose decrement was lost, so the SQL counts agree
        // with what the shop believes it sold: 300 units + oversold.
        let sold = try XCTUnwrap(result.value("units_sold_flash", "before"))
        let oversold = try XCTUnwrap(result.value("oversold", "before"))
        XCTAssertEqual(sold, 300 + oversold, accuracy: 0.5, "the shop's own count of sales and the SQL count of oversold units disagree")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.value("lost_updates", "before")), oversold)
        // The fixes never failed a purchase outright (serializable may, when its retries run out).
        XCTAssertEqual(try XCTUnwrap(result.value("failed_purchases", "after")), 0)
        XCTAssertEqual(try XCTUnwrap(result.value("failed_purchases", "for-update")), 0)
    }
}
