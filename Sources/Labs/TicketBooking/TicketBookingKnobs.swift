import LabKit

extension TicketBookingLab {
    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = ["buyer": Buyer.knobs, "booking": BookingService.knobs]
}
