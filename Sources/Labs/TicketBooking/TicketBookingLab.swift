import LabKit

/// Week 36: ticket booking.
///
///     load generator → buyer POST /buy/{id} → booking POST /holds, then POST /bookings/{hold}/pay → PostgreSQL
///
/// `STRATEGY` (booking) picks how a seat is held and paid: `naive` (check, then insert),
/// `constraint` (the same + a unique constraint on bookings) or `locked` (FOR UPDATE SKIP LOCKED holds
/// with expiry, conditional payment, and the constraint).
enum TicketBookingLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "buyer", "POST /buy/{id}: hold a seat, wait PAY_DELAY_MS, pay (or abandon with ABANDON_RATE); calls BOOKING_URL",
            build: Buyer.build),
        .init(
            "booking", "POST /holds, POST /bookings/{hold}/pay against PostgreSQL; STRATEGY=naive|constraint|locked, WORK_MS, HOLD_TTL_MS",
            build: BookingService.build),
    ]
}
