import XCTest

/// Week 9: runs `labctl compare cascading-failures` natively (both variants, real Prometheus) and
/// requires every expectation of labs/09-cascading-failures/lab.yaml to hold, plus the shape of the cascade.
final class CascadingFailuresTests: XCTestCase {
    func testBulkheadsAndBudgetedTimeoutsKeepTheCatalogUpWhilePaymentsIsSlow() throws {
        // 0.5: a 22 s scenario per variant (10 s incident); the 3 s payments delay is not scaled.
        let result = try LabCompare.assertLabHolds("cascading-failures", durationScale: 0.5)
        guard result.holds else { return }

        // The cascade is real: in before, checkouts waiting for payments pin the web's shared pool
        // (16 slots) and the api's (8), and the catalog service — healthy all along — hardly gets called.
        let webSlots = try XCTUnwrap(result.value("web_slots_in_use_incident", "before"))
        XCTAssertGreaterThanOrEqual(webSlots, 14, "the web's shared pool should be (nearly) full for the whole incident")
        let servedBefore = try XCTUnwrap(result.value("catalog_served_incident", "before"))
        let servedAfter = try XCTUnwrap(result.value("catalog_served_incident", "after"))
        XCTAssertLessThan(servedBefore * 3, servedAfter, "the catalog should be starved of calls in before, not failing itself")
        let checkoutBefore = try XCTUnwrap(result.value("checkout_p99_incident", "before"))
        XCTAssertGreaterThan(checkoutBefore, 3, "before, checkouts wait for the 3 s payments call and the queues ahead of it")

        // In after the payments bulkhead really fails checkouts fast, and the catalog's never rejects.
        let rejected = try XCTUnwrap(result.value("payments_bulkhead_rejections_incident", "after"))
        XCTAssertGreaterThan(rejected, 0, "the payments bulkhead should turn calls away while payments is slow")
    }
}
