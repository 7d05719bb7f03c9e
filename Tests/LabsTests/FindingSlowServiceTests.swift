import XCTest

/// Week 1: the gateway's p95 falls at least threefold once inventory batches its stock lookups, and
/// the traces' self-time names inventory as the culprit before the fix and reviews after it.
final class FindingSlowServiceTests: XCTestCase {
    func testBatchingInventoryLookupsFixesTheGatewayAndMovesTheCulprit() throws {
        let result = try LabCompare.assertLabHolds("finding-slow-service", durationScale: 0.5)

        // The lesson beyond the manifest's expectations: the effect is the size the design says.
        // 12 sequential 20 ms lookups (≥ 240 ms) before, one 20 ms lookup behind reviews' 40 ms after.
        let before = try XCTUnwrap(result.value("gateway_p50", "before"), "gateway_p50 before")
        let after = try XCTUnwrap(result.value("gateway_p50", "after"), "gateway_p50 after")
        XCTAssertGreaterThanOrEqual(before, 0.24, "12 sequential 20 ms lookups take at least 240 ms")
        XCTAssertGreaterThanOrEqual(after, 0.04, "reviews alone takes 40 ms, so the gateway can be no faster")
        XCTAssertLessThan(after, 0.12, "after the fix the gateway waits for reviews, not 12 lookups")

        let reviewsShare = try XCTUnwrap(result.value("reviews_self_time_share", "after"))
        let inventoryShare = try XCTUnwrap(result.value("inventory_self_time_share", "after"))
        XCTAssertGreaterThan(reviewsShare, inventoryShare, "after the fix reviews owns more self-time than inventory")
    }
}
