import XCTest

/// Week 13: runs `labctl compare idempotency-keys` natively (PostgreSQL, Prometheus, both services)
/// and requires every expectation of labs/13-idempotency-keys/lab.yaml to hold: duplicate charges
/// counted by SQL are many before and zero after, under the same lost responses and concurrent hedges.
final class IdempotencyKeysTests: XCTestCase {
    func testIdempotencyKeysStopDuplicateChargesUnderRetriesAndHedges() throws {
        let result = try LabCompare.assertLabHolds("idempotency-keys", durationScale: 1.0)
        guard result.holds else { return }
        // Before: the ledger holds more charges than there were purchases; after it does not.
        let checkouts = try XCTUnwrap(result.value("checkouts", "before"))
        let storedBefore = try XCTUnwrap(result.value("charges_stored", "before"))
        let storedAfter = try XCTUnwrap(result.value("charges_stored", "after"))
        let extraBefore = try XCTUnwrap(result.value("extra_charges", "before"))
        XCTAssertGreaterThan(storedBefore, checkouts, "without keys, retries and hedges should leave extra charges in the ledger")
        XCTAssertLessThanOrEqual(storedAfter, checkouts, "with keys, at most one charge per checkout")
        XCTAssertEqual(try XCTUnwrap(result.value("extra_charges", "after")), 0)
        XCTAssertGreaterThanOrEqual(extraBefore, 20)
        // After: a lost answer is not retried into a new charge but answered from the stored response.
        let lost = try XCTUnwrap(result.value("responses_lost", "after"))
        let replayed = try XCTUnwrap(result.value("replayed_responses", "after"))
        XCTAssertGreaterThanOrEqual(replayed, lost * 0.7, "each lost answer should come back as (at least) one replay")
    }
}
