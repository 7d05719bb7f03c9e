import XCTest

/// Week 36: runs `labctl compare ticket-booking` natively (naive, constraint, locked against a real
/// PostgreSQL) and requires every expectation of labs/36-ticket-booking/lab.yaml to hold, plus the
/// bookkeeping that ties the SQL invariants to what the booking service answered.
final class TicketBookingTests: XCTestCase {
    func testSkipLockedHoldsWithExpirySellEverySeatExactlyOnce() throws {
        let result = try LabCompare.assertLabHolds("ticket-booking", durationScale: 1.0)
        guard result.holds else { return }
        // Before: the service's own count of payments and the SQL count agree — each double-booked seat
        // has at least two of the paid bookings, and the extra bookings are among them.
        let paid = try XCTUnwrap(result.value("bookings_paid", "before"))
        let extra = try XCTUnwrap(result.value("extra_bookings", "before"))
        let doubled = try XCTUnwrap(result.value("double_booked_seats", "before"))
        XCTAssertGreaterThanOrEqual(paid, extra + doubled, "every double-booked seat is 1 + its extra bookings, all of them paid")
        XCTAssertLessThanOrEqual(paid - extra, 200, "paid seats (bookings − extra bookings) cannot exceed the 200 seats")
        // After: abandoned holds were reclaimed — more holds were granted than there are seats.
        XCTAssertGreaterThan(try XCTUnwrap(result.value("holds_granted", "after")), 200)
    }
}
